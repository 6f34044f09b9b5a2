using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>
/// Executes intents: claims one, has its kind's handler act and decide, commits the result as the confirmation, and on
/// failure records it, backs off and, after enough attempts, raises a stuck alert. What each intent does is its
/// handler's; when and how often, the runner's.
/// </summary>
internal sealed class IntentRunner(EngineContext engine, IEnumerable<IIntentHandler> handlers)
{
    /// <summary>How many times a run decides again at once when its confirmation conflicts, before it leaves the intent for the next tick.</summary>
    private const int ConflictAttempts = 4;

    private readonly Dictionary<IntentKind, IIntentHandler> _handlers = handlers.ToDictionary(h => h.Kind);

    /// <summary>Notifications this process is delivering, by intent id.</summary>
    private readonly ConcurrentDictionary<string, Task> _deliveries = new(StringComparer.Ordinal);

    /// <summary>
    /// Delivers a notification without the tick waiting for it: a receiver that hangs or times out (30 s a try) must
    /// never hold up removals and fences (I6). The intent's claim keeps other ticks and processes off it meanwhile;
    /// if this process dies first, the claim expires and the delivery is tried again (at least once, as before).
    /// </summary>
    public void StartDelivery(Intent intent)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_deliveries.TryAdd(intent.Id, finished.Task))
            return; // already under way here
        _ = DeliverAsync();

        async Task DeliverAsync()
        {
            try
            {
                await RunAsync(intent, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _deliveries.TryRemove(intent.Id, out _);
                finished.SetResult();
            }
        }
    }

    /// <summary>Completes once every notification this process has started delivering has finished (a host stopping, a test).</summary>
    public Task DeliveriesSettledAsync() => Task.WhenAll(_deliveries.Values);

    /// <summary>Claim, execute idempotently, confirm; on failure record it and back off. One span per run.</summary>
    public async Task<IntentOutcome> RunAsync(Intent intent, CancellationToken cancellationToken)
    {
        using var span = EngineTracing.StartIntent(intent);
        var outcome = await RunAsync(intent, span, cancellationToken).ConfigureAwait(false);
        EngineTracing.Outcome(span, outcome);
        return outcome;
    }

    private async Task<IntentOutcome> RunAsync(Intent intent, Activity? span, CancellationToken cancellationToken)
    {
        var now = engine.Time.GetUtcNow();
        var claimed = intent with { NextAttemptAt = now + engine.Settings.ClaimTimeout };
        try
        {
            var claim = new StateChange();
            claim.Intents.Add(claimed);
            await engine.Store.CommitAsync(claim, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return IntentOutcome.Skipped; // another instance took it
        }

        claimed = claimed with { Version = claimed.Version + 1 };
        var run = new IntentRun(claimed, engine);
        try
        {
            var handler = _handlers.TryGetValue(intent.Kind, out var known) ? known : throw new InvalidOperationException($"Unknown intent kind {intent.Kind}.");
            StateChange? change;
            List<Alert> newAlerts;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    change = await handler.HandleAsync(run, cancellationToken).ConfigureAwait(false);
                    if (change is null)
                        return IntentOutcome.Skipped;
                    // An alert is announced once, when first stored; a repeat (same id, for example fence capacity still
                    // exhausted on the next sync) was announced already.
                    newAlerts = await NewAlertsAsync(change, cancellationToken).ConfigureAwait(false);
                    foreach (var alert in newAlerts)
                        engine.Outbox.EnqueueAlert(change, alert, alert.At);
                    await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (ConcurrencyConflictException) when (attempt < ConflictAttempts)
                {
                    // Another run wrote first (side by side, removals of one user's accounts share a fence): decide again
                    // at once from the new state, within this run's claim, rather than a tick later.
                }
            }

            EngineMetrics.CountFences(intent.Kind, change);
            EngineMetrics.CountAlerts(newAlerts);
            EngineMetrics.AccessConfirmed(change);
            await handler.AfterCommitAsync(change, cancellationToken).ConfigureAwait(false);
            return change.Intents.Any(i => i.Id == intent.Id && i.State == IntentState.Superseded) ? IntentOutcome.Superseded : IntentOutcome.Done;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // shutting down: the claim expires and the intent runs again
        }
        catch (OperationInProgressException waiting)
        {
            // AWS is still at it: look again soon, no failure counted, and meanwhile the tick moves on (I6).
            await RunAgainAsync(run.Intent, waiting, waiting.RetryAfter, cancellationToken).ConfigureAwait(false);
            return IntentOutcome.Waiting;
        }
        catch (ConcurrencyConflictException conflict) when (!cancellationToken.IsCancellationRequested)
        {
            // State moved while this run worked (another run confirmed first: side by side, two grants of one activation,
            // or fifteen removals planning fences on one permission set). Not a failure: the idempotent intent runs again
            // at once and decides from the new state, rather than backing off while access or a fence waits.
            await RunAgainAsync(run.Intent, conflict, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            return IntentOutcome.Waiting;
        }
        catch (Exception ex)
        {
            EngineTracing.Failed(span, ex);
            await RecordFailureAsync(run.Intent, ex, cancellationToken).ConfigureAwait(false);
            return IntentOutcome.Failed;
        }
    }

    /// <summary>Runs the intent again after <paramref name="after"/> without counting a failure.</summary>
    private async Task RunAgainAsync(Intent intent, Exception why, TimeSpan after, CancellationToken cancellationToken)
    {
        var change = new StateChange();
        change.Intents.Add(intent with { NextAttemptAt = engine.Time.GetUtcNow() + after, LastError = why.Message });
        try
        {
            await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // another instance moved the intent on: it runs again from there
        }
    }

    private async Task RecordFailureAsync(Intent intent, Exception error, CancellationToken cancellationToken)
    {
        var now = engine.Time.GetUtcNow();
        var attempts = intent.Attempts + 1;
        var change = new StateChange();
        var delay = engine.Settings.RetryDelay(attempts);
        if (error is IRetryAfterHint { RetryAfter: { } asked } && asked > delay)
            delay = asked;
        change.Intents.Add(intent with { Attempts = attempts, NextAttemptAt = now + delay, LastError = error.Message });
        change.Audit.Add(Audit(now, "intent.failed", intent.Id, new JsonObject
        {
            ["kind"] = intent.Kind.ToString(), ["subject"] = intent.Subject, ["attempt"] = attempts, ["error"] = error.Message,
        }));
        if (attempts >= engine.Settings.AlertAfterAttempts)
        {
            change.Alerts.Add(new Alert
            {
                Id = $"intent-stuck|{intent.Id}",
                At = now,
                Severity = AlertSeverity.Critical,
                Kind = "intent-stuck",
                Subject = intent.Subject,
                Message = $"PimBridge could not {Describe(intent.Kind)} {intent.Subject} after {attempts} attempts and keeps retrying: {error.Message}",
                Facts = new Dictionary<string, string> { ["intent"] = intent.Id, ["kind"] = intent.Kind.ToString(), ["attempts"] = attempts.ToString(CultureInfo.InvariantCulture) },
            });

            // Said once, when the alert is first raised; a failing sink is not asked to carry news of its own failure.
            if (attempts == engine.Settings.AlertAfterAttempts)
                engine.Outbox.EnqueueAlert(change, change.Alerts[^1], now, intent.Kind == IntentKind.Notify ? NotificationOutbox.SinkOf(intent) : null);
        }

        try
        {
            await engine.Store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return; // another instance moved the intent on (it claimed, finished or recorded it): it runs again from there
        }

        if (attempts == engine.Settings.AlertAfterAttempts)
            EngineMetrics.CountAlerts(change.Alerts); // raised now; later failures only update it
    }

    /// <summary>The alerts of a change the store does not hold yet: a repeated alert (same id) is raised only once.</summary>
    private async Task<List<Alert>> NewAlertsAsync(StateChange change, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>();
        foreach (var alert in change.Alerts)
        {
            if (await engine.Store.GetAlertAsync(alert.Id, cancellationToken).ConfigureAwait(false) is null)
                alerts.Add(alert);
        }

        return alerts;
    }
}
