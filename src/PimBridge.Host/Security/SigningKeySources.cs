using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace PimBridge.Host.Security;

/// <summary>Where bearer tokens' signing keys (and the default issuer) come from.</summary>
public interface ISigningKeySource
{
    /// <summary>The current signing keys, and the issuer the source vouches for (null when it names none).</summary>
    Task<(IReadOnlyCollection<SecurityKey> Keys, string? Issuer)> GetAsync(CancellationToken cancellationToken);

    /// <summary>Asks for fresh keys at the next <see cref="GetAsync"/> (a token named a key we do not have: rotation).</summary>
    void RequestRefresh();
}

/// <summary>Keys from OpenID Connect metadata (Microsoft Entra's), cached and refreshed by <see cref="ConfigurationManager{T}"/>.</summary>
public sealed class OpenIdConnectSigningKeySource(string metadataAddress, HttpClient? http = null) : ISigningKeySource
{
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _configuration = new(
        metadataAddress, new OpenIdConnectConfigurationRetriever(), http is null ? new HttpDocumentRetriever() : new HttpDocumentRetriever(http));

    public async Task<(IReadOnlyCollection<SecurityKey> Keys, string? Issuer)> GetAsync(CancellationToken cancellationToken)
    {
        var configuration = await _configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        return (configuration.SigningKeys.ToList(), configuration.Issuer);
    }

    public void RequestRefresh() => _configuration.RequestRefresh();
}

/// <summary>Fixed keys: a locally generated key in tests, or keys pinned by configuration.</summary>
public sealed class StaticSigningKeySource(IReadOnlyCollection<SecurityKey> keys, string? issuer = null) : ISigningKeySource
{
    public Task<(IReadOnlyCollection<SecurityKey> Keys, string? Issuer)> GetAsync(CancellationToken cancellationToken) =>
        Task.FromResult((keys, issuer));

    public void RequestRefresh()
    {
    }
}
