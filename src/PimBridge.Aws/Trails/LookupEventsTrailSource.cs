using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Amazon;
using Amazon.SecurityToken;
using PimBridge.Aws.CloudTrail;
using PimBridge.Core.Gaps;

namespace PimBridge.Aws.Trails;

/// <summary>
/// Reads CloudTrail event history with LookupEvents, for accounts without an organization trail in S3 (or to check one).
/// LookupEvents sees only the calling account and Region, so the source assumes the audit role in each watched account
/// and keeps one <see cref="CloudTrailClient"/> per (account, Region): the 2 requests/second quota is per account and
/// Region, and so is each client's rate limiter. It asks per watched user name (<c>Username</c> is the role session
/// name, which is the Identity Center user name), one attribute per call as LookupEvents allows, over time windows of
/// at most <see cref="LookupEventsTrailSourceOptions.Window"/>, and, when the Identity Center account is configured,
/// for <c>GetRoleCredentials</c> there.
/// </summary>
/// <remarks>
/// No cursor: event history arrives late and out of order, so every read asks again for the whole query range; alerts
/// are deduplicated by event id. Each batch is one (account, Region, attribute, window) run. Accounts whose audit role
/// is refused are skipped and reported together at the end with <see cref="AuditRoleAccessException"/>.
/// Dispose the source to release its clients.
/// </remarks>
public sealed class LookupEventsTrailSource : ITrailSource, IDisposable
{
    private const int PageSize = 50;

