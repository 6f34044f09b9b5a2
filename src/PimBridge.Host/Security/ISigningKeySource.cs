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
