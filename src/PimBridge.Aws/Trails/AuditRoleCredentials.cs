using System.Net;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

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
    /// <summary>When STS gives no expiry (it always should), assume its shortest session.</summary>
    private static readonly TimeSpan ShortestSession = TimeSpan.FromMinutes(15);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Current? _current;

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
    public async Task<ImmutableCredentials> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
            return fresh.Credentials;

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (_current is { } again && now < again.RefreshAt)
                return again.Credentials;

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

            var issued = response.Credentials ?? throw new InvalidOperationException($"STS AssumeRole of {RoleArn} answered without credentials.");
            var expires = issued.Expiration is { } e1 ? new DateTimeOffset(DateTime.SpecifyKind(e1.Kind == DateTimeKind.Local ? e1.ToUniversalTime() : e1, DateTimeKind.Utc)) : now + ShortestSession;
            // Refresh a margin before expiry, but never so early that every call would assume the role again.
            var margin = TimeSpan.FromTicks(Math.Min(refreshMargin.Ticks, Math.Max(0, (expires - now).Ticks / 2)));
            var credentials = new ImmutableCredentials(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken);
            _current = new Current(credentials, expires - margin);
            return credentials;
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed record Current(ImmutableCredentials Credentials, DateTimeOffset RefreshAt);
}