    private readonly LookupEventsTrailSourceOptions _options;
    private readonly IAmazonSecurityTokenService _sts;
    private readonly bool _ownsSts;
    private readonly ConcurrentDictionary<string, AuditRoleCredentials> _credentials = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Account, string Region), Lazy<CloudTrailClient>> _clients = new();
    private readonly string _identityCenterRegion;

    public LookupEventsTrailSource(LookupEventsTrailSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Regions.Count == 0)
            throw new ArgumentException("LookupEvents needs at least one Region to read.", nameof(options));
        if (string.IsNullOrWhiteSpace(options.AuditRole))
            throw new ArgumentException("LookupEvents needs the audit role to assume in each account (AuditRole).", nameof(options));
        if (options.AuditRole.StartsWith("arn:", StringComparison.Ordinal) && !options.AuditRole.Contains("{account}", StringComparison.Ordinal))
            throw new ArgumentException($"The audit role ARN '{options.AuditRole}' has no {{account}} placeholder, so every account would be read as the same one.", nameof(options));
        if (options.Window < TimeSpan.FromSeconds(1))
            throw new ArgumentException($"The LookupEvents window must be at least one second, got {options.Window}.", nameof(options));
        if (options.MaxConcurrency < 1)
            throw new ArgumentException($"MaxConcurrency must be at least 1, got {options.MaxConcurrency}.", nameof(options));

        _options = options;
        _identityCenterRegion = options.IdentityCenterRegion ?? options.Regions[0];
        if (options.SecurityTokenService is { } sts)
        {
            _sts = sts;
        }
        else
        {
            var region = options.StsRegion ?? _identityCenterRegion;
            var config = new AmazonSecurityTokenServiceConfig();
            if (options.StsEndpoint is { } endpoint)
            {
                config.ServiceURL = endpoint.ToString();
                config.AuthenticationRegion = region;
            }
            else
            {
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            }

            _sts = options.Credentials is null ? new AmazonSecurityTokenServiceClient(config) : new AmazonSecurityTokenServiceClient(options.Credentials, config);
            _ownsSts = true;
        }
    }

    public string Describe => $"lookup-events in {string.Join(", ", _options.Regions)} as {_options.AuditRole}";

    /// <summary>The audit role's ARN in <paramref name="accountId"/>.</summary>
    public string RoleArnFor(string accountId) => RoleArn(_options.AuditRole, accountId);

    internal static string RoleArn(string auditRole, string accountId) => auditRole.StartsWith("arn:", StringComparison.Ordinal)
        ? auditRole.Replace("{account}", accountId, StringComparison.Ordinal)
        : $"arn:aws:iam::{accountId}:role/{auditRole.Trim('/')}";

    public async IAsyncEnumerable<TrailBatch> ReadAsync(ActivityQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var windows = Windows(query.From, query.Until, _options.TimeProvider.GetUtcNow(), _options.Window, _options.History);
        var pairs = Plan(query);
        if (windows.Count == 0 || pairs.Count == 0)
            yield break;

        var denials = new ConcurrentDictionary<(string Account, string? Region), AuditRoleDenial>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Small and bounded: readers stay at most a few batches ahead of the detector's commits.
        var channel = Channel.CreateBounded<TrailBatch>(new BoundedChannelOptions(_options.MaxConcurrency) { SingleReader = true });
        var producer = ProduceAsync(pairs, windows, query.Filter, channel.Writer, denials, stop.Token);
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return batch;
            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (!denials.IsEmpty)
            throw new AuditRoleAccessException(denials.Values.OrderBy(d => d.AccountId, StringComparer.Ordinal).ThenBy(d => d.Region, StringComparer.Ordinal).ToList(), _options.ExternalId);
    }

    /// <summary>
    /// The query range cut into LookupEvents runs, oldest first: [from, min(until, now)], clipped to the history
    /// LookupEvents keeps, in whole seconds. Both bounds of a run are inclusive (as LookupEvents treats them), so each run
    /// ends one second before the next begins: no second is asked twice or skipped.
    /// </summary>
    internal static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Windows(DateTimeOffset from, DateTimeOffset until, DateTimeOffset now, TimeSpan window, TimeSpan history)
    {
        var start = WholeSeconds(Max(from, now - history));
        var end = WholeSeconds(Min(until, now));
        var step = TimeSpan.FromSeconds(Math.Max(1, Math.Floor(window.TotalSeconds)));
        var runs = new List<(DateTimeOffset, DateTimeOffset)>();
        for (var s = start; s <= end; s += step)
            runs.Add((s, Min(s + step - TimeSpan.FromSeconds(1), end)));
        return runs;

        static DateTimeOffset WholeSeconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());
        static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
        static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    }

    private sealed record Pair(string Account, string Region, List<LookupAttribute> Lookups);

    /// <summary>Which (account, Region) pairs to read and what to ask each, in a stable order.</summary>
    private List<Pair> Plan(ActivityQuery query)
    {
        var users = query.UserNames.Where(u => !string.IsNullOrWhiteSpace(u)).Distinct(StringComparer.Ordinal).ToList();
        var pairs = new List<Pair>();
        if (users.Count > 0)
        {
            foreach (var account in query.Accounts.Distinct(StringComparer.Ordinal))
                foreach (var region in _options.Regions)
                    pairs.Add(new Pair(account, region, users.Select(u => new LookupAttribute { AttributeKey = LookupAttributeKeys.Username, AttributeValue = u }).ToList()));
        }

        if (!string.IsNullOrEmpty(_options.IdentityCenterAccountId))
        {
            // Recorded in the Identity Center account and Region; shares that pair's client (and its rate) when it is watched too.
            var credentialsLookup = new LookupAttribute { AttributeKey = LookupAttributeKeys.EventName, AttributeValue = "GetRoleCredentials" };
            var pair = pairs.Find(p => p.Account == _options.IdentityCenterAccountId && p.Region == _identityCenterRegion);
            if (pair is null) pairs.Add(new Pair(_options.IdentityCenterAccountId, _identityCenterRegion, [credentialsLookup]));
            else pair.Lookups.Add(credentialsLookup);
        }

        return pairs;
    }

    private async Task ProduceAsync(
        List<Pair> pairs, IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> windows, TrailRecordFilter filter,
        ChannelWriter<TrailBatch> writer, ConcurrentDictionary<(string, string?), AuditRoleDenial> denials, CancellationToken cancellationToken)
    {
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(pairs, parallel, async (pair, ct) => await ReadPairAsync(pair, windows, filter, writer, denials, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async Task ReadPairAsync(
        Pair pair, IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> windows, TrailRecordFilter filter,
        ChannelWriter<TrailBatch> writer, ConcurrentDictionary<(string, string?), AuditRoleDenial> denials, CancellationToken cancellationToken)
    {
        if (denials.ContainsKey((pair.Account, null)))
            return; // this read already found the role refused in another Region

        var credentials = _credentials.GetOrAdd(pair.Account, account => new AuditRoleCredentials(
            _sts, account, RoleArnFor(account), _options.RoleSessionName, _options.ExternalId, _options.RoleSessionDuration,
            _options.CredentialRefreshMargin, _options.TimeProvider));
        try
        {
            // Assume the role before the first call, so a refusal is told apart from a LookupEvents failure.
            await credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AuditRoleAccessException e)
        {
            foreach (var denial in e.Denials) denials.TryAdd((pair.Account, null), denial);
            return;
        }

        var client = _clients.GetOrAdd((pair.Account, pair.Region), key => new Lazy<CloudTrailClient>(() => CreateClient(key.Account, key.Region, credentials))).Value;
        foreach (var lookup in pair.Lookups)
        {
            foreach (var (start, end) in windows)
            {
                var stats = new TrailScanStats();
                var records = new List<TrailRecord>();
                var request = new LookupEventsRequest { LookupAttributes = [lookup], StartTime = start, EndTime = end, MaxResults = PageSize };
                try
                {
                    await foreach (var trailEvent in client.LookupEventsAsync(request, cancellationToken).ConfigureAwait(false))
                    {
                        if (trailEvent.CloudTrailEvent is null)
                        {
                            stats.Records++;
                            stats.MalformedRecords++;
                            continue;
                        }

                        if (TrailRecordReader.ParseEvent(trailEvent.CloudTrailEvent, filter, stats) is { } record)
                            records.Add(record);
                    }
                }
                catch (AwsServiceException e) when (e.IsAccessDenied)
                {
                    denials.TryAdd((pair.Account, pair.Region), new AuditRoleDenial(pair.Account, pair.Region, credentials.RoleArn, AuditRoleDenial.LookupEvents, e.ServiceMessage));
                    return;
                }

                // LookupEvents answers most recent first; batches read oldest first, like trail files.
                records.Sort((a, b) => a.EventTime != b.EventTime ? a.EventTime.CompareTo(b.EventTime) : string.CompareOrdinal(a.EventId, b.EventId));
                var origin = $"lookup-events:{pair.Account}/{pair.Region} {lookup.AttributeKey}={lookup.AttributeValue} {Iso(start)}..{Iso(end)}";
                await writer.WriteAsync(new TrailBatch(origin, records, stats, Cursor: null), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private CloudTrailClient CreateClient(string account, string region, AuditRoleCredentials credentials)
    {
        var options = new CloudTrailClientOptions { Region = region, Credentials = credentials, TimeProvider = _options.TimeProvider };
        _options.ConfigureCloudTrail?.Invoke(account, region, options);
        return new CloudTrailClient(options);
    }

    /// <summary>How many AssumeRole calls were made for <paramref name="accountId"/> (for tests and diagnostics).</summary>
    internal int AssumeRoleCalls(string accountId) => _credentials.TryGetValue(accountId, out var c) ? c.AssumeRoleCalls : 0;

    public void Dispose()
    {
        foreach (var client in _clients.Values)
            if (client.IsValueCreated) client.Value.Dispose();
        _clients.Clear();
        if (_ownsSts) _sts.Dispose();
    }
}
