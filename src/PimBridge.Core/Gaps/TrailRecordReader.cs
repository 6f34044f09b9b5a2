using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace PimBridge.Core.Gaps;

/// <summary>
/// Streams CloudTrail exports with <see cref="Utf8JsonReader"/> through one fixed buffer, so memory stays flat whatever
/// the file size. The form is told by content, gzip or plain: a trail file (<c>{"Records":[...]}</c>), the output of
/// <c>aws cloudtrail lookup-events</c> (<c>{"Events":[{"CloudTrailEvent":"..."}]}</c>), JSON Lines of records or of
/// EventBridge events (whose <c>detail</c> is the record; a line may start with a CloudWatch Logs export's timestamp),
/// or a JSON array of any of these. Each record is read once:
/// its interesting fields are remembered as positions in the buffer, the <see cref="TrailRecordFilter"/> is asked on
/// those raw bytes, and only the few records it accepts become <see cref="TrailRecord"/>s. Damage is counted in
/// <see cref="TrailScanStats"/>, never thrown: a malformed record (or a broken line of JSON Lines) is skipped, and a
/// truncated or invalid file keeps the records before the damage.
/// </summary>
public static class TrailRecordReader
{
    /// <summary>Large enough that a refill is rare and a record seldom straddles two fills (measured: 256 KB reads a
    /// corpus about 5% faster than 128 KB; larger buys nothing more).</summary>
    private const int InitialBuffer = 256 * 1024;

    /// <summary>A record larger than this is not CloudTrail (events are capped far below); the file is treated as damaged.</summary>
    private const int MaxRecordBytes = 16 * 1024 * 1024;

    /// <summary>Named in every "this is not a trail" problem, so the reader of the summary knows what would have worked.</summary>
    internal const string FormsRead = "expected a CloudTrail trail file ({\"Records\": [...]}), `aws cloudtrail lookup-events` output, JSON Lines of records or of EventBridge events, or a JSON array of them, gzip or plain";

    internal static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowMultipleValues = true };

    /// <summary>Reads one trail file. <paramref name="origin"/> names it in <see cref="TrailScanStats.Problems"/>.</summary>
    public static async Task<IReadOnlyList<TrailRecord>> ReadAsync(Stream stream, string origin, TrailRecordFilter filter, TrailScanStats stats, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(stats);
        stats.Files++;
        var found = new List<TrailRecord>();
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        Stream? gzip = null;
        try
        {
            // A failure of the stream itself (a dropped download) is the caller's to retry, not damage in the file:
            // it propagates. Only what the decompressor or the JSON reader finds wrong counts as damage.
            Stream source = stream;
            var length = await stream.ReadAtLeastAsync(buffer.AsMemory(0, 2), 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            FaultRecordingStream? compressed = null;
            if (length == 2 && buffer[0] == 0x1f && buffer[1] == 0x8b)
            {
                // Gzip: hand the two magic bytes back to the decompressor.
                compressed = new FaultRecordingStream(stream, buffer.AsSpan(0, 2).ToArray());
                source = gzip = new GZipStream(compressed, CompressionMode.Decompress);
                length = 0;
            }

            stats.Bytes += length;

            var scan = new TrailFileScan(filter, stats, found, origin);
            var state = new JsonReaderState(ReaderOptions);
            var final = false;
            while (true)
            {
                if (!final)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxRecordBytes)
                        {
                            stats.Damaged(origin, $"a record is larger than {MaxRecordBytes / (1024 * 1024)} MiB; the rest of the file was skipped.");
                            return found;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    int read;
                    try
                    {
                        read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is InvalidDataException or IOException && compressed is { Fault: null } && !cancellationToken.IsCancellationRequested)
                    {
                        stats.Damaged(origin, $"the data could not be read ({e.Message}); records before the damage were kept.");
                        return found;
                    }

                    stats.Bytes += read;
                    length += read;
                    final = read == 0;
                }

                int consumed;
                try
                {
                    consumed = scan.Advance(buffer.AsSpan(0, length), final, ref state);
                }
                catch (JsonException e)
                {
                    // One broken line of JSON Lines costs that line, not the rest of the export.
                    if (scan.SkipBrokenLine(buffer.AsSpan(0, length), e) is { } skipped)
                    {
                        consumed = skipped;
                        state = new JsonReaderState(ReaderOptions);
                    }
                    else
                    {
                        stats.Damaged(origin, scan.DescribeDamage(final, e));
                        return found;
                    }
                }

                if (final && consumed >= length)
                {
                    if (scan.Unrecognised is { } problem)
                        stats.Damaged(origin, problem);
                    return found;
                }

                scan.Discard(buffer.AsSpan(0, consumed));
                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
                if (final && consumed == 0)
                {
                    stats.Damaged(origin, "the file ends before its JSON does (truncated?); records before the end were kept.");
                    return found;
                }
            }
        }
        finally
        {
            if (gzip is not null) await gzip.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Parses one event as LookupEvents returns it (<c>Events[].CloudTrailEvent</c>). Null, counted as malformed, when
    /// it is not a usable record; null, uncounted, when the filter does not want it.
    /// </summary>
    public static TrailRecord? ParseEvent(string cloudTrailEvent, TrailRecordFilter filter, TrailScanStats stats)
    {
        ArgumentNullException.ThrowIfNull(cloudTrailEvent);
        var found = new List<TrailRecord>(1);
        var scan = new TrailFileScan(filter, stats, found, "event");
        var bytes = Encoding.UTF8.GetBytes(cloudTrailEvent);
        stats.Bytes += bytes.Length;
        scan.ParseEmbedded(bytes);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>
    /// CloudTrail's own form (<c>2026-07-01T10:00:00Z</c>, a fraction allowed) or, <paramref name="normalised"/>, what
    /// SIEMs and query engines write: a space for the <c>T</c>, no zone (UTC), up to nine fractional digits (beyond
    /// .NET's seven, truncated), or an explicit offset.
    /// </summary>
    internal static bool TryParseTime(string text, out DateTimeOffset value, out bool normalised)
    {
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        normalised = false;
        if (text.Length >= 20 && text[10] == 'T' && text[^1] == 'Z' && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, utc, out value))
            return true;
        normalised = true;
        var t = text.Trim();
        if (t.Length > 10 && t[10] == ' ') t = string.Concat(t.AsSpan(0, 10), "T", t.AsSpan(11));
        var dot = t.Length > 19 && t[19] == '.' ? 19 : -1;
        if (dot > 0)
        {
            var digits = 0;
            while (dot + 1 + digits < t.Length && char.IsAsciiDigit(t[dot + 1 + digits])) digits++;
            if (digits > 7) t = string.Concat(t.AsSpan(0, dot + 8), t.AsSpan(dot + 1 + digits));
        }

        return DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, utc, out value);
    }
}
