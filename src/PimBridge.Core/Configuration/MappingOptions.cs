namespace PimBridge.Core.Configuration;

/// <summary>Binds one Entra PIM group (and access) to AWS access: an Identity Center group, or account assignments.</summary>
public sealed class MappingOptions
{
    /// <summary>A short unique name, used in grant ids, logs and alerts.</summary>
    public string Name { get; set; } = "";

    /// <summary>The Entra group's object id (a GUID).</summary>
    public string EntraGroupId { get; set; } = "";

    /// <summary><c>member</c> (default) or <c>owner</c>: which PIM-for-Groups relationship counts.</summary>
    public string Access { get; set; } = "member";

    public IdentityCenterGroupTargetOptions? IdentityCenterGroup { get; set; }
    public AccountAssignmentsTargetOptions? AccountAssignments { get; set; }

    /// <summary>Caps each activation at its start plus this duration, whatever PIM allows. Empty means no cap.</summary>
    public string? MaxDuration { get; set; }

    /// <summary>Whether permanent (<c>assigned</c>) PIM memberships grant access too. Default: only activations.</summary>
    public bool IncludePermanent { get; set; }

    /// <summary>Whether live sessions are fenced when access ends. Default on.</summary>
    public bool FenceSessions { get; set; } = true;
}
