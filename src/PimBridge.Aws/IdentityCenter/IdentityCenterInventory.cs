using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// What an Identity Center instance holds that a configuration refers to, read-only, for <c>pimbridge init --from-aws</c>:
/// its instances (ARN and identity store), and each permission set's name with the accounts it is provisioned to.
/// Permissions: sso:ListInstances, sso:ListPermissionSets, sso:DescribePermissionSet, sso:ListAccountsForProvisionedPermissionSet.
/// </summary>
public static class IdentityCenterInventory
{
    /// <summary>The instances the caller can see in the client's Region (an organization has one; account instances add more).</summary>
    public static async Task<IReadOnlyList<InstanceMetadata>> InstancesAsync(SsoAdminClient ssoAdmin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ssoAdmin);
        var instances = new List<InstanceMetadata>();
        await foreach (var instance in ssoAdmin.ListInstancesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!string.IsNullOrWhiteSpace(instance.InstanceArn) && !string.IsNullOrWhiteSpace(instance.IdentityStoreId))
                instances.Add(instance);
        }

        return instances;
    }

    /// <summary>Every permission set of the instance by name (case-insensitive order), with the accounts it is provisioned to.</summary>
    public static async Task<IReadOnlyList<PermissionSetInventory>> PermissionSetsAsync(SsoAdminClient ssoAdmin, string instanceArn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ssoAdmin);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceArn);
        var sets = new List<PermissionSetInventory>();
        await foreach (var arn in ssoAdmin.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = instanceArn }, cancellationToken).ConfigureAwait(false))
        {
            var described = (await ssoAdmin.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = instanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false)).PermissionSet;
            var accounts = new SortedSet<string>(StringComparer.Ordinal);
            await foreach (var account in ssoAdmin.ListAccountsForProvisionedPermissionSetAsync(
                new ListAccountsForProvisionedPermissionSetRequest { InstanceArn = instanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false))
                accounts.Add(account);
            // A set AWS describes without a name is still listed, by ARN: a configuration may name a permission set either way.
            sets.Add(new PermissionSetInventory(arn, string.IsNullOrWhiteSpace(described?.Name) ? arn : described.Name, described?.Description, [.. accounts]));
        }

        return [.. sets.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)];
    }
}
