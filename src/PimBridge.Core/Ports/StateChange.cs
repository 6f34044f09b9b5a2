using PimBridge.Core.Domain;

namespace PimBridge.Core.Ports;

/// <summary>One atomic unit of state change. Keep it small: DynamoDB allows 100 items per transaction (see <see cref="CommitBudget"/>).</summary>
public sealed class StateChange
{
    public List<Grant> Grants { get; } = [];
    public List<LedgerEntry> Ledger { get; } = [];
    public List<Intent> Intents { get; } = [];
    public List<SessionFence> Fences { get; } = [];
    public List<Alert> Alerts { get; } = [];
    public List<Checkpoint> Checkpoints { get; } = [];
    public List<AuditRecord> Audit { get; } = [];

    /// <summary>
    /// Checkpoints read while deciding, not written: the change commits only if each is still at the version read
    /// (version 0: still absent), so a decision taken on one another writer has since moved is taken again.
    /// </summary>
    public List<Checkpoint> Unchanged { get; } = [];

    public bool IsEmpty => Count == 0;

    public int Count => Grants.Count + Ledger.Count + Intents.Count + Fences.Count + Alerts.Count + Checkpoints.Count + Audit.Count + Unchanged.Count;
}
