using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PimBridge.Aws.Trails;

/// <summary>
/// How far one day folder of one (account, Region) has been read: <see cref="Watermark"/>, the delivery minute from
/// which listing restarts (the newest file read, minus a lookback), and <see cref="Seen"/>, the files at or after it
/// that were already read.
/// </summary>
/// <remarks>
/// Why not just the last key: file names sort by delivery minute and then by a random unique string, so a file
/// delivered later in the same minute (or a minute whose upload finished late) can sort before the last key read and
/// be missed by <c>StartAfter=lastKey</c>. Listing from a few minutes back and skipping the files already read costs a
/// short list and catches them.
/// </remarks>
internal sealed record S3TrailCursor(
    [property: JsonPropertyName("watermark")] string? Watermark,
    [property: JsonPropertyName("seen")] IReadOnlyList<string> Seen)
{
    public const string StampFormat = "yyyyMMdd'T'HHmm'Z'";

    public static readonly S3TrailCursor Empty = new(null, []);

    /// <summary>The saved value, or <see cref="Empty"/> when there is none or it cannot be read (the day is then read again; alerts are deduplicated).</summary>
    public static S3TrailCursor Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Empty;
        try
        {
            var cursor = JsonSerializer.Deserialize(value, S3TrailCursorJson.Default.S3TrailCursor);
            if (cursor is null || (cursor.Watermark is not null && !TryParseStamp(cursor.Watermark, out _))) return Empty;
            return cursor with { Seen = cursor.Seen ?? [] };
        }
        catch (JsonException)
        {
            return Empty;
        }
    }

    public string Serialize() => JsonSerializer.Serialize(this, S3TrailCursorJson.Default.S3TrailCursor);

    /// <summary>
    /// The cursor after reading <paramref name="key"/>, delivered at <paramref name="delivered"/>: the watermark moves to
    /// the newest delivery minus <paramref name="lookback"/> (never back), and files before it drop out of <see cref="Seen"/>.
    /// </summary>
    public S3TrailCursor After(string key, DateTimeOffset delivered, TimeSpan lookback, Func<string, DateTimeOffset?> deliveredOf)
    {
        // Minute precision, as in the key names: a watermark between minutes would re-list files it dropped from Seen.
        var candidate = FloorToMinute(delivered - lookback);
        var watermark = Watermark is not null && TryParseStamp(Watermark, out var current) && current > candidate ? current : candidate;
        var seen = Seen.Append(key)
            .Where(k => deliveredOf(k) is { } t && t >= watermark)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new S3TrailCursor(Stamp(watermark), seen);
    }

    public static DateTimeOffset FloorToMinute(DateTimeOffset time) => new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    public static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);

    public static bool TryParseStamp(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
