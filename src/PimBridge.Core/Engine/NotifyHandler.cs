using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>Delivers a notification; one whose sink no longer takes it is superseded.</summary>
internal sealed class NotifyHandler(EngineContext engine) : IIntentHandler
{
    public IntentKind Kind => IntentKind.Notify;

    public async Task<StateChange?> HandleAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        var sent = await engine.Outbox.DeliverAsync(engine.Store, intent, engine.Time, cancellationToken).ConfigureAwait(false);
        var change = new StateChange();
        change.Intents.Add(intent with { State = sent ? IntentState.Done : IntentState.Superseded, CompletedAt = engine.Time.GetUtcNow() });
        return change;
    }
}
