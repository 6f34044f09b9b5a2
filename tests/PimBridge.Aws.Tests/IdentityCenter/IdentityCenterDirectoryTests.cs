using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.IdentityCenter;

/// <summary>The directory adapter against moto: what it reads, and how long it keeps it (on a manual clock).</summary>
[Collection(MotoCollection.Name)]
public sealed class IdentityCenterDirectoryTests(MotoFixture moto) : IDisposable
{
    private readonly MotoSeed _seed = new(moto);
    private readonly MotoExchangeRecorder _recorder = new();
    private readonly ManualTimeProvider _time = new();
    private SsoAdminClient? _ssoAdmin;
    private IdentityStoreClient? _identityStore;

    public void Dispose()
    {
        _ssoAdmin?.Dispose();
        _identityStore?.Dispose();
        _recorder.Dispose();
    }

    // ---- group assignments ----

    [Fact]
    public async Task Group_assignments_list_every_permission_set_and_account_of_the_group_only()
    {
        var directory = await NewAsync();
        var group = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-ga"));
        var readOnly = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-ga-ro"));
        var admin = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-ga-adm"));
        await _seed.AssignAsync(readOnly, PrincipalTypes.Group, group);
        await _seed.AssignAsync(readOnly, PrincipalTypes.Group, group, MotoSeed.OtherAccountId);
        await _seed.AssignAsync(admin, PrincipalTypes.Group, group);
        var user = await _seed.CreateUserAsync(MotoSeed.Unique("dir-ga") + "@example.com");
        await _seed.AssignAsync(admin, PrincipalTypes.User, user, MotoSeed.OtherAccountId); // a user's: not listed
        var otherGroup = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-ga-other"));
        await _seed.AssignAsync(admin, PrincipalTypes.Group, otherGroup, MotoSeed.OtherAccountId); // another group's

        var assignments = await directory.GetGroupAssignmentsAsync(group);

        Assert.Equal(
            new[]
            {
                new PermissionSetAccount(readOnly, MotoSeed.AccountId),
                new PermissionSetAccount(readOnly, MotoSeed.OtherAccountId),
                new PermissionSetAccount(admin, MotoSeed.AccountId),
            }.OrderBy(a => a.ToString()),
            assignments.OrderBy(a => a.ToString()));
        var request = Assert.Single(_recorder.Of("ListAccountAssignmentsForPrincipal")).Request;
        Assert.Equal(PrincipalTypes.Group, request.GetProperty("PrincipalType").GetString());
        Assert.Equal(group, request.GetProperty("PrincipalId").GetString());
    }

    [Fact]
    public async Task A_group_without_assignments_has_none()
    {
        var directory = await NewAsync();

        Assert.Empty(await directory.GetGroupAssignmentsAsync(await _seed.CreateGroupAsync(MotoSeed.Unique("dir-ga-none"))));
    }

    [Fact]
    public async Task Group_assignments_are_cached_within_the_TTL_and_read_again_after_it()
    {
        var directory = await NewAsync(TimeSpan.FromSeconds(60));
        var group = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-ttl"));
        var first = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-ttl-1"));
        var second = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-ttl-2"));
        await _seed.AssignAsync(first, PrincipalTypes.Group, group);

        var initial = await directory.GetGroupAssignmentsAsync(group);
        await _seed.AssignAsync(second, PrincipalTypes.Group, group); // changes AWS, not the cache
        _time.Advance(TimeSpan.FromSeconds(59));
        var cached = await directory.GetGroupAssignmentsAsync(group);
        var requestsWhileCached = _recorder.Of("ListAccountAssignmentsForPrincipal").Count;
        _time.Advance(TimeSpan.FromSeconds(1));
        var refreshed = await directory.GetGroupAssignmentsAsync(group);

        Assert.Equal(new[] { new PermissionSetAccount(first, MotoSeed.AccountId) }, initial);
        Assert.Equal(initial, cached);
        Assert.Equal(1, requestsWhileCached);
        Assert.Equal(2, _recorder.Of("ListAccountAssignmentsForPrincipal").Count);
        Assert.Equal(
            new[] { first, second }.Order(),
            refreshed.Select(a => a.PermissionSetArn).Order());
    }

