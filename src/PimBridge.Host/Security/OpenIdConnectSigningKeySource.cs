using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace PimBridge.Host.Security;

/// <summary>Keys from OpenID Connect metadata (Microsoft Entra's), cached and refreshed by <see cref="ConfigurationManager{T}"/>.</summary>
internal sealed class OpenIdConnectSigningKeySource(string metadataAddress, HttpClient? http = null) : ISigningKeySource
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
