using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Configuration;

/// <summary>A mapping whose target is resolved to Identity Center ids and ARNs.</summary>
public sealed record ResolvedMapping(MappingRule Rule, string? IdentityCenterGroupId, string? PermissionSetArn)
{
    public string Name => Rule.Name;

    /// <summary>The concrete AWS access this mapping gives one user.</summary>
    public IReadOnlyList<Entitlement> EntitlementsFor(string userId) => IdentityCenterGroupId is { } groupId
        ? [Entitlement.GroupMembership(userId, groupId)]
        : Rule.Accounts.Select(account => Entitlement.AccountAssignment(userId, PermissionSetArn!, account)).ToList();

    /// <summary>Resolves names to ids through the directory; an unknown name fails with the mapping named.</summary>
    public static async Task<IReadOnlyList<ResolvedMapping>> ResolveAsync(
        IReadOnlyList<MappingRule> rules, IIdentityCenterDirectory directory, CancellationToken cancellationToken = default)
    {
        var resolved = new List<ResolvedMapping>(rules.Count);
        foreach (var rule in rules)
        {
            try
            {
                resolved.Add(rule.IdentityCenterGroup is { } group
                    ? new ResolvedMapping(rule, await directory.ResolveGroupIdAsync(group, cancellationToken).ConfigureAwait(false), null)
                    : new ResolvedMapping(rule, null, await directory.ResolvePermissionSetArnAsync(rule.PermissionSet!, cancellationToken).ConfigureAwait(false)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var what = rule.IdentityCenterGroup is { } g ? $"Identity Center group '{g}'" : $"permission set '{rule.PermissionSet}'";
                throw new ConfigurationException([$"Mappings '{rule.Name}': {what} could not be resolved: {ex.Message} Check the name in IAM Identity Center, or use the id/ARN."], ex);
            }
        }

        return resolved;
    }
}
