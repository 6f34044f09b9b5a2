namespace PimBridge.Core.Domain;

public enum IntentKind
{
    ApplyEntitlement,
    RemoveEntitlement,

    /// <summary>Bring a permission set's inline policy in line with its fences (put, move or lift statements).</summary>
    SyncFences,

    /// <summary>A hint (a change notification) that one Entra group changed: read it from PIM and reconcile it.</summary>
    ReconcileGroup,

    /// <summary>Send one notification to one sink (the subject names the sink, the kind and what it reports).</summary>
    Notify,
}
