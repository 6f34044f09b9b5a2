using System.Globalization;
using PimBridge.Core.Domain;
using PimBridge.Notifications;

namespace PimBridge.Cli.Output;

/// <summary>The text forms shared by tables and JSON documents, so both say the same thing the same way.</summary>
internal static class Formats
{
    /// <summary>UTC, to the second, with a Z: CloudTrail's own form.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary><see cref="Time(DateTimeOffset)"/>, or null when there is no time.</summary>
    public static string? Time(DateTimeOffset? time) => time is { } t ? Time(t) : null;

    /// <summary>The severity's name, as notifications and configuration write it (<see cref="NotificationDocument.SeverityName"/>).</summary>
    public static string Severity(AlertSeverity severity) => NotificationDocument.SeverityName(severity);

    /// <summary>The option values naming a severity, lowest first.</summary>
    public static readonly string[] SeverityNames = [.. Enum.GetValues<AlertSeverity>().Select(NotificationDocument.SeverityName)];

    /// <summary>Parses a severity name as notifications do (<see cref="NotificationDocument.ParseSeverity"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not one; the options check their values before this is called.</exception>
    public static AlertSeverity ParseSeverity(string name) =>
        NotificationDocument.ParseSeverity(name) ?? throw new ArgumentOutOfRangeException(nameof(name), name, "Not a severity; use info, warning or critical.");

    /// <summary>The documented names of a grant's state, a fence's state and a PIM relationship (tables and JSON alike).</summary>
    public static string Name(GrantState state) => state switch
    {
        GrantState.Active => "active",
        GrantState.Ended => "ended",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Name(FenceState state) => state switch
    {
        FenceState.Pending => "pending",
        FenceState.Active => "active",
        FenceState.Lifting => "lifting",
        FenceState.Lifted => "lifted",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Name(PimAccess access) => access switch
    {
        PimAccess.Member => "member",
        PimAccess.Owner => "owner",
        _ => throw new ArgumentOutOfRangeException(nameof(access), access, null),
    };

    /// <summary>A duration in seconds, to the millisecond, for JSON; null stays null.</summary>
    public static double? Seconds(TimeSpan? span) => span is { } s ? Math.Round(s.TotalSeconds, 3) : null;

    /// <summary>Megabytes (10^6 bytes) with two decimals.</summary>
    public static string Megabytes(long bytes) => (bytes / 1_000_000.0).ToString("0.00", CultureInfo.InvariantCulture) + " MB";

    /// <summary>"1 file", "2 files".</summary>
    public static string Count(long count, string singular, string? plural = null) =>
        $"{Number(count)} {(count == 1 ? singular : plural ?? singular + "s")}";

    /// <summary>"1,234,567".</summary>
    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>An AWS call as people say it: <c>s3:ListBuckets</c>.</summary>
    public static string Call(string eventSource, string eventName) =>
        $"{eventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal)}:{eventName}";
}
