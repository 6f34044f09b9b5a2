using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Transport;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// Grants and revokes entitlements in IAM Identity Center: a group membership through Identity Store, an account
/// assignment through sso-admin. It only translates: every write reads AWS first, "already exists" and "already gone"
/// are success, and every other failure propagates for the engine to retry with backoff.
/// </summary>
internal sealed class IdentityCenterEntitlements : IEntitlementTarget
{
    private const string ConflictException = "ConflictException";
    private const string UniquenessConstraintViolation = "UNIQUENESS_CONSTRAINT_VIOLATION";

    private readonly SsoAdminClient _ssoAdmin;
    private readonly IdentityStoreClient _identityStore;
    private readonly IdentityCenterAdapterOptions _options;
    private readonly OperationsInProgress _inProgress;

    /// <param name="time">The clock that times operations left running; the system clock when null.</param>
    public IdentityCenterEntitlements(SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, IdentityCenterAdapterOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(ssoAdmin);
        ArgumentNullException.ThrowIfNull(identityStore);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ssoAdmin = ssoAdmin;
        _identityStore = identityStore;
        _options = options;
        _inProgress = new OperationsInProgress(options, time ?? TimeProvider.System);
    }

    public async Task<bool> IsActiveAsync(Entitlement entitlement, CancellationToken cancellationToken = default) =>
        Check(entitlement).Kind == EntitlementKind.GroupMembership
            ? (await FindMembershipIdsAsync(entitlement, cancellationToken).ConfigureAwait(false)).Count > 0
            : await AssignmentExistsAsync(entitlement, cancellationToken).ConfigureAwait(false);