    [Fact]
    public async Task Groups_are_cached_separately()
    {
        var directory = await NewAsync();
        var ps = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-sep"));
        var a = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-sep-a"));
        var b = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-sep-b"));
        await _seed.AssignAsync(ps, PrincipalTypes.Group, a);

        var ofA = await directory.GetGroupAssignmentsAsync(a);
        var ofB = await directory.GetGroupAssignmentsAsync(b);
        await directory.GetGroupAssignmentsAsync(a);
        await directory.GetGroupAssignmentsAsync(b);

        Assert.Single(ofA);
        Assert.Empty(ofB);
        Assert.Equal(2, _recorder.Of("ListAccountAssignmentsForPrincipal").Count);
    }

    [Fact]
    public async Task A_zero_TTL_reads_every_time()
    {
        var directory = await NewAsync(TimeSpan.Zero);
        var group = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-zero"));

        await directory.GetGroupAssignmentsAsync(group);
        await directory.GetGroupAssignmentsAsync(group);

        Assert.Equal(2, _recorder.Of("ListAccountAssignmentsForPrincipal").Count);
    }

    // ---- session durations ----

    [Theory]
    [InlineData("PT4H", 240)]
    [InlineData("PT1H", 60)]
    [InlineData("PT12H", 720)]
    [InlineData("PT1H30M", 90)]
    public async Task Session_duration_is_read_from_the_permission_sets_ISO_8601_SessionDuration(string sessionDuration, int minutes)
    {
        var directory = await NewAsync();
        var arn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-sd"), sessionDuration);

        Assert.Equal(TimeSpan.FromMinutes(minutes), await directory.GetSessionDurationAsync(arn));
    }

    [Fact]
    public async Task Session_duration_is_read_fresh_every_time_even_within_the_cache_TTL()
    {
        // A duration raised within the cache's lifetime must not be missed: sessions minted under it would outlive
        // a fence planned with the older value.
        var directory = await NewAsync(TimeSpan.FromSeconds(60));
        var arn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-sd-fresh"), "PT2H");

        var first = await directory.GetSessionDurationAsync(arn);
        _time.Advance(TimeSpan.FromSeconds(30));
        var second = await directory.GetSessionDurationAsync(arn);

        Assert.Equal(TimeSpan.FromHours(2), first);
        Assert.Equal(first, second);
        Assert.Equal(2, _recorder.Of("DescribePermissionSet").Count);
    }

    [Fact]
    public async Task Session_duration_of_a_permission_set_the_instance_does_not_list_says_it_does_not_exist()
    {
        var directory = await NewAsync();
        var arn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-sd-unknown"));

        var failure = await Assert.ThrowsAsync<PermissionSetDeletedException>(() => directory.GetSessionDurationAsync(arn[..^4] + "ffff"));

        Assert.Equal(arn[..^4] + "ffff", failure.PermissionSetArn);
    }

    // ---- permission set names ----

    [Fact]
    public async Task A_permission_set_name_resolves_to_its_ARN_and_an_ARN_to_itself()
    {
        var directory = await NewAsync();
        var name = MotoSeed.Unique("dir-name");
        var arn = await _seed.CreatePermissionSetAsync(name);
        await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-name-decoy"));

        var byName = await directory.ResolvePermissionSetArnAsync(name);
        var requestsAfterName = _recorder.Exchanges.Count;
        var byArn = await directory.ResolvePermissionSetArnAsync(arn);

        Assert.Equal(arn, byName);
        Assert.Equal(arn, byArn);
        Assert.Equal(requestsAfterName, _recorder.Exchanges.Count); // an ARN needs no call
        Assert.StartsWith("arn:aws:sso:::instance/ssoins-", arn); // moto's shape, accepted as is
    }

