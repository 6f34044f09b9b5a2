using Microsoft.Extensions.Options;
using PimBridge.Core.Engine;
using PimBridge.Core.Polling;

namespace PimBridge.Host.Worker;

/// <summary>
/// Drives the engine. Each step: (1) the poll, when notifications are late or lost: with Graph's membership delta
/// (<see cref="ComposedEngine.GroupChanges"/>), every <c>PollInterval</c> it asks which mapped groups changed and
/// reconciles those from PIM (the delta is a hint; PIM decides), and it also reconciles every mapped group once per
/// <c>FullPollInterval</c>, the groups spread evenly over it, for what membership does not show (extensions); without
/// a delta the spread is over <c>PollInterval</c>. Both pause when Graph throttles (its Retry-After, else exponential
/// from <c>ThrottleBaseDelay</c>). (2) The enforcer ticks when signalled (a recorded hint), when the poll changed
/// something, or at least every <c>TickInterval</c>, back to back while ticks find work. Steps never overlap, and a
/// tick, once started, finishes even when the host stops (it runs uncancelled; the store keeps every step idempotent anyway).
/// </summary>
public sealed class EnforcementWorker(
    LazyComposedEngine components,
    WorkerSignal signal,
    TimeProvider time,
    IOptions<PimBridgeHostOptions> options,
    ILogger<EnforcementWorker> log) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PimBridgeHostOptions.WorkerOptions _options = options.Value.Worker;
    private DateTimeOffset _nextTick = DateTimeOffset.MinValue;
    private DateTimeOffset _nextPoll = DateTimeOffset.MinValue;
    private DateTimeOffset _nextChanges = DateTimeOffset.MinValue;
    private DateTimeOffset _nextFullRead = DateTimeOffset.MinValue; // the timer function's
    private DateTimeOffset _pollPausedUntil = DateTimeOffset.MinValue;
    private IReadOnlyList<string>? _groups;
    private int _cursor;
    private int _throttles;

    /// <summary>Raised after every step of the background loop or <see cref="RunOnceAsync"/>.</summary>
    public event Action<WorkerStep>? Stepped;

    /// <summary>Until when the poll (and the timer reconcile) hold off because PIM throttled; in the past when not paused.</summary>
    public DateTimeOffset PollPausedUntil => _pollPausedUntil;

    /// <summary>One step; what the background loop runs, callable directly (tests, or a host without the loop).</summary>
    public async Task<WorkerStep> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        WorkerStep step;
        try
        {
            step = await StepAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        Stepped?.Invoke(step);
        return step;
    }

    private async Task<WorkerStep> StepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var signalled = signal.TryConsume(); // first: a step that fails must not leave it set (the loop would spin)
        ComposedEngine parts;
        try
        {
            parts = await components.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ComponentsUnavailableException ex)
        {
            log.LogError("The worker cannot run: {Reason}", ex.Message);
            return new WorkerStep(now + _options.TickInterval, 0, 0);
        }

        int polled = 0;
        ThrottleSignal? throttled = null;
        var changed = false;
        var polling = _options.PollInterval > TimeSpan.Zero;
        var feed = parts.GroupChanges;
        if (polling && feed is not null && now >= _nextChanges)
            (polled, changed, throttled) = await ReadChangesAsync(parts.Enforcer, feed, now, cancellationToken).ConfigureAwait(false);
        if (polling && now >= _nextPoll)
        {
            var (spread, spreadChanged, spreadThrottled) = await PollAsync(parts.Enforcer, feed is null ? _options.PollInterval : _options.FullPollInterval, now, cancellationToken).ConfigureAwait(false);
            (polled, changed, throttled) = (polled + spread, changed || spreadChanged, throttled ?? spreadThrottled);
        }

        var ticks = 0;
        if (signalled || changed || now >= _nextTick)
        {
            ticks = await TickUntilIdleAsync(parts.Enforcer, cancellationToken).ConfigureAwait(false);
            _nextTick = time.GetUtcNow() + _options.TickInterval;
        }

        var next = _nextTick;
        if (polling && _nextPoll < next) next = _nextPoll;
        if (polling && feed is not null && _nextChanges < next) next = _nextChanges;
        return new WorkerStep(next, ticks, polled, throttled);
    }

    /// <summary>
    /// One delta round: reconciles from PIM the mapped groups whose membership changed (all of them when the delta
    /// cannot speak for them), then saves the delta's cursor. When PIM throttles, nothing is saved and the poll pauses:
    /// the next round sees the same changes again. When the PIM read fails otherwise, the groups become durable hints
    /// (the tick reads each one, retrying it on its own) and the cursor moves on.
    /// </summary>
    private async Task<(int Polled, bool Changed, ThrottleSignal? Throttled)> ReadChangesAsync(Enforcer enforcer, GroupChangeFeed feed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now < _pollPausedUntil)
        {
            _nextChanges = _pollPausedUntil;
            return (0, false, null);
        }

        _nextChanges = now + _options.PollInterval;
        var groups = Groups(enforcer);
        if (groups.Count == 0)
            return (0, false, null);
        try
        {
            var changes = await feed.ReadAsync(groups, cancellationToken).ConfigureAwait(false);
            if (changes.FirstRound)
                log.LogInformation("Graph's membership delta: no saved cursor for some mapped groups (first round, or the mappings changed); reading them from PIM and keeping the cursor from now on");
            foreach (var warning in changes.Warnings)
                log.LogWarning("Graph's membership delta: {Problem}", warning);
            var changed = false;
            if (changes.Changed.Count > 0)
            {
                var groupsChanged = changes.Changed.Order(StringComparer.Ordinal).ToList();
                log.LogDebug("Graph's membership delta: {Count} mapped groups changed ({Groups}); reading them from PIM", groupsChanged.Count, string.Join(", ", groupsChanged));
                try
                {
                    var result = await enforcer.ReconcileGroupsAsync(groupsChanged, cancellationToken: cancellationToken).ConfigureAwait(false);
                    changed = !result.Plan.IsEmpty;
                }
                catch (Exception ex) when (Throttling.Classify(ex) is null && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
                {
                    // One group whose read fails must not pin the cursor (every round would read the growing set again):
                    // the groups become durable hints, which the tick reads from PIM one by one, retrying each on its own.
                    log.LogWarning(ex, "Reading the groups Graph's membership delta named ({Groups}) from PIM failed; they are recorded as hints and retried one by one", string.Join(", ", groupsChanged));
                    foreach (var group in groupsChanged)
                        await enforcer.HintAsync(group, cancellationToken).ConfigureAwait(false);
                    changed = true;
                }
            }

            if (!await feed.CommitAsync(changes, cancellationToken).ConfigureAwait(false))
                log.LogDebug("Graph's membership delta: another instance saved its cursor first; the next round reads on from it");
            _throttles = 0;
            return (changes.Changed.Count, changed, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (Throttling.Classify(ex) is { } throttle)
            {
                PauseForThrottling(throttle, now, ex);
                _nextChanges = _pollPausedUntil;
                return (0, false, throttle); // the cursor did not move: the same changes are read when the pause ends
            }

            log.LogError(ex, "Reading Graph's membership delta, or the groups it named from PIM, failed; the cursor did not move, so the next round reads the same changes again");
            return (0, false, null);
        }
    }

    /// <summary>
    /// The timer function's poll (every few seconds): with Graph's membership delta, reads from PIM the mapped groups it
    /// names, and every mapped group once per <c>FullPollInterval</c> (from the instance's first run); without a delta,
    /// every mapped group once per <paramref name="fullReadWithoutDelta"/>. Then ticks until idle. Skipped while PIM
    /// throttles; a throttled full read pauses the poll and fails the run, as any failed read does.
    /// </summary>
    public async Task<TimerPoll> PollFromTimerAsync(TimeSpan fullReadWithoutDelta, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var parts = await components.GetAsync(cancellationToken).ConfigureAwait(false);
            if (now < _pollPausedUntil)
                return new TimerPoll(0, 0, null, 0, _pollPausedUntil);
            var groups = Groups(parts.Enforcer);
            var feed = parts.GroupChanges;
            var named = 0;
            if (feed is not null)
            {
                (named, _, var throttled) = await ReadChangesAsync(parts.Enforcer, feed, now, cancellationToken).ConfigureAwait(false);
                if (throttled is not null)
                    return new TimerPoll(named, 0, null, 0, _pollPausedUntil);
                if (named >= groups.Count && groups.Count > 0)
                    _nextFullRead = now + _options.FullPollInterval; // the delta's first round read every group already
            }

            ReconcilePlan? plan = null;
            var full = 0;
            if (now >= _nextFullRead && groups.Count > 0)
            {
                try
                {
                    plan = (await parts.Enforcer.ReconcileGroupsAsync(groups, cancellationToken: cancellationToken).ConfigureAwait(false)).Plan;
                    _throttles = 0;
                }
                catch (Exception ex) when (Throttling.Classify(ex) is { } throttle)
                {
                    PauseForThrottling(throttle, now, ex);
                    throw;
                }

                full = groups.Count;
                _nextFullRead = now + (feed is null ? fullReadWithoutDelta : _options.FullPollInterval);
            }

            var ticks = await TickUntilIdleAsync(parts.Enforcer, cancellationToken).ConfigureAwait(false);
            _nextTick = time.GetUtcNow() + _options.TickInterval;
            return new TimerPoll(named, full, plan, ticks, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            log.LogInformation("The enforcement worker is off ({Section}:Worker:Enabled=false)", PimBridgeHostOptions.Section);
            return;
        }

        await Task.Yield(); // let the host finish starting before the first step
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                WorkerStep step;
                try
                {
                    step = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogError(ex, "A worker step failed; trying again in {Delay}", _options.TickInterval);
                    step = new WorkerStep(time.GetUtcNow() + _options.TickInterval, 0, 0);
                }

                await signal.WaitAsync(step.NextDueAt - time.GetUtcNow(), time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping; an in-flight tick has finished (ticks run uncancelled)
        }
    }

    /// <summary>The spread: the next mapped group(s) from PIM, every group once per <paramref name="interval"/>.</summary>
    private async Task<(int Polled, bool Changed, ThrottleSignal? Throttled)> PollAsync(Enforcer enforcer, TimeSpan interval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now < _pollPausedUntil)
        {
            _nextPoll = _pollPausedUntil;
            return (0, false, null);
        }

        var groups = Groups(enforcer);
        if (groups.Count == 0)
        {
            _nextPoll = now + interval;
            return (0, false, null);
        }

        // Spread the groups evenly over the interval, taking several per read when one each would be too close together.
        var perRead = Math.Max(1, (int)Math.Ceiling(groups.Count * _options.MinPollSpacing.Ticks / (double)interval.Ticks));
        perRead = Math.Min(perRead, groups.Count);
        var spacing = interval * perRead / groups.Count;
        var batch = Enumerable.Range(0, perRead).Select(i => groups[(_cursor + i) % groups.Count]).ToList();
        try
        {
            var result = await enforcer.ReconcileGroupsAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            _throttles = 0;
            _cursor = (_cursor + perRead) % groups.Count;
            _nextPoll = now + spacing;
            return (batch.Count, !result.Plan.IsEmpty, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (Throttling.Classify(ex) is { } throttle)
            {
                PauseForThrottling(throttle, now, ex);
                return (0, false, throttle); // the same groups are read again when the pause ends
            }

            log.LogError(ex, "Polling PIM for {Groups} failed; moving on, they are read again next round", string.Join(", ", batch));
            _cursor = (_cursor + perRead) % groups.Count;
            _nextPoll = now + spacing;
            return (0, false, null);
        }
    }

    private void PauseForThrottling(ThrottleSignal throttle, DateTimeOffset now, Exception error)
    {
        _throttles++;
        var exponential = TimeSpan.FromTicks((long)Math.Min(_options.ThrottleMaxDelay.Ticks, _options.ThrottleBaseDelay.Ticks * Math.Pow(2, _throttles - 1)));
        var delay = throttle.RetryAfter ?? exponential;
        _pollPausedUntil = now + delay;
        _nextPoll = _pollPausedUntil;
        _nextChanges = _pollPausedUntil;
        log.LogWarning("PIM throttled the poll ({Error}); pausing it for {Delay} ({Source})", error.Message, delay, throttle.RetryAfter is null ? $"backoff, throttle {_throttles} in a row" : "Retry-After");
    }

    /// <summary>Ticks back to back while ticks find work; <paramref name="stopping"/> only ends the run between ticks.</summary>
    private async Task<int> TickUntilIdleAsync(Enforcer enforcer, CancellationToken stopping)
    {
        var ticks = 0;
        try
        {
            // Uncancelled: a tick in flight finishes even when the host stops. Counted as they complete, for a tick that throws.
            await enforcer.DrainAsync(_options.MaxTicksInARow, stopping, CancellationToken.None, _ => ticks++).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "A tick failed; the next one retries");
        }

        return ticks;
    }

    private IReadOnlyList<string> Groups(Enforcer enforcer) =>
        _groups ??= enforcer.MappedGroups.Order(StringComparer.Ordinal).ToList();

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
