using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>Carries out a group hint: reads the group from PIM and reconciles it.</summary>
internal sealed class ReconcileGroupHandler(EngineContext engine, GrantLifecycle grants) : IIntentHandler
{
    public IntentKind Kind => IntentKind.ReconcileGroup;

    public async Task<StateChange?> HandleAsync(IntentRun run, CancellationToken cancellationToken)
    {
        var intent = run.Intent;
        // The hint's creation is when PimBridge first heard of the change.
        await grants.ReconcileGroupsAsync([intent.Subject], dryRun: false, seenAt: intent.CreatedAt, cancellationToken).ConfigureAwait(false);
        var change = new StateChange();
        change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = engine.Time.GetUtcNow() });
        return change;
    }
}
