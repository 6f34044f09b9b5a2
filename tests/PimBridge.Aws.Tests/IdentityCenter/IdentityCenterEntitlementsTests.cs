using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.Tests.IdentityCenter;

/// <summary>The entitlement adapter against moto, every effect read back through the typed clients.</summary>
[Collection(MotoCollection.Name)]
public sealed class IdentityCenterEntitlementsTests(MotoFixture moto) : IDisposable
{
    private readonly MotoSeed _seed = new(moto);
    private readonly MotoExchangeRecorder _recorder = new();
    private SsoAdminClient? _ssoAdmin;
    private IdentityStoreClient? _identityStore;

    public void Dispose()
    {
        _ssoAdmin?.Dispose();
        _identityStore?.Dispose();
        _recorder.Dispose();
    }

    // ---- group memberships ----

    [Fact]
    public async Task Group_membership_grant_makes_it_active_and_revoke_removes_it()
    {
        var (target, userId, groupId) = await NewMembershipAsync("gm-rt");
        var entitlement = Entitlement.GroupMembership(userId, groupId);

        Assert.False(await target.IsActiveAsync(entitlement));
        await target.GrantAsync(entitlement);
        var activeAfterGrant = await target.IsActiveAsync(entitlement);
        var membershipsAfterGrant = await MembershipsAsync(userId);
        await target.RevokeAsync(entitlement);
        var activeAfterRevoke = await target.IsActiveAsync(entitlement);

        Assert.True(activeAfterGrant);
        var membership = Assert.Single(membershipsAfterGrant);
        Assert.Equal(groupId, membership.GroupId);
        Assert.Equal(userId, membership.MemberId?.UserId);
        Assert.False(activeAfterRevoke);
        Assert.Empty(await MembershipsAsync(userId));
    }

    [Fact]
    public async Task Granting_a_membership_twice_succeeds_and_leaves_exactly_one_membership()
    {
        var (target, userId, groupId) = await NewMembershipAsync("gm-twice");
        var entitlement = Entitlement.GroupMembership(userId, groupId);

        await target.GrantAsync(entitlement);
        await target.GrantAsync(entitlement);

        Assert.Single(await MembershipsAsync(userId), m => m.GroupId == groupId);
        // The second grant read first and did not write: moto would have stored a duplicate.
        Assert.Single(_recorder.Of("CreateGroupMembership"));
        Assert.True(await target.IsActiveAsync(entitlement));
    }

    [Fact]
    public async Task Revoking_a_membership_twice_succeeds_and_leaves_none()
    {
        var (target, userId, groupId) = await NewMembershipAsync("gm-revoke2");
        var entitlement = Entitlement.GroupMembership(userId, groupId);
        await target.GrantAsync(entitlement);

        await target.RevokeAsync(entitlement);
        await target.RevokeAsync(entitlement);

        Assert.Empty(await MembershipsAsync(userId));
        Assert.Single(_recorder.Of("DeleteGroupMembership"));
        Assert.False(await target.IsActiveAsync(entitlement));
    }

    [Fact]
    public async Task Revoking_a_never_granted_membership_succeeds_without_deleting_anything()
    {
        var (target, userId, groupId) = await NewMembershipAsync("gm-never");

        await target.RevokeAsync(Entitlement.GroupMembership(userId, groupId));

        Assert.Empty(_recorder.Of("DeleteGroupMembership"));
        Assert.Empty(await MembershipsAsync(userId));
    }

    [Fact]
    public async Task Membership_operations_touch_only_their_own_group()
    {
        var (target, userId, groupId) = await NewMembershipAsync("gm-other");
        var standingGroup = await _seed.CreateGroupAsync(MotoSeed.Unique("gm-standing"));
        var standingMembership = await _seed.AddToGroupAsync(standingGroup, userId);
        var entitlement = Entitlement.GroupMembership(userId, groupId);

        var activeBeforeGrant = await target.IsActiveAsync(entitlement);
        await target.GrantAsync(entitlement);
        await target.RevokeAsync(entitlement);

        Assert.False(activeBeforeGrant); // a membership of another group does not count
        var remaining = Assert.Single(await MembershipsAsync(userId));
        Assert.Equal((standingMembership, standingGroup), (remaining.MembershipId, remaining.GroupId));
        Assert.True(await target.IsActiveAsync(Entitlement.GroupMembership(userId, standingGroup)));
    }

    // ---- account assignments ----

    [Fact]
    public async Task Account_assignment_grant_makes_it_active_and_revoke_removes_it()
    {
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-rt");
        var entitlement = Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId);

        Assert.False(await target.IsActiveAsync(entitlement));
        await target.GrantAsync(entitlement);
        var activeAfterGrant = await target.IsActiveAsync(entitlement);
        var assignmentsAfterGrant = await AssignmentsAsync(permissionSetArn);
        await target.RevokeAsync(entitlement);
        var activeAfterRevoke = await target.IsActiveAsync(entitlement);

