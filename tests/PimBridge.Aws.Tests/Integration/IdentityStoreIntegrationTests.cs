using PimBridge.Aws.IdentityStore;

namespace PimBridge.Aws.Tests.Integration;

[Collection(MotoCollection.Name)]
public sealed class IdentityStoreIntegrationTests(MotoFixture moto)
{
    private readonly MotoSeed _seed = new(moto);

    [Fact]
    public async Task GetUserId_finds_the_user_by_userName()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var name = MotoSeed.Unique("by-name") + "@example.com";
        await _seed.CreateUserAsync(MotoSeed.Unique("decoy") + "@example.com");
        var created = await _seed.CreateUserAsync(name);

        var found = await moto.IdentityStore.GetUserIdAsync(new GetUserIdRequest
        {
            IdentityStoreId = storeId,
            AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, name),
        });

        Assert.Equal(created, found.UserId);
        Assert.Equal(storeId, found.IdentityStoreId);
    }

    [Fact]
    public async Task GetUserId_finds_the_user_by_emails_value()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var email = MotoSeed.Unique("mail") + "@corp.example.com";
        await _seed.CreateUserAsync(MotoSeed.Unique("decoy"), MotoSeed.Unique("decoy") + "@corp.example.com");
        var created = await _seed.CreateUserAsync(MotoSeed.Unique("by-mail"), email);

        var found = await moto.IdentityStore.GetUserIdAsync(new GetUserIdRequest
        {
            IdentityStoreId = storeId,
            AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.Email, email),
        });

        Assert.Equal(created, found.UserId);
    }

    [Fact]
    public async Task GetGroupId_finds_the_group_by_displayName()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var name = MotoSeed.Unique("grp");
        await _seed.CreateGroupAsync(MotoSeed.Unique("decoy"));
        var created = await _seed.CreateGroupAsync(name);

        var found = await moto.IdentityStore.GetGroupIdAsync(new GetGroupIdRequest
        {
            IdentityStoreId = storeId,
            AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.GroupDisplayName, name),
        });

        Assert.Equal(created, found.GroupId);
        Assert.Equal(storeId, found.IdentityStoreId);
    }

    [Fact]
    public async Task DescribeUser_returns_the_profile_the_user_was_created_with()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var name = MotoSeed.Unique("describe");
        var email = name + "@example.com";
        var userId = await _seed.CreateUserAsync(name, email);

        var user = await moto.IdentityStore.DescribeUserAsync(new DescribeUserRequest { IdentityStoreId = storeId, UserId = userId });

        Assert.Equal(userId, user.UserId);
        Assert.Equal(storeId, user.IdentityStoreId);
        Assert.Equal(name, user.UserName);
        Assert.Equal(name, user.DisplayName);
        Assert.Equal("Test", user.Name?.GivenName);
        Assert.Equal(name, user.Name?.FamilyName);
        Assert.Null(user.ExternalIds); // moto sends an explicit "ExternalIds": null
        var mail = Assert.Single(user.Emails ?? []);
        Assert.Equal(email, mail.Value);
        Assert.Equal("work", mail.Type);
        Assert.True(mail.Primary);
    }

    [Fact]
    public async Task CreateGroupMembership_is_listed_for_the_member_and_DeleteGroupMembership_removes_only_that_one()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var userId = await _seed.CreateUserAsync(MotoSeed.Unique("member") + "@example.com");
        var keptGroup = await _seed.CreateGroupAsync(MotoSeed.Unique("kept"));
        var leftGroup = await _seed.CreateGroupAsync(MotoSeed.Unique("left"));

        var kept = await moto.IdentityStore.CreateGroupMembershipAsync(new GroupMembershipRequest
        {
            IdentityStoreId = storeId, GroupId = keptGroup, MemberId = MemberId.User(userId),
        });
        var left = await moto.IdentityStore.CreateGroupMembershipAsync(new GroupMembershipRequest
        {
            IdentityStoreId = storeId, GroupId = leftGroup, MemberId = MemberId.User(userId),
        });
        var listRequest = new ListGroupMembershipsForMemberRequest { IdentityStoreId = storeId, MemberId = MemberId.User(userId) };
        var before = await moto.IdentityStore.ListGroupMembershipsForMemberAsync(listRequest).ToListAsync();
        await moto.IdentityStore.DeleteGroupMembershipAsync(new DeleteGroupMembershipRequest { IdentityStoreId = storeId, MembershipId = left.MembershipId! });
        var after = await moto.IdentityStore.ListGroupMembershipsForMemberAsync(listRequest).ToListAsync();

        Assert.Equal(storeId, kept.IdentityStoreId);
        Assert.True(Guid.TryParse(kept.MembershipId, out _), $"MembershipId '{kept.MembershipId}' is not a GUID");
        Assert.NotEqual(kept.MembershipId, left.MembershipId);
        Assert.Equal(
            new[] { (kept.MembershipId!, keptGroup), (left.MembershipId!, leftGroup) }.Order(),
            before.Select(m => (m.MembershipId!, m.GroupId!)).Order());
        Assert.All(before, m =>
        {
            Assert.Equal(storeId, m.IdentityStoreId);
            Assert.Equal(userId, m.MemberId?.UserId);
        });
        var remaining = Assert.Single(after);
        Assert.Equal(kept.MembershipId, remaining.MembershipId);
        Assert.Equal(keptGroup, remaining.GroupId);
    }

    [Fact]
    public async Task ListGroupMembershipsForMember_with_MaxResults_1_streams_every_membership_exactly_once_over_several_pages()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var userId = await _seed.CreateUserAsync(MotoSeed.Unique("pages") + "@example.com");
        var otherUser = await _seed.CreateUserAsync(MotoSeed.Unique("pages") + "@example.com");
        var memberships = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var group = await _seed.CreateGroupAsync(MotoSeed.Unique("pages"));
            memberships.Add(await _seed.AddToGroupAsync(group, userId));
            await _seed.AddToGroupAsync(group, otherUser); // the same groups, another member: not listed
        }

        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingIdentityStore(recorder);

        var listed = await client.ListGroupMembershipsForMemberAsync(new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = storeId, MemberId = MemberId.User(userId), MaxResults = 1,
        }).ToListAsync();

        Assert.Equal(memberships.Order(), listed.Select(m => m.MembershipId!).Order());
        Assert.All(listed, m => Assert.Equal(userId, m.MemberId?.UserId));
        var pages = recorder.Of("ListGroupMembershipsForMember");
        Assert.Equal(3, pages.Count);
        MotoAssert.TokensChained(pages);
    }
}
