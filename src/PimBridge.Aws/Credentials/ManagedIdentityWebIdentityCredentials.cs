using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Azure.Core;
using Azure.Identity;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace PimBridge.Aws.Credentials;

/// <summary>
/// AWS credentials for a host that runs in Azure: an Entra token from the host's managed identity is exchanged with STS
/// AssumeRoleWithWebIdentity for the role in <see cref="WebIdentityCredentialsOptions.RoleArn"/>, so no AWS secret is
/// stored in Azure. The temporary credentials are reused until <see cref="WebIdentityCredentialsOptions.RefreshMargin"/>
/// before they expire; concurrent callers then wait for one exchange instead of each making their own.
/// </summary>
public sealed class ManagedIdentityWebIdentityCredentials : AWSCredentials, IDisposable
{
    private readonly TokenCredential _entra;
    private readonly IAmazonSecurityTokenService _sts;
    private readonly bool _ownsSts;
    private readonly WebIdentityCredentialsOptions _options;
    private readonly StsCredentialsCache _cache;

    /// <param name="entra">Issues the web identity token; in Azure, the host's <see cref="ManagedIdentityCredential"/>.</param>
    /// <param name="sts">The STS client; AssumeRoleWithWebIdentity needs no AWS credentials, so an anonymous client.</param>
    /// <param name="ownsSts">Dispose <paramref name="sts"/> with this instance.</param>
    /// <exception cref="Core.Configuration.ConfigurationException">The options are incomplete or malformed.</exception>
    public ManagedIdentityWebIdentityCredentials(TokenCredential entra, IAmazonSecurityTokenService sts, WebIdentityCredentialsOptions options, bool ownsSts = false)
    {
        ArgumentNullException.ThrowIfNull(entra);
        ArgumentNullException.ThrowIfNull(sts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _entra = entra;
        _sts = sts;
        _ownsSts = ownsSts;
        _options = options;
        // The clock and margin are fixed here, where they were validated.
        _cache = new StsCredentialsCache(options.TimeProvider, options.RefreshMargin);
    }

    /// <summary>
    /// Credentials over an anonymous STS client of <paramref name="region"/>'s regional endpoint, or of
    /// <paramref name="endpoint"/> (an emulator or proxy) when given.
    /// </summary>
    public static ManagedIdentityWebIdentityCredentials Create(TokenCredential entra, WebIdentityCredentialsOptions options, string region, Uri? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = endpoint is null
            ? new AmazonSecurityTokenServiceConfig { RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region) }
            : new AmazonSecurityTokenServiceConfig { ServiceURL = endpoint.ToString(), AuthenticationRegion = region };
        var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config);
        return new ManagedIdentityWebIdentityCredentials(entra, sts, options, ownsSts: true);
    }

    public string RoleArn => _options.RoleArn.Trim();

    public string Audience => _options.AudienceClaim;

    /// <summary>When the credentials in use expire; null before the first exchange.</summary>
    public DateTimeOffset? CurrentExpiry => _cache.CurrentExpiry;

    public override ImmutableCredentials GetCredentials() => GetAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override Task<ImmutableCredentials> GetCredentialsAsync() => GetAsync(CancellationToken.None);

    /// <summary>The cached credentials, or new ones once the cached ones are within the refresh margin of expiry.</summary>
    /// <exception cref="WebIdentityCredentialsException">Entra issued no token, or STS refused it; the message says what to check.</exception>
    public Task<ImmutableCredentials> GetAsync(CancellationToken cancellationToken) => _cache.GetAsync(ExchangeAsync, cancellationToken);

    public void Dispose()
    {
        if (_ownsSts) _sts.Dispose();
        _cache.Dispose();
    }

    private async Task<StsCredentials> ExchangeAsync(CancellationToken cancellationToken)
    {
        var token = await EntraTokenAsync(cancellationToken).ConfigureAwait(false);
        var response = await AssumeRoleAsync(token, cancellationToken).ConfigureAwait(false);
        return response.Credentials
            ?? throw new WebIdentityCredentialsException($"STS AssumeRoleWithWebIdentity of {RoleArn} answered without credentials.");
    }

    private async Task<string> EntraTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            var token = await _entra.GetTokenAsync(new TokenRequestContext([_options.Scope]), cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(token.Token))
                throw new WebIdentityCredentialsException($"Entra returned an empty token for {_options.Scope}; the managed identity cannot be used to assume {RoleArn}.");
            return token.Token;
        }
        catch (Exception e) when (e is AuthenticationFailedException or Azure.RequestFailedException)
        {
            throw new WebIdentityCredentialsException(
                $"Could not get an Entra token for audience '{Audience}' (scope {_options.Scope}) to assume {RoleArn}: {e.Message.TrimEnd('.')}. " +
                "Check that the host has a managed identity enabled (system-assigned, or the user-assigned one whose client ID is configured) " +
                "and, for a custom audience, that the application ID URI exists in the tenant.", e);
        }
    }

    private async Task<AssumeRoleWithWebIdentityResponse> AssumeRoleAsync(string token, CancellationToken cancellationToken)
    {
        try
        {
            return await _sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
            {
                RoleArn = RoleArn,
                RoleSessionName = _options.SessionName,
                WebIdentityToken = token,
                DurationSeconds = _options.SessionDuration is { } d ? (int)d.TotalSeconds : null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            var claims = TokenClaims.Describe(token);
            throw new WebIdentityCredentialsException(
                $"STS AssumeRoleWithWebIdentity of {RoleArn} with the managed identity's Entra token for audience '{Audience}' failed " +
                $"({e.ErrorCode ?? e.StatusCode.ToString()}: {e.Message.TrimEnd('.')}). The token {claims}. Check that an IAM OIDC provider exists " +
                $"for the token's issuer with '{Audience}' among its client IDs, and that the role's trust policy allows " +
                "sts:AssumeRoleWithWebIdentity from that provider with conditions on '<provider>:aud' equal to the audience and " +
                "'<provider>:sub' equal to the managed identity's object (principal) ID.", e);
        }
    }

    /// <summary>Reads a JWT's iss, aud and sub without verifying it, only to name them in an error: STS verifies the token.</summary>
    private static class TokenClaims
    {
        public static string Describe(string token)
        {
            var parts = token.Split('.');
            if (parts.Length != 3)
                return "is not a JWT";
            try
            {
                var payload = parts[1].Replace('-', '+').Replace('_', '/');
                payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
                using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
                string Claim(string name) => document.RootElement.TryGetProperty(name, out var value) ? value.ToString() : "(none)";
                return $"has iss '{Claim("iss")}', aud '{Claim("aud")}', sub '{Claim("sub")}'";
            }
            catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
            {
                return "has a payload that is not readable JSON";
            }
        }
    }
}
