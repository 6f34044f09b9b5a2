using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Aws.Trails;

/// <summary>
/// Reads the log files a CloudTrail trail delivers to S3: <c>[prefix/]AWSLogs/[org-id/]&lt;account&gt;/CloudTrail/&lt;region&gt;/YYYY/MM/DD/&lt;file&gt;.json.gz</c>.
/// Day folders follow the delivery date, which follows the event, so a query reads from the folder of its start date
/// to the one after its end date (never beyond today). Each object is streamed through
/// <see cref="TrailRecordReader"/>, never held in memory whole, and becomes one batch carrying the cursor of its day
/// folder, so the detector's commit of a batch also records the file as read and a restart does not read it again.
/// </summary>
/// <remarks>
/// <para>Records are not dropped by time: a file is read once, so every record the filter accepts is returned and the
/// detector matches it to its watch windows. Keys that are not CloudTrail log files (other extensions, other names,
/// <c>CloudTrail-Digest/</c>) are skipped.</para>
/// <para>An object whose download breaks off is fetched again; after <see cref="S3TrailSourceOptions.MaxObjectAttempts"/>
/// the read fails without moving the cursor past it. An object that is damaged (truncated, not gzip, not JSON) is
/// counted in its batch's stats and the read goes on: fetching it again would not repair it. A refused request throws
/// <see cref="TrailBucketAccessException"/>.</para>
/// </remarks>
public sealed class S3TrailSource : ITrailSource, IDisposable
{
    private readonly IAmazonS3 _s3;
    private readonly bool _ownsClient;
    private readonly S3TrailSourceOptions _options;
    private readonly string _base;

