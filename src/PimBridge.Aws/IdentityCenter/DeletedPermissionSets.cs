using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>Tells a deleted permission set from any other "not found".</summary>
internal static class DeletedPermissionSets
{
    /// <summary>
    /// Whether a permission set some call answered "not found" for is deleted: the instance answers and does not list
    /// it. A wrong instance fails here instead, since taking its "not found" for "deleted" would drop every fence.
    /// </summary>
    public static async Task<bool> IsDeletedAsync(SsoAdminClient ssoAdmin, string instanceArn, string permissionSetArn, CancellationToken cancellationToken)
    {
        await foreach (var arn in ssoAdmin.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = instanceArn }, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(arn, permissionSetArn, StringComparison.Ordinal))
                return false;
        }

        return true;
    }
}
