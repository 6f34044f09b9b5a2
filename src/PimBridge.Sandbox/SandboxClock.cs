using System.Diagnostics;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>
/// The sandbox's clock: scenario time runs <see cref="Speed"/> times faster than real time, and the runner can
/// <see cref="SkipTo"/> over stretches where nothing happens. The engine, the Identity Center caches, the PIM stub's
/// activation times, the gap detector and the trail records all read this one clock, so a scenario's hour passes in
/// seconds while the work in between (AWS calls, fence writes) still takes the time it really takes, scaled.
/// Timers and delays scheduled on it wait their due time divided by the speed.
/// </summary>
internal sealed class SandboxClock : TimeProvider
{
    private readonly Stopwatch _real = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private TimeSpan _skipped;

    /// <param name="origin">Scenario time zero.</param>
    /// <param name="speed">Scenario seconds per real second (1 or more).</param>
    public SandboxClock(DateTimeOffset origin, double speed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(speed, 1.0);
        Origin = origin;
        Speed = speed;
    }

    public DateTimeOffset Origin { get; }

    public double Speed { get; }

    /// <summary>How far into the scenario the clock is.</summary>
    public TimeSpan Elapsed
    {
        get { lock (_gate) return _real.Elapsed * Speed + _skipped; }
    }

    public override DateTimeOffset GetUtcNow() => Origin + Elapsed;

    public override long GetTimestamp() => Elapsed.Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Moves the clock forward to <paramref name="at"/> (scenario time) at once; a time already passed is left alone.</summary>
    public void SkipTo(TimeSpan at)
    {
        lock (_gate)
        {
            var now = _real.Elapsed * Speed + _skipped;
            if (at > now) _skipped += at - now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(System.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    private TimeSpan Scale(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : span / Speed;

    /// <summary>A real timer whose due times and periods are given in scenario time.</summary>
    private sealed class ScaledTimer(ITimer inner, SandboxClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Scale(dueTime), clock.Scale(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
