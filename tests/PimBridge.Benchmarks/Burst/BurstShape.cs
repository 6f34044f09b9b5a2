using PimBridge.Core.Configuration;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// What one activation is granted: an account assignment of the benchmark's permission set in one account or in
/// three, a membership of one Identity Center group, or both of the latter. A mapping has one target
/// (<c>IdentityCenterGroup</c> or <c>AccountAssignments</c>), so the last shape is two mappings on the same Entra group,
/// which configuration allows (it is how a mapping with too many accounts is split).
/// </summary>
internal enum BurstShape { Account, ThreeAccounts, Group, GroupAndThreeAccounts }

/// <summary>The shapes' names on the command line and their mappings.</summary>
internal static class BurstShapes
{
    public const string PermissionSetName = "BenchAdmin";

    /// <summary>Assigned to the Identity Center group (by another hand, before the run), so the group reaches a role.</summary>
    public const string GroupPermissionSetName = "BenchReadOnly";

    public static readonly IReadOnlyList<(string Name, BurstShape Shape)> Names =
    [
        ("account", BurstShape.Account), ("accounts3", BurstShape.ThreeAccounts), ("group", BurstShape.Group), ("group+accounts3", BurstShape.GroupAndThreeAccounts),
    ];

    public static string NameOf(BurstShape shape) => Names.First(n => n.Shape == shape).Name;

    public static BurstShape? Parse(string name) => Names.FirstOrDefault(n => n.Name == name) is { Name: not null } found ? found.Shape : null;

    public static string Describe(BurstShape shape) => shape switch
    {
        BurstShape.Account => $"an account assignment of {PermissionSetName} in one account",
        BurstShape.ThreeAccounts => $"account assignments of {PermissionSetName} in three accounts",
        BurstShape.Group => "a membership of one Identity Center group",
        _ => $"a membership of one Identity Center group and account assignments of {PermissionSetName} in three accounts (two mappings on one Entra group)",
    };

    /// <summary>Entitlements (AWS changes) each activation needs.</summary>
    public static int EntitlementsPerActivation(BurstShape shape) => shape switch
    {
        BurstShape.Account => 1,
        BurstShape.ThreeAccounts => 3,
        BurstShape.Group => 1,
        _ => 4,
    };

    /// <summary>The mappings of <paramref name="entraGroups"/> Entra groups, each mapped as the shape says.</summary>
    public static List<MappingOptions> Mappings(BurstShape shape, IReadOnlyList<string> entraGroups, IReadOnlyList<string> accounts, string identityCenterGroupId)
    {
        var mappings = new List<MappingOptions>();
        for (var g = 0; g < entraGroups.Count; g++)
        {
            if (shape is BurstShape.Group or BurstShape.GroupAndThreeAccounts)
                mappings.Add(new() { Name = $"bench-{g:D3}-group", EntraGroupId = entraGroups[g], IdentityCenterGroup = new() { Id = identityCenterGroupId } });
            if (shape != BurstShape.Group)
            {
                mappings.Add(new()
                {
                    Name = $"bench-{g:D3}-accounts", EntraGroupId = entraGroups[g],
                    AccountAssignments = new() { PermissionSet = PermissionSetName, Accounts = shape == BurstShape.Account ? [accounts[0]] : [.. accounts.Take(3)] },
                });
            }
        }

        return mappings;
    }
}
