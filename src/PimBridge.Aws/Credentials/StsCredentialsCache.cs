using Amazon.Runtime;
using StsCredentials = Amazon.SecurityToken.Model.Credentials;

namespace PimBridge.Aws.Credentials;

/// <summary>
/// Temporary credentials from an STS call, reused until a margin before they expire; concurrent callers that find them
/// missing or due wait for one call instead of each making their own. The owner makes the STS call and turns its
/// failures into its own errors. (The SDK's RefreshingAWSCredentials would do this on the system clock, which tests
/// cannot move; this runs on the given <see cref="TimeProvider"/>.)
/// </summary>
/// <param name="refreshMargin">How long before expiry to replace the credentials, capped at half their lifetime.</param>
internal sealed class StsCredentialsCache(TimeProvider time, TimeSpan refreshMargin) : IDisposable
{
    /// <summary>When STS gives no expiry (it always should), assume its shortest session.</summary>
    private static readonly TimeSpan ShortestSession = TimeSpan.FromMinutes(15);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Current? _current;

    /// <summary>When the credentials in use expire; null before the first successful call.</summary>
    public DateTimeOffset? CurrentExpiry => _current?.Expires;

    /// <summary>
    /// The cached credentials, or new ones from <paramref name="issue"/> once the cached ones are within the refresh
    /// margin of expiry. Exceptions from <paramref name="issue"/> pass through and leave the cache as it was.
    /// </summary>
    /// <param name="issue">Makes the STS call and returns its credentials; runs only while holding the gate.</param>
    public async Task<ImmutableCredentials> GetAsync(Func<CancellationToken, Task<StsCredentials>> issue, CancellationToken cancellationToken)
    {
        if (_current is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
            return fresh.Credentials;

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } again && time.GetUtcNow() < again.RefreshAt)
                return again.Credentials;

            var issued = await issue(cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var expires = issued.Expiration is { } e
                ? new DateTimeOffset(DateTime.SpecifyKind(e.Kind == DateTimeKind.Local ? e.ToUniversalTime() : e, DateTimeKind.Utc))
                : now + ShortestSession;
            // Refresh a margin before expiry, but never so early that every call would go to STS again.
            var margin = TimeSpan.FromTicks(Math.Min(refreshMargin.Ticks, Math.Max(0, (expires - now).Ticks / 2)));
            var credentials = new ImmutableCredentials(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken);
            _current = new Current(credentials, expires, expires - margin);
            return credentials;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private sealed record Current(ImmutableCredentials Credentials, DateTimeOffset Expires, DateTimeOffset RefreshAt);
}
