namespace PimBridge.Testing;

/// <summary>
/// A clock that moves only when told. With <see cref="AutoAdvance"/>, every scheduled delay jumps the clock forward and
/// completes at once, so code that backs off, polls or rate-limits runs instantly while the delays it asked for are recorded.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly List<TimeSpan> _delays = [];
    private DateTimeOffset _now = start;

    public ManualTimeProvider() : this(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero)) { }

    /// <summary>When true, a timer fires as soon as it is scheduled, after moving the clock to its due time.</summary>
    public bool AutoAdvance { get; init; }

    /// <summary>Every one-shot delay scheduled so far, in order.</summary>
    public IReadOnlyList<TimeSpan> Delays { get { lock (_gate) return [.. _delays]; } }

    public override DateTimeOffset GetUtcNow() { lock (_gate) return _now; }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = _timers.Where(t => t.DueAt <= _now).ToList();
            foreach (var timer in due) _timers.Remove(timer);
        }

        foreach (var timer in due) timer.Fire();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan)
            throw new NotSupportedException("ManualTimeProvider supports one-shot timers only.");
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            _delays.Add(dueTime);
            if (AutoAdvance)
            {
                if (dueTime > TimeSpan.Zero) _now += dueTime;
                timer.DueAt = _now;
            }
            else
            {
                timer.DueAt = _now + dueTime;
                if (dueTime > TimeSpan.Zero) { _timers.Add(timer); return; }
            }
        }

        // Fire off the caller's stack: Task.Delay registers its timer after CreateTimer returns.
        ThreadPool.QueueUserWorkItem(_ => timer.Fire());
    }

    private void Unschedule(ManualTimer timer) { lock (_gate) _timers.Remove(timer); }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private int _fired;

        public DateTimeOffset DueAt { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Exchange(ref _fired, 0);
            owner.Schedule(this, dueTime);
            return true;
        }

        public void Fire()
        {
            if (Interlocked.Exchange(ref _fired, 1) == 0) callback(state);
        }

        public void Dispose() { Interlocked.Exchange(ref _fired, 1); owner.Unschedule(this); }

        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
