using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>
/// What one kind of intent does: reads state, acts idempotently, and returns the change that confirms it (null when
/// it cannot run now, leaving its claim to expire). Claims, retries and alerts are the <see cref="IntentRunner"/>'s.
/// </summary>
internal interface IIntentHandler
{
    IntentKind Kind { get; }

    Task<StateChange?> HandleAsync(IntentRun run, CancellationToken cancellationToken);

    /// <summary>What to look at again once the change that confirmed the intent is written (nothing, for most kinds).</summary>
    Task AfterCommitAsync(StateChange committed, CancellationToken cancellationToken) => Task.CompletedTask;
}