        Assert.True(activeAfterGrant);
        var assignment = Assert.Single(assignmentsAfterGrant);
        Assert.Equal((MotoSeed.AccountId, permissionSetArn, PrincipalTypes.User, userId),
            (assignment.AccountId, assignment.PermissionSetArn, assignment.PrincipalType, assignment.PrincipalId));
        Assert.False(activeAfterRevoke);
        Assert.Empty(await AssignmentsAsync(permissionSetArn));
        Assert.Equal(["CreateAccountAssignment", "DeleteAccountAssignment"],
            _recorder.Exchanges.Select(e => e.Operation).Where(o => o.EndsWith("AccountAssignment", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Granting_an_assignment_twice_succeeds_and_leaves_exactly_one_assignment()
    {
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-twice");
        var entitlement = Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId);

        await target.GrantAsync(entitlement);
        await target.GrantAsync(entitlement);

        Assert.Single(await AssignmentsAsync(permissionSetArn));
        Assert.Single(_recorder.Of("CreateAccountAssignment"));
        Assert.True(await target.IsActiveAsync(entitlement));
    }

    [Fact]
    public async Task Revoking_an_assignment_twice_succeeds_and_leaves_none()
    {
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-revoke2");
        var entitlement = Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId);
        await target.GrantAsync(entitlement);

        Assert.Equal(EntitlementChange.Made, await target.RevokeAsync(entitlement));
        Assert.Equal(EntitlementChange.Found, await target.RevokeAsync(entitlement));

        Assert.Empty(await AssignmentsAsync(permissionSetArn));
        // The second deletion is still sent (a creation in progress is not listed) and answered "not found".
        Assert.Equal([200, 400], _recorder.Of("DeleteAccountAssignment").Select(e => e.Status));
        Assert.False(await target.IsActiveAsync(entitlement));
    }

    [Fact]
    public async Task Revoking_a_never_granted_assignment_succeeds_without_deleting_anything()
    {
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-never");

        Assert.Equal(EntitlementChange.Found, await target.RevokeAsync(Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId)));

        Assert.Equal(400, Assert.Single(_recorder.Of("DeleteAccountAssignment")).Status); // ResourceNotFoundException
        Assert.Empty(await AssignmentsAsync(permissionSetArn));
    }

    [Fact]
    public async Task Assignments_of_other_principals_and_accounts_neither_count_nor_get_removed()
    {
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-others");
        var group = await _seed.CreateGroupAsync(MotoSeed.Unique("aa-others"));
        var otherUser = await _seed.CreateUserAsync(MotoSeed.Unique("aa-others") + "@example.com");
        await _seed.AssignAsync(permissionSetArn, PrincipalTypes.Group, group);
        await _seed.AssignAsync(permissionSetArn, PrincipalTypes.User, otherUser);
        await _seed.AssignAsync(permissionSetArn, PrincipalTypes.User, userId, MotoSeed.OtherAccountId);
        var entitlement = Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId);

        var activeBeforeGrant = await target.IsActiveAsync(entitlement);
        await target.GrantAsync(entitlement);
        await target.RevokeAsync(entitlement);

