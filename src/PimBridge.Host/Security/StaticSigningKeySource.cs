using Microsoft.IdentityModel.Tokens;

namespace PimBridge.Host.Security;

/// <summary>Fixed keys: a locally generated key in tests, or keys pinned by configuration.</summary>
public sealed class StaticSigningKeySource(IReadOnlyCollection<SecurityKey> keys, string? issuer = null) : ISigningKeySource
{
    public Task<(IReadOnlyCollection<SecurityKey> Keys, string? Issuer)> GetAsync(CancellationToken cancellationToken) =>
        Task.FromResult((keys, issuer));

    public void RequestRefresh()
    {
    }
}
