using System.Globalization;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>The text forms the timeline uses, so every line says times, counts and calls the same way.</summary>
internal static class TimelineText
{
    /// <summary>A scenario duration: "30m", "1h", "1h 30m", "45s", "7m 05s".</summary>
    public static string Minutes(TimeSpan span)
    {
        if (span.Ticks % TimeSpan.TicksPerMinute == 0 && span.TotalMinutes is > 0 and < 60) return $"{(int)span.TotalMinutes}m";
        if (span.Ticks % TimeSpan.TicksPerHour == 0 && span.TotalHours >= 1) return $"{(int)span.TotalHours}h";
        return Durations.Describe(span);
    }

    /// <summary>"1 user", "2 users".</summary>
    public static string Count(long count, string singular) =>
        $"{count.ToString(CultureInfo.InvariantCulture)} {(count == 1 ? singular : singular + "s")}";

    /// <summary>A wall-clock time of day, UTC, to the second: 10:41:07Z.</summary>
    public static string Clock(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>An AWS call as people say it: <c>s3:ListBuckets</c>.</summary>
    public static string Call(string eventSource, string eventName) =>
        $"{eventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal)}:{eventName}";

    /// <summary>A scenario activity's AWS call as people say it.</summary>
    public static string Call(ScenarioEvent activity) => Call(activity.EventSource, activity.EventName);

    public static string Severity(AlertSeverity severity) => severity.ToString().ToLowerInvariant();
}
