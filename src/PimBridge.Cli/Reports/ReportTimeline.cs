using PimBridge.Cli.Output;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Reports;

/// <summary>What happened to one user's grant, and every call after its end.</summary>
internal sealed record ReportTimeline(string User, string Grant, DateTimeOffset End, DateTimeOffset? ActivatedAt, string? Summary, IReadOnlyList<TimelineItem> Items)
{
    /// <summary>"Admin in 111122223333. 3 calls after the end: 1 critical, 1 warning, 1 info."</summary>
    public static string SummaryOf(IEnumerable<string> places, IReadOnlyCollection<AlertSeverity> calls) =>
        $"{string.Join("; ", places.Distinct(StringComparer.Ordinal))}. {Formats.Count(calls.Count, "call")} after the end: "
        + string.Join(", ", Enum.GetValues<AlertSeverity>().Reverse().Select(s => $"{calls.Count(c => c == s)} {Formats.Severity(s)}")) + ".";
}
