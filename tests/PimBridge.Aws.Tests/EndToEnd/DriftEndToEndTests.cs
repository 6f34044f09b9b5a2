using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using static PimBridge.Aws.Tests.EndToEnd.MotoEngine;

namespace PimBridge.Aws.Tests.EndToEnd;

/// <summary>
/// The drift sweep over the real adapters against moto, for a group mapping (the CLI's verify tests cover account
/// assignments): a membership another hand removed is restored, one another hand added is reported and left.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class DriftEndToEndTests(MotoFixture moto)
{
    private readonly MotoSeed _seed = new(moto);

    [Fact]
    public async Task A_membership_another_hand_removed_is_restored_and_one_it_added_is_reported_and_left()
    {
        var userName = MotoSeed.Unique("drift-grp") + "@example.com";
        var userId = await _seed.CreateUserAsync(userName);
        var scimUser = await _seed.CreateUserAsync(MotoSeed.Unique("drift-scim") + "@example.com");
        var groupName = MotoSeed.Unique("drift-grp");
        var groupId = await _seed.CreateGroupAsync(groupName);
        await using var e = await StartAsync(moto, GroupMapping("platform", groupName));
        e.Activate(userName, "platform", TimeSpan.FromHours(2));
        await e.ReconcileAsync();
        await e.SettleAsync();
        Assert.Equal([groupId], await e.GroupsOfAsync(userId));

        // An administrator removes the user from the group; SCIM adds someone else.
        var identityStoreId = await _seed.IdentityStoreIdAsync();
        var membership = await moto.IdentityStore.ListGroupMembershipsForMemberAsync(new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = identityStoreId, MemberId = MemberId.User(userId),
        }).SingleAsync();
        await moto.IdentityStore.DeleteGroupMembershipAsync(new DeleteGroupMembershipRequest { IdentityStoreId = identityStoreId, MembershipId = membership.MembershipId! });
        await _seed.AddToGroupAsync(groupId, scimUser);
        e.Advance(DriftSweep.ListingLag);

        var report = await e.Sweep.RunAsync(repair: true);
        await e.SettleAsync();

        Assert.Empty(report.Unchecked);
        Assert.Equal(
            [(DriftKind.MissingAccess, Entitlement.GroupMembership(userId, groupId).Key, true), (DriftKind.StandingAccess, Entitlement.GroupMembership(scimUser, groupId).Key, true)],
            report.Drifts.Select(d => (d.Kind, d.Subject, d.Repaired == true)).OrderBy(d => d.Kind));
        Assert.Equal([groupId], await e.GroupsOfAsync(userId));
        Assert.Equal([groupId], await e.GroupsOfAsync(scimUser));
        Assert.Empty(await e.Store.ListFencesAsync(openOnly: true));
    }
}