    [Fact]
    public async Task Permission_set_names_are_cached_and_a_new_name_is_found_by_listing_again_without_describing_known_sets()
    {
        var directory = await NewAsync();
        var firstName = MotoSeed.Unique("dir-cat-1");
        var first = await _seed.CreatePermissionSetAsync(firstName);

        Assert.Equal(first, await directory.ResolvePermissionSetArnAsync(firstName));
        var describesForFirstListing = _recorder.Of("DescribePermissionSet").Count;
        var listsForFirst = _recorder.Of("ListPermissionSets").Count;
        Assert.Equal(first, await directory.ResolvePermissionSetArnAsync(firstName));
        var listsWhileCached = _recorder.Of("ListPermissionSets").Count;

        var secondName = MotoSeed.Unique("dir-cat-2");
        var second = await _seed.CreatePermissionSetAsync(secondName);
        Assert.Equal(second, await directory.ResolvePermissionSetArnAsync(secondName));

        Assert.True(describesForFirstListing >= 1);
        Assert.Equal(listsForFirst, listsWhileCached); // a cached name costs nothing
        Assert.True(_recorder.Of("ListPermissionSets").Count > listsWhileCached); // a new name lists again
        // ... and describes only the permission set it had not seen (moto's other tests may add more concurrently).
        var newDescribes = _recorder.Of("DescribePermissionSet").Skip(describesForFirstListing)
            .Select(e => e.Request.GetProperty("PermissionSetArn").GetString()).ToList();
        Assert.Contains(second, newDescribes);
        Assert.DoesNotContain(first, newDescribes);
    }

    [Fact]
    public async Task An_unknown_permission_set_name_fails_naming_the_name()
    {
        var directory = await NewAsync();
        var name = MotoSeed.Unique("dir-missing");

        var failure = await Assert.ThrowsAsync<IdentityCenterNameNotFoundException>(() => directory.ResolvePermissionSetArnAsync(name));

        Assert.Equal("permission set", failure.Kind);
        Assert.Equal(name, failure.Name);
        Assert.Contains($"'{name}'", failure.Message);
        Assert.Contains(await _seed.InstanceArnAsync(), failure.Message);
        Assert.IsAssignableFrom<KeyNotFoundException>(failure);
    }

    // ---- group names ----

    [Fact]
    public async Task A_group_display_name_resolves_to_its_id_and_is_cached()
    {
        var directory = await NewAsync();
        var name = MotoSeed.Unique("dir-group");
        var id = await _seed.CreateGroupAsync(name);
        await _seed.CreateGroupAsync(MotoSeed.Unique("dir-group-decoy"));

        var resolved = await directory.ResolveGroupIdAsync(name);
        var again = await directory.ResolveGroupIdAsync(name);

        Assert.Equal(id, resolved);
        Assert.Equal(id, again);
        var lookup = Assert.Single(_recorder.Of("GetGroupId")).Request.GetProperty("AlternateIdentifier").GetProperty("UniqueAttribute");
        Assert.Equal(UniqueAttributePaths.GroupDisplayName, lookup.GetProperty("AttributePath").GetString());
        Assert.Equal(name, lookup.GetProperty("AttributeValue").GetString());
    }

    [Fact]
    public async Task A_group_id_resolves_to_itself_without_a_call()
    {
        var directory = await NewAsync();
        var id = await _seed.CreateGroupAsync(MotoSeed.Unique("dir-group-id"));

        Assert.Equal(id, await directory.ResolveGroupIdAsync(id));
        Assert.Equal("976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa", await directory.ResolveGroupIdAsync("976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa"));
        Assert.Empty(_recorder.Exchanges);
    }

    [Fact]
    public async Task An_unknown_group_name_fails_naming_the_name()
    {
        var directory = await NewAsync();
        var name = MotoSeed.Unique("dir-group-missing");

        var failure = await Assert.ThrowsAsync<IdentityCenterNameNotFoundException>(() => directory.ResolveGroupIdAsync(name));

        Assert.Equal("group", failure.Kind);
        Assert.Equal(name, failure.Name);
        Assert.Contains($"'{name}'", failure.Message);
        Assert.Contains(await _seed.IdentityStoreIdAsync(), failure.Message);
        Assert.True(Assert.IsType<AwsServiceException>(failure.InnerException).IsNotFound);
    }

