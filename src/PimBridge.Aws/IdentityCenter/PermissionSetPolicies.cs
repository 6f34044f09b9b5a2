using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// Reads and writes a permission set's inline policy, where session fences live, and pushes every write to the roles
/// the permission set has in accounts.
/// </summary>
internal sealed class PermissionSetPolicies : IPermissionSetPolicies
{
    private readonly SsoAdminClient _ssoAdmin;
    private const string Provision = "ProvisionPermissionSet";
    private static readonly TimeSpan ConflictRetryAfter = TimeSpan.FromSeconds(2);

    private readonly IdentityCenterAdapterOptions _options;
    private readonly OperationsInProgress _inProgress;

    /// <param name="time">The clock that times provisioning left running; the system clock when null.</param>
    public PermissionSetPolicies(SsoAdminClient ssoAdmin, IdentityCenterAdapterOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(ssoAdmin);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ssoAdmin = ssoAdmin;
        _options = options;
        _inProgress = new OperationsInProgress(options, time ?? TimeProvider.System);
    }

    public async Task<string?> GetInlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(permissionSetArn);
        try
        {
            // The client already reports "", null and an absent member alike as null.
            var response = await _ssoAdmin.GetInlinePolicyForPermissionSetAsync(Request(permissionSetArn), cancellationToken).ConfigureAwait(false);
            return response.InlinePolicy;
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            if (await DeletedPermissionSets.IsDeletedAsync(_ssoAdmin, _options.InstanceArn, permissionSetArn, cancellationToken).ConfigureAwait(false))
                throw new PermissionSetDeletedException(permissionSetArn);
            throw;
        }
    }

    public async Task WriteInlinePolicyAsync(string permissionSetArn, string? policy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(permissionSetArn);
        await ResumeProvisioningAsync(permissionSetArn, cancellationToken).ConfigureAwait(false); // a write now would conflict with it
        await RefusedWhileBusyAsync(permissionSetArn, "the inline policy of", () => policy is null
            ? DeleteAsync(permissionSetArn, cancellationToken)
            : _ssoAdmin.PutInlinePolicyToPermissionSetAsync(new PutInlinePolicyToPermissionSetRequest
            {
                InstanceArn = _options.InstanceArn,
                PermissionSetArn = permissionSetArn,
                InlinePolicy = policy,
            }, cancellationToken)).ConfigureAwait(false);

        // Provision even when the write changed nothing (a delete of an absent policy, a put of the same document): a
        // retried write may follow one whose provisioning never ran or failed, and only provisioning moves the policy
        // to the roles.
        await ProvisionAsync(permissionSetArn, cancellationToken).ConfigureAwait(false);
    }

    /// <remarks>
    /// Asks which accounts lack the latest version (<c>LATEST_PERMISSION_SET_NOT_PROVISIONED</c>). moto ignores that
    /// filter and lists every account, so against it this always provisions: more work, never less safety.
    /// </remarks>
    public async Task<bool> ProvisionWhereStaleAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(permissionSetArn);
        await ResumeProvisioningAsync(permissionSetArn, cancellationToken).ConfigureAwait(false);
        var request = new ListAccountsForProvisionedPermissionSetRequest
        {
            InstanceArn = _options.InstanceArn, PermissionSetArn = permissionSetArn, ProvisioningStatus = ProvisioningStatuses.LatestNotProvisioned,
        };
        await foreach (var _ in _ssoAdmin.ListAccountsForProvisionedPermissionSetAsync(request, cancellationToken).ConfigureAwait(false))
        {
            await ProvisionAsync(permissionSetArn, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <remarks>
    /// AWS puts each account under one status. moto ignores the filter and lists every account under both, so the
    /// other status is asked too when any account is listed: an account under both means the filter was not applied.
    /// </remarks>
    public async Task<IReadOnlyList<string>?> ListStaleAccountsAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(permissionSetArn);
        var stale = await AccountsAsync(ProvisioningStatuses.LatestNotProvisioned).ConfigureAwait(false);
        if (stale.Count == 0) return stale;
        var current = await AccountsAsync(ProvisioningStatuses.LatestProvisioned).ConfigureAwait(false);
        return stale.Any(current.Contains) ? null : stale;

        async Task<List<string>> AccountsAsync(string status)
        {
            var request = new ListAccountsForProvisionedPermissionSetRequest { InstanceArn = _options.InstanceArn, PermissionSetArn = permissionSetArn, ProvisioningStatus = status };
            var accounts = new List<string>();
            await foreach (var account in _ssoAdmin.ListAccountsForProvisionedPermissionSetAsync(request, cancellationToken).ConfigureAwait(false))
                accounts.Add(account);
            return accounts;
        }
    }

    private async Task DeleteAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        try
        {
            await _ssoAdmin.DeleteInlinePolicyFromPermissionSetAsync(Request(permissionSetArn), cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            // Either the policy or the permission set is missing, and only the first is "already deleted". Ask: a
            // missing permission set makes this read throw PermissionSetDeletedException.
            if (await GetInlinePolicyAsync(permissionSetArn, cancellationToken).ConfigureAwait(false) is not null)
                throw;
        }
    }

    /// <summary>
    /// Runs a policy write or a provisioning. Still refused with ConflictException after the transport's retries, it is
    /// handed back as <see cref="OperationInProgressException"/>: AWS provisions a permission set as part of each
    /// assignment operation on it (a mass expiry's deletions) and refuses both meanwhile. Its turn comes as an operation
    /// IN_PROGRESS ends: look again shortly, no failure counted.
    /// </summary>
    private static async Task RefusedWhileBusyAsync(string permissionSetArn, string what, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (e.ErrorCode == "ConflictException")
        {
            throw new OperationInProgressException(
                $"sso-admin refused {what} {permissionSetArn} for now ({e.Message}); PimBridge tries again in {ConflictRetryAfter.TotalSeconds:0} s.",
                ConflictRetryAfter);
        }
    }

    /// <summary>
    /// Pushes the permission set to every account it is provisioned in and waits until that has finished, or hands
    /// back <see cref="OperationInProgressException"/> after the adapter's wait (the next call resumes it).
    /// </summary>
    private async Task ProvisionAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        // A permission set provisioned nowhere has no roles for the change to reach, and AWS may reject
        // ALL_PROVISIONED_ACCOUNTS when there are none. Skipping is safe: the next CreateAccountAssignment provisions the
        // permission set to its account with the policy as it is then, this write included.
        if (!await IsProvisionedAnywhereAsync(permissionSetArn, cancellationToken).ConfigureAwait(false))
            return;
        var since = _inProgress.Now;
        ProvisionPermissionSetResponse? started = null;
        await RefusedWhileBusyAsync(permissionSetArn, "to start provisioning", async () => started = await _ssoAdmin.ProvisionPermissionSetAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = _options.InstanceArn,
            PermissionSetArn = permissionSetArn,
            TargetType = ProvisionTargetTypes.AllProvisionedAccounts,
        }, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        var status = await _ssoAdmin.PollPermissionSetProvisioningAsync(_options.InstanceArn, started!.PermissionSetProvisioningStatus!, _inProgress.Wait, cancellationToken).ConfigureAwait(false);
        _inProgress.RequireSucceeded(permissionSetArn, Provision, status, since);
    }

    /// <summary>
    /// Looks at a provisioning of this permission set left running: still running, the caller waits its turn again;
    /// ended (either way), the caller goes on, reading what the accounts carry.
    /// </summary>
    private async Task ResumeProvisioningAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        if (_inProgress.Take(permissionSetArn) is { } running)
        {
            await _inProgress.ResumeAsync(permissionSetArn, Provision, running, id => _ssoAdmin.DescribePermissionSetProvisioningStatusAsync(
                new() { InstanceArn = _options.InstanceArn, ProvisionPermissionSetRequestId = id }, cancellationToken)).ConfigureAwait(false);
        }
    }

    private async Task<bool> IsProvisionedAnywhereAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        var request = new ListAccountsForProvisionedPermissionSetRequest { InstanceArn = _options.InstanceArn, PermissionSetArn = permissionSetArn };
        await foreach (var _ in _ssoAdmin.ListAccountsForProvisionedPermissionSetAsync(request, cancellationToken).ConfigureAwait(false))
            return true; // one account is enough: stop paging
        return false;
    }

    private PermissionSetRequest Request(string permissionSetArn) => new() { InstanceArn = _options.InstanceArn, PermissionSetArn = permissionSetArn };
}
