namespace PimBridge.Core.Domain;

public enum IntentState
{
    Pending,
    Done,

    /// <summary>No longer wanted when its turn came (for example a removal whose entitlement gained a holder again).</summary>
    Superseded,
}