    // ---- the factory ----

    [Fact]
    public async Task The_factory_builds_all_three_adapters_over_the_same_clients()
    {
        var options = await OptionsAsync(TimeSpan.FromSeconds(60));
        var adapters = IdentityCenterAdapters.Create(SsoAdmin(), IdentityStore(), options, _time);
        var userId = await _seed.CreateUserAsync(MotoSeed.Unique("dir-factory") + "@example.com");
        var groupName = MotoSeed.Unique("dir-factory");
        var groupId = await _seed.CreateGroupAsync(groupName);
        var arn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("dir-factory"));

        var resolvedGroup = await adapters.Directory.ResolveGroupIdAsync(groupName);
        await adapters.Entitlements.GrantAsync(Entitlement.GroupMembership(userId, resolvedGroup));
        await adapters.Policies.WriteInlinePolicyAsync(arn, """{"Version":"2012-10-17","Statement":[]}""");

        Assert.Equal(groupId, resolvedGroup);
        Assert.True(await adapters.Entitlements.IsActiveAsync(Entitlement.GroupMembership(userId, groupId)));
        Assert.NotNull(await adapters.Policies.GetInlinePolicyAsync(arn));
        Assert.Contains(_recorder.Exchanges, e => e.Operation == "CreateGroupMembership");
        Assert.Contains(_recorder.Exchanges, e => e.Operation == "PutInlinePolicyToPermissionSet");
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentException>(() => IdentityCenterAdapters.Create(moto.SsoAdmin, moto.IdentityStore,
            new IdentityCenterAdapterOptions { InstanceArn = "", IdentityStoreId = "d-1234567890" }));
        Assert.Throws<ArgumentException>(() => IdentityCenterAdapters.Create(moto.SsoAdmin, moto.IdentityStore,
            new IdentityCenterAdapterOptions { InstanceArn = "arn:aws:sso:::instance/ssoins-1234567890abcdef", IdentityStoreId = " " }));
        Assert.Throws<ArgumentException>(() => IdentityCenterAdapters.Create(moto.SsoAdmin, moto.IdentityStore,
            new IdentityCenterAdapterOptions { InstanceArn = "arn:aws:sso:::instance/ssoins-1234567890abcdef", IdentityStoreId = "d-1234567890", CacheTtl = TimeSpan.FromSeconds(-1) }));
        var configured = IdentityCenterAdapterOptions.From(new Core.Configuration.IdentityCenterOptions
        {
            InstanceArn = "arn:aws:sso:::instance/ssoins-1234567890abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1",
        });
        Assert.Equal(("arn:aws:sso:::instance/ssoins-1234567890abcdef", "d-1234567890", TimeSpan.FromSeconds(60)),
            (configured.InstanceArn, configured.IdentityStoreId, configured.CacheTtl));
    }

    // ---- helpers ----

    private async Task<IdentityCenterDirectory> NewAsync(TimeSpan? ttl = null) =>
        new(SsoAdmin(), IdentityStore(), await OptionsAsync(ttl ?? IdentityCenterAdapterOptions.DefaultCacheTtl), _time);

    private async Task<IdentityCenterAdapterOptions> OptionsAsync(TimeSpan ttl) => new()
    {
        InstanceArn = await _seed.InstanceArnAsync(),
        IdentityStoreId = await _seed.IdentityStoreIdAsync(),
        CacheTtl = ttl,
    };

    // Name resolution describes every permission set the shared server holds: give these clients room.
    private SsoAdminClient SsoAdmin() => _ssoAdmin ??= moto.RecordingSsoAdmin(_recorder, o => o.RequestsPerSecond = 1000);

    private IdentityStoreClient IdentityStore() => _identityStore ??= moto.RecordingIdentityStore(_recorder, o => o.RequestsPerSecond = 1000);
}
