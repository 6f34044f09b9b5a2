using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PimBridge.Host.Events;

namespace PimBridge.Host.Security;

/// <summary>
/// Authenticates Event Grid deliveries by either credential that is configured: a Microsoft Entra bearer token
/// (signature checked against the key source, then issuer, audience and lifetime), or the shared secret in the
/// configured header or query parameter (compared in constant time). One valid credential suffices. Nothing configured
/// means every delivery is refused: the endpoint fails closed.
/// </summary>
public sealed class DeliveryAuthenticator
{
    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly PimBridgeHostOptions _options;
    private readonly ISigningKeySource? _keys;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public DeliveryAuthenticator(IOptions<PimBridgeHostOptions> options, TimeProvider time, ISigningKeySource? keys = null)
    {
        _options = options.Value;
        _time = time;
        _keys = keys ?? (_options.Bearer.MetadataAddress is { Length: > 0 } metadata ? new OpenIdConnectSigningKeySource(metadata) : null);
    }

    public async Task<AuthResult> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var bearer = _options.Bearer;
        var secret = _options.SharedSecret;
        if (_options.MissingDeliveryAuthentication is { } missing)
            return new(false, missing);

        var failures = new List<string>();
        var authorization = request.Headers.Authorization.ToString();
        if (bearer.Enabled && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var problem = await ValidateBearerAsync(authorization["Bearer ".Length..].Trim(), cancellationToken).ConfigureAwait(false);
            if (problem is null) return new(true, "bearer token");
            failures.Add($"bearer token rejected: {problem}");
        }

        if (secret.Enabled)
        {
            if (!string.IsNullOrWhiteSpace(secret.HeaderName) && request.Headers.TryGetValue(secret.HeaderName, out var header))
            {
                if (EventIngestor.FixedTimeEquals(secret.Secret!, header.ToString())) return new(true, "shared secret header");
                failures.Add($"the shared secret in header {secret.HeaderName} does not match");
            }

            if (!string.IsNullOrWhiteSpace(secret.QueryParameter) && request.Query.TryGetValue(secret.QueryParameter, out var query))
            {
                if (EventIngestor.FixedTimeEquals(secret.Secret!, query.ToString())) return new(true, "shared secret query parameter");
                failures.Add($"the shared secret in query parameter {secret.QueryParameter} does not match");
            }
        }

        if (failures.Count > 0) return new(false, string.Join("; ", failures));
        var expected = new List<string>();
        if (bearer.Enabled) expected.Add("an Authorization: Bearer token");
        if (secret.Enabled && !string.IsNullOrWhiteSpace(secret.HeaderName)) expected.Add($"the shared secret in header {secret.HeaderName}");
        if (secret.Enabled && !string.IsNullOrWhiteSpace(secret.QueryParameter)) expected.Add($"the shared secret in query parameter {secret.QueryParameter}");
        return new(false, "no credentials: send " + string.Join(" or ", expected));
    }

    /// <summary>Lifetime on the injected clock (the default validator reads the system clock).</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var skew = parameters.ClockSkew;
        if (expires is not { } exp)
            throw new SecurityTokenNoExpirationException("The token has no expiration time.");
        if (notBefore is { } nbf && nbf > now + skew)
            throw new SecurityTokenNotYetValidException($"The token is not valid before {nbf:O}.") { NotBefore = nbf };
        if (exp < now - skew)
            throw new SecurityTokenExpiredException($"The token expired at {exp:O}.") { Expires = exp };
        return true;
    }

    /// <summary>Null when the token is valid; otherwise why not. A token signed by an unknown key refreshes the keys once (rotation).</summary>
    private async Task<string?> ValidateBearerAsync(string token, CancellationToken cancellationToken)
    {
        if (_keys is null)
            return $"no signing keys: set {PimBridgeHostOptions.Section}:Bearer:MetadataAddress";
        for (var attempt = 1; ; attempt++)
        {
            var (keys, issuer) = await _keys.GetAsync(cancellationToken).ConfigureAwait(false);
            var issuers = _options.Bearer.ValidIssuers.Where(i => !string.IsNullOrWhiteSpace(i)).ToList();
            var parameters = new TokenValidationParameters
            {
                ValidIssuers = issuers.Count > 0 ? issuers : issuer is null ? [] : [issuer],
                ValidateIssuer = true,
                ValidAudiences = _options.Bearer.ValidAudiences.Where(a => !string.IsNullOrWhiteSpace(a)).ToList(),
                ValidateAudience = true,
                IssuerSigningKeys = keys,
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ValidateLifetime = true,
                ClockSkew = _options.Bearer.ClockSkew,
                ValidAlgorithms = AsymmetricAlgorithms,
                LifetimeValidator = ValidateLifetime,
            };
            var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
            if (result.IsValid) return null;
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException && attempt == 1)
            {
                _keys.RequestRefresh();
                continue;
            }

            return result.Exception switch
            {
                SecurityTokenExpiredException => "expired",
                SecurityTokenNotYetValidException => "not yet valid",
                SecurityTokenNoExpirationException => "no expiration time",
                SecurityTokenInvalidAudienceException => "wrong audience",
                SecurityTokenInvalidIssuerException => "wrong issuer",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "bad signature",
                SecurityTokenInvalidAlgorithmException => "signing algorithm not accepted",
                SecurityTokenMalformedException => "malformed token",
                { } other => $"invalid ({other.GetType().Name})",
                null => "invalid",
            };
        }
    }
}