    public Task<EntitlementChange> GrantAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default) =>
        Check(entitlement).Kind == EntitlementKind.GroupMembership
            ? AddMembershipAsync(entitlement, beforeChange ?? NoCallback, cancellationToken)
            : CreateAssignmentAsync(entitlement, beforeChange ?? NoCallback, cancellationToken);

    public Task<EntitlementChange> RevokeAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default) =>
        Check(entitlement).Kind == EntitlementKind.GroupMembership
            ? RemoveMembershipAsync(entitlement, beforeChange ?? NoCallback, cancellationToken)
            : DeleteAssignmentAsync(entitlement, beforeChange ?? NoCallback, cancellationToken);

    public async Task<IReadOnlyList<string>> ListUsersAsync(AccessTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var users = new List<string>();
        if (target.Kind == EntitlementKind.GroupMembership)
        {
            // 100 a page, the most AWS allows, so a sweep's cost is one call per hundred holders.
            var request = new ListGroupMembershipsRequest { IdentityStoreId = _options.IdentityStoreId, GroupId = target.GroupId!, MaxResults = 100 };
            await foreach (var membership in _identityStore.ListGroupMembershipsAsync(request, cancellationToken).ConfigureAwait(false))
            {
                // Only users are members of Identity Center groups; a member without one is not the documented shape.
                users.Add(membership.MemberId?.UserId is { Length: > 0 } user ? user
                    : throw new AwsServiceException(AwsService.IdentityStoreName, "ListGroupMemberships", 200, AwsServiceException.MalformedResponse, "a membership lacks MemberId.UserId"));
            }

            return users;
        }

        var assignments = new ListAccountAssignmentsRequest { InstanceArn = _options.InstanceArn, AccountId = target.AccountId!, PermissionSetArn = target.PermissionSetArn!, MaxResults = 100 };
        await foreach (var assignment in _ssoAdmin.ListAccountAssignmentsAsync(assignments, cancellationToken).ConfigureAwait(false))
        {
            if (assignment.PrincipalType == PrincipalTypes.User)
                users.Add(assignment.PrincipalId is { Length: > 0 } user ? user
                    : throw new AwsServiceException(AwsService.SsoAdminName, "ListAccountAssignments", 200, AwsServiceException.MalformedResponse, "an assignment lacks PrincipalId"));
        }

        return users;
    }

    private static Task NoCallback(CancellationToken cancellationToken) => Task.CompletedTask;

    // ---- group memberships (identitystore) ----

    /// <summary>
    /// The ids of the user's memberships in the group: at most one on AWS, which enforces uniqueness; moto does not, so
    /// callers handle several.
    /// </summary>
    /// <remarks>
    /// On AWS, <c>IsMemberInGroups</c> or <c>GetGroupMembershipId</c> would answer in one call. moto 5.2.1 implements
    /// neither, so the adapter could not be tested against it. <c>ListGroupMembershipsForMember</c> works on both and
    /// also yields the membership id Revoke needs; its cost is one call per page of the user's groups, and a user
    /// belongs to few groups.
    /// </remarks>
    private async Task<List<string>> FindMembershipIdsAsync(Entitlement entitlement, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        var request = new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = _options.IdentityStoreId,
            MemberId = MemberId.User(entitlement.UserId),
        };
        await foreach (var membership in _identityStore.ListGroupMembershipsForMemberAsync(request, cancellationToken).ConfigureAwait(false))
        {
            if (SameId(membership.GroupId, entitlement.GroupId) && !string.IsNullOrEmpty(membership.MembershipId))
                ids.Add(membership.MembershipId);
        }

        return ids;
    }

    private async Task<EntitlementChange> AddMembershipAsync(Entitlement entitlement, Func<CancellationToken, Task> beforeChange, CancellationToken cancellationToken)
    {
        if ((await FindMembershipIdsAsync(entitlement, cancellationToken).ConfigureAwait(false)).Count > 0)
            return EntitlementChange.Found;
        await beforeChange(cancellationToken).ConfigureAwait(false);
        try
        {
            await _identityStore.CreateGroupMembershipAsync(new GroupMembershipRequest
            {
                IdentityStoreId = _options.IdentityStoreId,
                GroupId = entitlement.GroupId!,
                MemberId = MemberId.User(entitlement.UserId),
            }, cancellationToken).ConfigureAwait(false);
            return EntitlementChange.Made;
        }
        catch (AwsServiceException e) when (e.ErrorCode == ConflictException && e.Reason == UniquenessConstraintViolation)
        {
            // It exists, which is what Grant promises; it may be this very creation whose first response was lost.
            return EntitlementChange.Made;
        }
    }

    private async Task<EntitlementChange> RemoveMembershipAsync(Entitlement entitlement, Func<CancellationToken, Task> beforeChange, CancellationToken cancellationToken)
    {
        List<string> ids;
        try
        {
            ids = await FindMembershipIdsAsync(entitlement, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (e.IsNotFound && e.ResourceType is "USER" or "GROUP")
        {
            // The user (or group) is gone, and with it every membership. Any other missing resource (the identity
            // store itself) is a misconfiguration and must fail: reporting it as revoked could leave access behind.
            return EntitlementChange.Found;
        }

        var change = EntitlementChange.Found;
        if (ids.Count > 0) await beforeChange(cancellationToken).ConfigureAwait(false);
        foreach (var membershipId in ids)
        {
            try
            {
                await _identityStore.DeleteGroupMembershipAsync(new DeleteGroupMembershipRequest
                {
                    IdentityStoreId = _options.IdentityStoreId,
                    MembershipId = membershipId,
                }, cancellationToken).ConfigureAwait(false);
                change = EntitlementChange.Made;
            }
            catch (AwsServiceException e) when (e.IsNotFound)
            {
                // Already gone (perhaps by this very deletion, whose first response was lost).
                change = EntitlementChange.Made;
            }
        }

        return change;
    }

    // ---- account assignments (sso-admin) ----

    /// <remarks>
    /// Reads the user's own assignments in the account (<c>ListAccountAssignmentsForPrincipal</c> with
    /// <c>Filter.AccountId</c>), not every holder of the permission set there (<c>ListAccountAssignments</c>): one call
    /// whoever else holds it, where the full listing cost a call per hundred holders for each grant. The rows are still
    /// checked against the whole key, as the filter is AWS's and the answer is untrusted.
    /// </remarks>
    private async Task<bool> AssignmentExistsAsync(Entitlement entitlement, CancellationToken cancellationToken)
    {
        var request = new ListAccountAssignmentsForPrincipalRequest
        {
            InstanceArn = _options.InstanceArn,
            PrincipalId = entitlement.UserId,
            PrincipalType = PrincipalTypes.User,
            Filter = new ListAccountAssignmentsFilter { AccountId = entitlement.AccountId },
            MaxResults = 100,
        };
        await foreach (var assignment in _ssoAdmin.ListAccountAssignmentsForPrincipalAsync(request, cancellationToken).ConfigureAwait(false))
        {
            if (assignment.AccountId == entitlement.AccountId
                && assignment.PermissionSetArn == entitlement.PermissionSetArn
                && assignment.PrincipalType == PrincipalTypes.User
                && SameId(assignment.PrincipalId, entitlement.UserId))
                return true;
        }

        return false;
    }

    private async Task<EntitlementChange> CreateAssignmentAsync(Entitlement entitlement, Func<CancellationToken, Task> beforeChange, CancellationToken cancellationToken)
    {
        const string Operation = "CreateAccountAssignment";
        var change = "create|" + entitlement.Key;
        if (_inProgress.Take(change) is { } running)
        {
            await _inProgress.ResumeAsync(change, Operation, running, id => _ssoAdmin.DescribeAccountAssignmentCreationStatusAsync(
                new() { InstanceArn = _options.InstanceArn, AccountAssignmentCreationRequestId = id }, cancellationToken)).ConfigureAwait(false);
        }

        if (await AssignmentExistsAsync(entitlement, cancellationToken).ConfigureAwait(false))
            return EntitlementChange.Found;
        await beforeChange(cancellationToken).ConfigureAwait(false);
        try
        {
            var since = _inProgress.Now;
            var started = await _ssoAdmin.CreateAccountAssignmentAsync(AssignmentRequest(entitlement), cancellationToken).ConfigureAwait(false);
            var status = await _ssoAdmin.PollAccountAssignmentCreationAsync(_options.InstanceArn, started.AccountAssignmentCreationStatus!, _inProgress.Wait, cancellationToken).ConfigureAwait(false);
            _inProgress.RequireSucceeded(change, Operation, status, since);
            return EntitlementChange.Made;
        }
        catch (AwsServiceException e) when (e.ErrorCode == ConflictException)
        {
            // sso-admin answers ConflictException while another operation on the same assignment is settling (and,
            // in one reading, when it already exists); the transport has already retried it. If that other operation
            // created the assignment, the grant holds.
            if (!await AssignmentExistsAsync(entitlement, cancellationToken).ConfigureAwait(false))
                throw;
            return EntitlementChange.Made; // a creation was sent: the assignment may be its doing
        }
    }

    /// <remarks>
    /// An assignment whose creation is still IN_PROGRESS is not listed, so "not listed" is not "gone": the deletion is
    /// sent anyway. AWS answers ConflictException while another operation on the assignment runs (which propagates:
    /// the engine retries until the creation has settled) and ResourceNotFoundException when there is nothing to delete.
    /// </remarks>
    private async Task<EntitlementChange> DeleteAssignmentAsync(Entitlement entitlement, Func<CancellationToken, Task> beforeChange, CancellationToken cancellationToken)
    {
        const string Operation = "DeleteAccountAssignment";
        var change = "delete|" + entitlement.Key;
        if (_inProgress.Take(change) is { } running)
        {
            await _inProgress.ResumeAsync(change, Operation, running, id => _ssoAdmin.DescribeAccountAssignmentDeletionStatusAsync(
                new() { InstanceArn = _options.InstanceArn, AccountAssignmentDeletionRequestId = id }, cancellationToken)).ConfigureAwait(false);
        }

        await beforeChange(cancellationToken).ConfigureAwait(false);
        try
        {
            var since = _inProgress.Now;
            var started = await _ssoAdmin.DeleteAccountAssignmentAsync(AssignmentRequest(entitlement), cancellationToken).ConfigureAwait(false);
            var status = await _ssoAdmin.PollAccountAssignmentDeletionAsync(_options.InstanceArn, started.AccountAssignmentDeletionStatus!, _inProgress.Wait, cancellationToken).ConfigureAwait(false);
            _inProgress.RequireSucceeded(change, Operation, status, since);
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            // Nothing to delete (or its permission set is gone, which takes the assignment with it).
            return EntitlementChange.Found;
        }
        catch (AwsOperationException e) when (!e.TimedOut)
        {
            // A deletion that FAILED may have had nothing to delete; only a listing tells. Still listed: retry.
            if (await AssignmentExistsAsync(entitlement, cancellationToken).ConfigureAwait(false))
                throw;
            return EntitlementChange.Found;
        }

        // A deletion that succeeded leaves nothing listed; one that raced a creation may not have.
        if (await AssignmentExistsAsync(entitlement, cancellationToken).ConfigureAwait(false))
            throw new InvalidOperationException($"The assignment {entitlement.Key} is still listed after its deletion succeeded; another operation re-created it.");
        return EntitlementChange.Made;
    }

    private AccountAssignmentRequest AssignmentRequest(Entitlement entitlement) => new()
    {
        InstanceArn = _options.InstanceArn,
        TargetId = entitlement.AccountId!,
        TargetType = ProvisionTargetTypes.AwsAccount,
        PermissionSetArn = entitlement.PermissionSetArn!,
        PrincipalType = PrincipalTypes.User,
        PrincipalId = entitlement.UserId,
    };

    // ---- helpers ----

    /// <summary>Identity Center ids are lowercase GUIDs (with an optional hex prefix); compare them without regard to case.</summary>
    private static bool SameId(string? a, string? b) => a is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static Entitlement Check(Entitlement entitlement)
    {
        ArgumentNullException.ThrowIfNull(entitlement);
        if (string.IsNullOrWhiteSpace(entitlement.UserId))
            throw new ArgumentException($"The entitlement has no Identity Center user id: {entitlement}.", nameof(entitlement));
        switch (entitlement.Kind)
        {
            case EntitlementKind.GroupMembership when string.IsNullOrWhiteSpace(entitlement.GroupId):
                throw new ArgumentException($"A group-membership entitlement needs a GroupId: {entitlement}.", nameof(entitlement));
            case EntitlementKind.AccountAssignment when string.IsNullOrWhiteSpace(entitlement.PermissionSetArn) || string.IsNullOrWhiteSpace(entitlement.AccountId):
                throw new ArgumentException($"An account-assignment entitlement needs a PermissionSetArn and an AccountId: {entitlement}.", nameof(entitlement));
            case EntitlementKind.GroupMembership or EntitlementKind.AccountAssignment:
                return entitlement;
            default:
                throw new ArgumentException($"Unknown entitlement kind {entitlement.Kind}.", nameof(entitlement));
        }
    }
}