    /// <param name="s3">The S3 client; for an emulator set <c>ServiceURL</c> and <c>ForcePathStyle</c>.</param>
    /// <param name="options">The trail's location and reading settings.</param>
    /// <param name="ownsClient">Whether disposing the source disposes <paramref name="s3"/>.</param>
    public S3TrailSource(IAmazonS3 s3, S3TrailSourceOptions options, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Bucket);
        if (options.MaxConcurrentObjects < 1) throw new ArgumentException($"MaxConcurrentObjects must be at least 1, got {options.MaxConcurrentObjects}.", nameof(options));
        if (options.MaxObjectAttempts < 1) throw new ArgumentException($"MaxObjectAttempts must be at least 1, got {options.MaxObjectAttempts}.", nameof(options));
        if (options.Lookback < TimeSpan.Zero) throw new ArgumentException($"Lookback must not be negative, got {options.Lookback}.", nameof(options));
        _s3 = s3;
        _ownsClient = ownsClient;
        _options = options;
        var prefix = string.IsNullOrWhiteSpace(options.Prefix) ? "" : options.Prefix.Trim('/') + "/";
        var organization = string.IsNullOrWhiteSpace(options.OrganizationId) ? "" : options.OrganizationId + "/";
        _base = $"{prefix}AWSLogs/{organization}";
    }

    public string Describe => $"s3://{_options.Bucket}/{_base.TrimEnd('/')}";

    /// <summary>The checkpoint name of one day folder's cursor: <c>s3:&lt;bucket&gt;/&lt;day folder&gt;</c>.</summary>
    public string CursorName(string account, string region, DateOnly day) => $"s3:{_options.Bucket}/{DayFolder(account, region, day)}";

    public async IAsyncEnumerable<TrailBatch> ReadAsync(ActivityQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var today = DateOnly.FromDateTime(_options.TimeProvider.GetUtcNow().UtcDateTime);
        var first = DateOnly.FromDateTime(query.From.UtcDateTime);
        var last = DateOnly.FromDateTime(query.Until.UtcDateTime).AddDays(1);
        if (last > today) last = today;
        if (first > last)
            yield break;

        var accounts = query.Accounts.ToList();
        if (!string.IsNullOrEmpty(_options.IdentityCenterAccountId)) accounts.Add(_options.IdentityCenterAccountId);
        foreach (var account in accounts.Distinct(StringComparer.Ordinal))
        {
            var regions = _options.Regions.Count > 0 ? _options.Regions : await DiscoverRegionsAsync(account, cancellationToken).ConfigureAwait(false);
            foreach (var region in regions)
                for (var day = first; day <= last; day = day.AddDays(1))
                    await foreach (var batch in ReadDayAsync(account, region, day, query, cancellationToken).ConfigureAwait(false))
                        yield return batch;
        }
    }

    /// <summary>The folder of one account's log files: <c>[prefix/]AWSLogs/[org-id/]&lt;account&gt;/CloudTrail/</c>.</summary>
    public string AccountFolder(string account) => $"{_base}{account}/CloudTrail/";

    private string DayFolder(string account, string region, DateOnly day) =>
        $"{AccountFolder(account)}{region}/{day.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture)}/";

    /// <summary>
    /// The Region folders the trail has for <paramref name="account"/>: the first listing a read makes, so also what
    /// <c>pimbridge doctor</c> tries (a policy scoped to the log folders allows it, a listing of the bucket root not).
    /// </summary>
    /// <exception cref="TrailBucketAccessException">s3:ListBucket on that folder was denied.</exception>
    public async Task<IReadOnlyList<string>> DiscoverRegionsAsync(string account, CancellationToken cancellationToken = default)
    {
        var folder = AccountFolder(account);
        var regions = new SortedSet<string>(StringComparer.Ordinal);
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = folder, Delimiter = "/" };
        ListObjectsV2Response page;
        do
        {
            page = await ListAsync(request, cancellationToken).ConfigureAwait(false);
            foreach (var common in page.CommonPrefixes ?? [])
            {
                var region = common[folder.Length..].TrimEnd('/');
                if (TrailSources.RegionName().IsMatch(region)) regions.Add(region);
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true && !string.IsNullOrEmpty(page.NextContinuationToken));

        return [.. regions];
    }

    private sealed record PendingObject(string Key, DateTimeOffset Delivered, Task<(IReadOnlyList<TrailRecord> Records, TrailScanStats Stats)> Read);

    private async IAsyncEnumerable<TrailBatch> ReadDayAsync(string account, string region, DateOnly day, ActivityQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = DayFolder(account, region, day);
        var stem = $"{folder}{account}_CloudTrail_{region}_";
        var cursorName = CursorName(account, region, day);
        var cursor = S3TrailCursor.Parse(await query.Cursors.GetAsync(cursorName, cancellationToken).ConfigureAwait(false));

        // Key names sort by delivery minute: list from the watermark, or, first time, from a lookback before the query's
        // start (a file delivered earlier holds only earlier events).
        string? startAfter = null;
        if (cursor.Watermark is not null)
        {
            startAfter = stem + cursor.Watermark;
        }
        else
        {
            var earliest = S3TrailCursor.FloorToMinute(query.From - _options.Lookback);
            if (DateOnly.FromDateTime(earliest.UtcDateTime) == day) startAfter = stem + S3TrailCursor.Stamp(earliest);
        }

        var seen = cursor.Seen.ToHashSet(StringComparer.Ordinal);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new Queue<PendingObject>();
        try
        {
            var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = folder, StartAfter = startAfter };
            ListObjectsV2Response page;
            do
            {
                page = await ListAsync(request, stop.Token).ConfigureAwait(false);
                foreach (var item in page.S3Objects ?? [])
                {
                    if (Delivered(item.Key, stem) is not { } delivered || seen.Contains(item.Key))
                        continue;
                    pending.Enqueue(new PendingObject(item.Key, delivered, ReadObjectAsync(item.Key, query.Filter, stop.Token)));
                    if (pending.Count < _options.MaxConcurrentObjects)
                        continue;
                    (var batch, cursor) = await CompleteAsync(pending.Dequeue(), cursor, cursorName, stem).ConfigureAwait(false);
                    yield return batch;
                }

                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true && !string.IsNullOrEmpty(page.NextContinuationToken));

            while (pending.TryDequeue(out var next))
            {
                (var batch, cursor) = await CompleteAsync(next, cursor, cursorName, stem).ConfigureAwait(false);
                yield return batch;
            }
        }
        finally
        {
            // Abandoned (the consumer stopped, or a read failed): stop the downloads still running and let them end.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var abandoned in pending)
                await ((Task)abandoned.Read).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<(TrailBatch Batch, S3TrailCursor Cursor)> CompleteAsync(PendingObject done, S3TrailCursor cursor, string cursorName, string stem)
    {
        var (records, stats) = await done.Read.ConfigureAwait(false);
        var next = cursor.After(done.Key, done.Delivered, _options.Lookback, key => Delivered(key, stem));
        var checkpoint = new Checkpoint { Name = cursorName, Value = next.Serialize(), UpdatedAt = _options.TimeProvider.GetUtcNow(), Version = 0 };
        return (new TrailBatch($"s3://{_options.Bucket}/{done.Key}", records, stats, checkpoint), next);
    }

    /// <summary>
    /// The delivery minute of a CloudTrail log file in this folder (<c>&lt;stem&gt;YYYYMMDDTHHmmZ_&lt;unique&gt;.json[.gz]</c>),
    /// or null for any other key, which is then skipped.
    /// </summary>
    private static DateTimeOffset? Delivered(string key, string stem)
    {
        const int stampLength = 14; // yyyyMMddTHHmmZ
        if (!key.StartsWith(stem, StringComparison.Ordinal) || key.Length < stem.Length + stampLength + 2) return null;
        if (!(key.EndsWith(".json.gz", StringComparison.Ordinal) || key.EndsWith(".json", StringComparison.Ordinal))) return null;
        if (key.IndexOf('/', stem.Length) >= 0 || key[stem.Length + stampLength] != '_') return null;
        return S3TrailCursor.TryParseStamp(key.Substring(stem.Length, stampLength), out var delivered) ? delivered : null;
    }

    private async Task<(IReadOnlyList<TrailRecord> Records, TrailScanStats Stats)> ReadObjectAsync(string key, TrailRecordFilter filter, CancellationToken cancellationToken)
    {
        var origin = $"s3://{_options.Bucket}/{key}";
        Exception? fault = null;
        for (var attempt = 1; attempt <= _options.MaxObjectAttempts; attempt++)
        {
            var stats = new TrailScanStats();
            FaultRecordingStream? body = null;
            try
            {
                using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
                // The response owns (and disposes) the download stream; the wrapper only watches it.
                body = new FaultRecordingStream(response.ResponseStream);
                var records = await TrailRecordReader.ReadAsync(body, origin, filter, stats, cancellationToken).ConfigureAwait(false);
                // The reader counts a broken-off download as a damaged file; it is not, so fetch it again.
                if (body.Fault is null) return (records, stats);
                fault = body.Fault;
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
            {
                // Deleted (lifecycle rule, retention) between listing and reading: nothing left to read.
                stats.Files++;
                stats.DamagedFiles++;
                stats.Problems.Add($"{origin}: deleted before it could be read (NoSuchKey); skipped.");
                return ([], stats);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new TrailBucketAccessException(_options.Bucket, key, "s3:GetObject", e);
            }
            catch (Exception e) when (body?.Fault is not null && !cancellationToken.IsCancellationRequested)
            {
                fault = e;
            }
        }

        throw new IOException($"{origin} could not be downloaded to its end in {_options.MaxObjectAttempts} attempt(s), so it stays unread and is tried on the next read: {fault?.Message}", fault);
    }

    private async Task<ListObjectsV2Response> ListAsync(ListObjectsV2Request request, CancellationToken cancellationToken)
    {
        try
        {
            return await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new TrailBucketAccessException(_options.Bucket, request.Prefix, "s3:ListBucket", e);
        }
    }

    public void Dispose()
    {
        if (_ownsClient) _s3.Dispose();
    }
}
