using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>The intent a run holds, at the version it last wrote: a failure is recorded on top of it.</summary>
internal sealed class IntentRun(Intent intent, EngineContext engine)
{
    public Intent Intent { get; private set; } = intent;

    /// <summary>
    /// Writes, after AWS was read and before it is changed, that the intent is about to change it: the ledger entry's
    /// mark and the intent's <see cref="Intent.ActedAt"/>. A crash after this leaves the truth ("PimBridge may have
    /// done it") on record; access found with no such mark is not PimBridge's.
    /// </summary>
    public async Task<(Intent, LedgerEntry)> MarkActingAsync(LedgerEntry marked, CancellationToken cancellationToken)
    {
        var acting = Intent with { ActedAt = Intent.ActedAt ?? engine.Time.GetUtcNow() };
        var mark = new StateChange();
        mark.Intents.Add(acting);
        mark.Ledger.Add(marked);
        await engine.Store.CommitAsync(mark, cancellationToken).ConfigureAwait(false);
        Intent = acting with { Version = acting.Version + 1 };
        return (Intent, marked with { Version = marked.Version + 1 });
    }
}
