using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Core.Domain;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.IdentityCenter;

/// <summary>Entra user → Identity Center user, against moto's identity store.</summary>
[Collection(MotoCollection.Name)]
public sealed class IdentityStoreUserMappingTests(MotoFixture moto) : IDisposable
{
    private readonly MotoSeed _seed = new(moto);
    private readonly MotoExchangeRecorder _recorder = new();
    private readonly ManualTimeProvider _time = new();
    private IdentityStoreClient? _client;

    public void Dispose()
    {
        _client?.Dispose();
        _recorder.Dispose();
    }

    [Fact]
    public async Task The_userPrincipalName_finds_the_user_by_userName_and_returns_its_id_and_name()
    {
        var name = MotoSeed.Unique("map-upn") + "@contoso.com";
        var userId = await _seed.CreateUserAsync(name);
        var mapping = await NewAsync("userPrincipalName");

        var user = await mapping.FindAsync(new EntraPrincipal("entra-1", name, "someone.else@contoso.com"));

        Assert.Equal(new IdentityCenterUser(userId, name), user);
        Assert.Equal("Entra userPrincipalName → Identity Center userName", mapping.Describe);
    }

    [Fact]
    public async Task Mail_finds_the_user_by_emails_value_and_returns_its_Identity_Center_user_name()
    {
        var name = MotoSeed.Unique("map-mail");
        var mail = name + "@mail.contoso.com";
        var userId = await _seed.CreateUserAsync(name, mail);
        var mapping = await NewAsync("mail");

        var user = await mapping.FindAsync(new EntraPrincipal("entra-2", "upn-that-does-not-match@contoso.com", mail));

        Assert.Equal(new IdentityCenterUser(userId, name), user);
    }

    [Fact]
    public async Task A_user_with_no_counterpart_or_no_attribute_maps_to_null()
    {
        var mapping = await NewAsync("mail");

        Assert.Null(await mapping.FindAsync(new EntraPrincipal("entra-3", "x@contoso.com", MotoSeed.Unique("nobody") + "@contoso.com")));
        Assert.Null(await mapping.FindAsync(new EntraPrincipal("entra-4", "x@contoso.com", Mail: null)));
    }

    [Fact]
    public async Task A_found_user_is_cached_long_and_a_missing_one_briefly()
    {
        var name = MotoSeed.Unique("map-cache") + "@contoso.com";
        await _seed.CreateUserAsync(name);
        var missing = MotoSeed.Unique("map-later") + "@contoso.com";
        var mapping = await NewAsync("userPrincipalName");

        await mapping.FindAsync(new EntraPrincipal("e1", name));
        await mapping.FindAsync(new EntraPrincipal("e1", name));
        Assert.Null(await mapping.FindAsync(new EntraPrincipal("e2", missing)));
        Assert.Null(await mapping.FindAsync(new EntraPrincipal("e2", missing)));
        Assert.Equal(2, _recorder.Of("GetUserId").Count);

        await _seed.CreateUserAsync(missing); // provisioned after the alert
        _time.Advance(IdentityStoreUserMapping.DefaultMissingTtl);
        Assert.NotNull(await mapping.FindAsync(new EntraPrincipal("e2", missing)));
        Assert.NotNull(await mapping.FindAsync(new EntraPrincipal("e1", name)));
        Assert.Equal(3, _recorder.Of("GetUserId").Count); // the found user was still cached

        _time.Advance(IdentityStoreUserMapping.DefaultFoundTtl);
        await mapping.FindAsync(new EntraPrincipal("e1", name));
        Assert.Equal(4, _recorder.Of("GetUserId").Count);
    }

    [Fact]
    public void An_unknown_match_attribute_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new IdentityStoreUserMapping(moto.IdentityStore, "d-1234567890", "employeeId"));
        Assert.Contains("'userPrincipalName' or 'mail'", error.Message);
    }

    private async Task<IdentityStoreUserMapping> NewAsync(string matchUsersBy)
    {
        _client ??= moto.RecordingIdentityStore(_recorder, o => o.RequestsPerSecond = 1000);
        return new IdentityStoreUserMapping(_client, await _seed.IdentityStoreIdAsync(), matchUsersBy, _time);
    }
}
