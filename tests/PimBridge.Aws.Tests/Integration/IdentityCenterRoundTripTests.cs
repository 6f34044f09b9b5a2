using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>
/// The whole path PimBridge walks: find the user and group, grant through a group membership and an account
/// assignment with an inline policy, read every piece back through the typed clients, then revoke it all.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class IdentityCenterRoundTripTests(MotoFixture moto)
{
    private const string AccountId = "111111111111";
    private const string Policy = """{"Version":"2012-10-17","Statement":[{"Sid":"ReadLogs","Effect":"Allow","Action":["logs:Get*","logs:Describe*"],"Resource":"*"}]}""";

    [Fact]
    public async Task Granting_and_revoking_access_reads_back_through_the_typed_clients()
    {
        var seed = new MotoSeed(moto);
        var instance = await seed.InstanceAsync();
        var instanceArn = instance.InstanceArn!;
        var storeId = instance.IdentityStoreId!;
        var sso = moto.SsoAdmin;
        var store = moto.IdentityStore;

        // Seed what PimBridge only reads.
        var userName = MotoSeed.Unique("rt-user") + "@example.com";
        var groupName = MotoSeed.Unique("rt-group");
        var permissionSetName = MotoSeed.Unique("rt-ps");
        var seededUser = await seed.CreateUserAsync(userName, userName);
        var seededGroup = await seed.CreateGroupAsync(groupName);
        var permissionSetArn = await seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        var permissionSet = new PermissionSetRequest { InstanceArn = instanceArn, PermissionSetArn = permissionSetArn };

        // Look them up the way PimBridge does.
        var userId = (await store.GetUserIdAsync(new GetUserIdRequest
        {
            IdentityStoreId = storeId, AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, userName),
        })).UserId!;
        var groupId = (await store.GetGroupIdAsync(new GetGroupIdRequest
        {
            IdentityStoreId = storeId, AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.GroupDisplayName, groupName),
        })).GroupId!;
        var user = await store.DescribeUserAsync(new DescribeUserRequest { IdentityStoreId = storeId, UserId = userId });
        var described = (await sso.DescribePermissionSetAsync(permissionSet)).PermissionSet!;
        var permissionSets = await sso.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = instanceArn }).ToListAsync();

        Assert.Equal(seededUser, userId);
        Assert.Equal(seededGroup, groupId);
        Assert.Equal(userName, user.UserName);
        Assert.Equal(userName, Assert.Single(user.Emails ?? []).Value);
        Assert.Equal(permissionSetName, described.Name);
        Assert.Equal("PT1H", described.SessionDuration);
        Assert.Single(permissionSets, permissionSetArn);

        // Grant: membership, assignment, inline policy (provisioned again because an assignment now uses the set).
        var membershipId = (await store.CreateGroupMembershipAsync(new GroupMembershipRequest
        {
            IdentityStoreId = storeId, GroupId = groupId, MemberId = MemberId.User(userId),
        })).MembershipId!;
        var assignment = new AccountAssignmentRequest
        {
            InstanceArn = instanceArn, TargetId = AccountId, PermissionSetArn = permissionSetArn,
            PrincipalType = PrincipalTypes.User, PrincipalId = userId,
        };
        var created = await sso.CreateAccountAssignmentAndWaitAsync(assignment);
        await sso.PutInlinePolicyToPermissionSetAsync(new PutInlinePolicyToPermissionSetRequest
        {
            InstanceArn = instanceArn, PermissionSetArn = permissionSetArn, InlinePolicy = Policy,
        });
        var provisioned = await sso.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = instanceArn, PermissionSetArn = permissionSetArn, TargetType = ProvisionTargetTypes.AwsAccount, TargetId = AccountId,
        });

        Assert.Equal(OperationStatuses.Succeeded, created.Status);
        Assert.Equal(OperationStatuses.Succeeded, provisioned.Status);

        // Read the grant back.
        var memberships = await ListMembershipsAsync(storeId, userId);
        var assignments = await ListAssignmentsAsync(assignment);
        var forPrincipal = await ListForPrincipalAsync(instanceArn, userId);
        var policy = await sso.GetInlinePolicyForPermissionSetAsync(permissionSet);
        var accounts = await sso.ListAccountsForProvisionedPermissionSetAsync(new ListAccountsForProvisionedPermissionSetRequest
        {
            InstanceArn = instanceArn, PermissionSetArn = permissionSetArn,
        }).ToListAsync();

        var membership = Assert.Single(memberships);
        Assert.Equal(membershipId, membership.MembershipId);
        Assert.Equal(groupId, membership.GroupId);
        Assert.Equal(userId, membership.MemberId?.UserId);
        var assigned = Assert.Single(assignments);
        Assert.Equal((AccountId, permissionSetArn, PrincipalTypes.User, userId),
            (assigned.AccountId, assigned.PermissionSetArn, assigned.PrincipalType, assigned.PrincipalId));
        var forUser = Assert.Single(forPrincipal);
        Assert.Equal((AccountId, permissionSetArn), (forUser.AccountId, forUser.PermissionSetArn));
        Assert.Equal(Policy, policy.InlinePolicy);
        Assert.NotEmpty(accounts);

        // Revoke everything.
        var deleted = await sso.DeleteAccountAssignmentAndWaitAsync(assignment);
        await store.DeleteGroupMembershipAsync(new DeleteGroupMembershipRequest { IdentityStoreId = storeId, MembershipId = membershipId });
        await sso.DeleteInlinePolicyFromPermissionSetAsync(permissionSet);

        Assert.Equal(OperationStatuses.Succeeded, deleted.Status);
        Assert.Empty(await ListAssignmentsAsync(assignment));
        Assert.Empty(await ListForPrincipalAsync(instanceArn, userId));
        Assert.Empty(await ListMembershipsAsync(storeId, userId));
        Assert.Null((await sso.GetInlinePolicyForPermissionSetAsync(permissionSet)).InlinePolicy);
        // The identities and the permission set themselves are untouched.
        Assert.Equal(userName, (await store.DescribeUserAsync(new DescribeUserRequest { IdentityStoreId = storeId, UserId = userId })).UserName);
        Assert.Equal(permissionSetName, (await sso.DescribePermissionSetAsync(permissionSet)).PermissionSet?.Name);
    }

    private Task<List<GroupMembership>> ListMembershipsAsync(string storeId, string userId) =>
        moto.IdentityStore.ListGroupMembershipsForMemberAsync(new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = storeId, MemberId = MemberId.User(userId),
        }).ToListAsync().AsTask();

    private Task<List<AccountAssignment>> ListAssignmentsAsync(AccountAssignmentRequest assignment) =>
        moto.SsoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = assignment.InstanceArn, AccountId = assignment.TargetId, PermissionSetArn = assignment.PermissionSetArn,
        }).ToListAsync().AsTask();

    private Task<List<AccountAssignmentForPrincipal>> ListForPrincipalAsync(string instanceArn, string userId) =>
        moto.SsoAdmin.ListAccountAssignmentsForPrincipalAsync(new ListAccountAssignmentsForPrincipalRequest
        {
            InstanceArn = instanceArn, PrincipalId = userId, PrincipalType = PrincipalTypes.User,
            Filter = new ListAccountAssignmentsFilter { AccountId = AccountId },
        }).ToListAsync().AsTask();
}
