namespace PimBridge.Core.Domain;

public enum DriftKind
{
    /// <summary>Access PimBridge created that no live grant needs: removed, its sessions fenced.</summary>
    Orphan,

    /// <summary>A live grant's access that is gone from Identity Center: restored.</summary>
    MissingAccess,

    /// <summary>An active fence the roles do not carry (its statement is gone or changed, or not provisioned everywhere): written again.</summary>
    MissingFence,

    /// <summary>Access to a mapped target that PimBridge did not create: recorded and reported, never touched.</summary>
    StandingAccess,
}