        Assert.False(activeBeforeGrant);
        Assert.Equal(
            new[] { (PrincipalTypes.Group, group), (PrincipalTypes.User, otherUser) }.Order(),
            (await AssignmentsAsync(permissionSetArn)).Select(a => (a.PrincipalType!, a.PrincipalId!)).Order());
        Assert.Single(await AssignmentsAsync(permissionSetArn, MotoSeed.OtherAccountId));
        Assert.True(await target.IsActiveAsync(Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.OtherAccountId)));
    }

    [Fact]
    public async Task The_existence_check_reads_the_users_own_assignments_not_every_holder_of_the_permission_set()
    {
        // A permission set with more holders than one page: listing them all would cost a call per hundred holders
        // for every grant (issue 15). The user's own assignments in the account are one call, whoever else holds it.
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-holders");
        for (var i = 0; i < 101; i++)
            await _seed.AssignAsync(permissionSetArn, PrincipalTypes.User, await _seed.CreateUserAsync(MotoSeed.Unique("aa-holder") + "@example.com"));
        var otherSet = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("aa-holders-other"));
        await _seed.AssignAsync(otherSet, PrincipalTypes.User, userId); // the same user and account, another permission set
        var entitlement = Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId);

        var activeBefore = await target.IsActiveAsync(entitlement);
        var granted = await target.GrantAsync(entitlement);
        var activeAfter = await target.IsActiveAsync(entitlement);
        var revoked = await target.RevokeAsync(entitlement);

        Assert.False(activeBefore);
        Assert.Equal(EntitlementChange.Made, granted);
        Assert.True(activeAfter);
        Assert.Equal(EntitlementChange.Made, revoked);
        Assert.Empty(_recorder.Of("ListAccountAssignments"));
        // IsActive, the grant's check, IsActive, the revoke's confirmation: one call each.
        Assert.Equal(4, _recorder.Of("ListAccountAssignmentsForPrincipal").Count);
        Assert.All(_recorder.Of("ListAccountAssignmentsForPrincipal"), e => Assert.Contains(MotoSeed.AccountId, e.RequestBody, StringComparison.Ordinal));
        Assert.Equal(101, (await AssignmentsAsync(permissionSetArn)).Count);
        Assert.Single(await AssignmentsAsync(otherSet));
    }

    [Fact]
    public async Task An_entitlement_without_its_target_is_rejected_before_any_call()
    {
        var target = new IdentityCenterEntitlements(SsoAdmin(), IdentityStore(), await OptionsAsync());

        await Assert.ThrowsAsync<ArgumentException>(() =>
            target.GrantAsync(new Entitlement(EntitlementKind.GroupMembership, "u-1", null, null, null)));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            target.RevokeAsync(new Entitlement(EntitlementKind.AccountAssignment, "u-1", null, "arn:aws:sso:::permissionSet/x", null)));

        Assert.Empty(_recorder.Exchanges);
    }

    // ---- helpers ----

    // ---- listings for the drift sweep ----

    [Fact]
    public async Task A_groups_listing_names_its_user_members_whoever_added_them()
    {
        var (target, userId, groupId) = await NewMembershipAsync("gm-list");
        var other = await _seed.CreateUserAsync(MotoSeed.Unique("gm-list-other") + "@example.com");
        await target.GrantAsync(Entitlement.GroupMembership(userId, groupId));
        await _seed.AddToGroupAsync(groupId, other);

        var users = await target.ListUsersAsync(AccessTarget.Group(groupId));

        Assert.Equal(new[] { userId, other }.Order(), users.Order());
        Assert.Single(_recorder.Of("ListGroupMemberships"));
    }

    [Fact]
    public async Task An_assignment_listing_names_the_users_assigned_the_permission_set_in_the_account()
    {
        var (target, userId, permissionSetArn) = await NewAssignmentAsync("aa-list");
        var empty = await target.ListUsersAsync(AccessTarget.Assignment(permissionSetArn, MotoSeed.AccountId));
        await target.GrantAsync(Entitlement.AccountAssignment(userId, permissionSetArn, MotoSeed.AccountId));

        var users = await target.ListUsersAsync(AccessTarget.Assignment(permissionSetArn, MotoSeed.AccountId));

        Assert.Empty(empty);
        Assert.Equal([userId], users);
    }

    private async Task<(IdentityCenterEntitlements Target, string UserId, string GroupId)> NewMembershipAsync(string prefix)
    {
        var userId = await _seed.CreateUserAsync(MotoSeed.Unique(prefix) + "@example.com");
        var groupId = await _seed.CreateGroupAsync(MotoSeed.Unique(prefix));
        return (new IdentityCenterEntitlements(SsoAdmin(), IdentityStore(), await OptionsAsync()), userId, groupId);
    }

    private async Task<(IdentityCenterEntitlements Target, string UserId, string PermissionSetArn)> NewAssignmentAsync(string prefix)
    {
        var userId = await _seed.CreateUserAsync(MotoSeed.Unique(prefix) + "@example.com");
        var permissionSetArn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique(prefix));
        return (new IdentityCenterEntitlements(SsoAdmin(), IdentityStore(), await OptionsAsync()), userId, permissionSetArn);
    }

    private async Task<IdentityCenterAdapterOptions> OptionsAsync() => new()
    {
        InstanceArn = await _seed.InstanceArnAsync(),
        IdentityStoreId = await _seed.IdentityStoreIdAsync(),
    };

    private SsoAdminClient SsoAdmin() => _ssoAdmin ??= moto.RecordingSsoAdmin(_recorder);

    private IdentityStoreClient IdentityStore() => _identityStore ??= moto.RecordingIdentityStore(_recorder);

    private async Task<List<GroupMembership>> MembershipsAsync(string userId) =>
        await moto.IdentityStore.ListGroupMembershipsForMemberAsync(new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = await _seed.IdentityStoreIdAsync(), MemberId = MemberId.User(userId),
        }).ToListAsync();

    private async Task<List<AccountAssignment>> AssignmentsAsync(string permissionSetArn, string accountId = MotoSeed.AccountId) =>
        await moto.SsoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = await _seed.InstanceArnAsync(), AccountId = accountId, PermissionSetArn = permissionSetArn,
        }).ToListAsync();
}
