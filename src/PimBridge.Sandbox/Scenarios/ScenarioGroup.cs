namespace PimBridge.Sandbox.Scenarios;

/// <summary>
/// A PIM-enabled Entra group and the PimBridge mapping for it: either a permission set in accounts, or membership of
/// an Identity Center group. <see cref="Reach"/> is the AWS access an activation of it gives.
/// </summary>
public sealed record ScenarioGroup(string Name, string? PermissionSet, IReadOnlyList<string> Accounts, string? IdentityCenterGroup, bool FenceSessions, IReadOnlyList<ScenarioAssignment> Reach)
{
    public bool Reaches(string permissionSet, string account) =>
        Reach.Any(r => r.PermissionSet == permissionSet && r.Accounts.Contains(account));
}
