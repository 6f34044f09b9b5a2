using System.Net;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using PimBridge.Aws.Credentials;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace PimBridge.Aws.Trails;

/// <summary>
/// Credentials of the read-only audit role in one member account, from STS AssumeRole, reused until shortly before they
/// expire. LookupEvents sees only the calling account, so each account needs its own. One instance per account, shared
/// by that account's Regions; concurrent callers wait for one AssumeRole instead of each making their own.
/// </summary>
internal sealed class AuditRoleCredentials(
    IAmazonSecurityTokenService sts, string accountId, string roleArn, string sessionName, string? externalId,
    TimeSpan? sessionDuration, TimeSpan refreshMargin, TimeProvider time) : AWSCredentials
{
    private readonly StsCredentialsCache _cache = new(time, refreshMargin);

    public string AccountId { get; } = accountId;

    public string RoleArn { get; } = roleArn;

    /// <summary>How many times STS was asked (for tests and diagnostics).</summary>
    public int AssumeRoleCalls { get; private set; }

    public override ImmutableCredentials GetCredentials() => GetAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override Task<ImmutableCredentials> GetCredentialsAsync() => GetAsync(CancellationToken.None);

    /// <summary>
    /// The cached credentials, or new ones from AssumeRole once the cached ones are within the refresh margin of expiry.
    /// </summary>
    /// <exception cref="AuditRoleAccessException">STS refused (AccessDenied): the role's trust or the caller's permissions are wrong.</exception>
    public Task<ImmutableCredentials> GetAsync(CancellationToken cancellationToken) => _cache.GetAsync(AssumeRoleAsync, cancellationToken);

    private async Task<StsCredentials> AssumeRoleAsync(CancellationToken cancellationToken)
    {
        AssumeRoleResponse response;
        try
        {
            AssumeRoleCalls++;
            response = await sts.AssumeRoleAsync(new AssumeRoleRequest
            {
                RoleArn = RoleArn,
                RoleSessionName = sessionName,
                ExternalId = string.IsNullOrEmpty(externalId) ? null : externalId,
                DurationSeconds = sessionDuration is { } d ? (int)d.TotalSeconds : null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (e.ErrorCode is "AccessDenied" or "AccessDeniedException" || e.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new AuditRoleAccessException([new AuditRoleDenial(AccountId, null, RoleArn, AuditRoleDenial.AssumeRole, e.Message)], externalId, e);
        }

        return response.Credentials ?? throw new InvalidOperationException($"STS AssumeRole of {RoleArn} answered without credentials.");
    }
}
