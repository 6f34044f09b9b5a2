using PimBridge.Cli.Output;
using PimBridge.Cli.Scanning;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Reports;

/// <summary>The <see cref="GapReportPage"/> of <c>pimbridge scan --html</c>: what the scan read, and what it found.</summary>
internal static class ScanReportPage
{
    public static readonly string[] Columns =
        ["Time (UTC)", "Severity", "Class", "User", "Permission set", "Account", "Region", "Event", "After expiry", "Outcome", "Source IP", "User agent", "Event id"];

    /// <param name="outcome">What the scan found and read.</param>
    /// <param name="windows">The watch windows it checked: each grant's activation, end, removal and fence.</param>
    /// <param name="minimumSeverity">The lowest severity listed (<c>--severity</c>); the statistics count every alert.</param>
    /// <param name="sources">What was read, one line each.</param>
    /// <param name="generatedAt">Now.</param>
    public static GapReportPage Create(TrailScanOutcome outcome, IReadOnlyList<GapWatchWindow> windows, AlertSeverity minimumSeverity, IReadOnlyList<string> sources, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(windows);
        var shown = outcome.Alerts.Where(a => a.Severity >= minimumSeverity).ToList();
        var windowsOf = windows.ToLookup(w => (w.UserName, w.GrantId));
        var timelines = shown
            .GroupBy(a => (a.UserName, a.GrantId))
            .Select(g => Timeline(g.Key.UserName, g.Key.GrantId, g.ToList(), windowsOf[g.Key].ToList()))
            .OrderBy(t => t.End).ThenBy(t => t.User, StringComparer.Ordinal)
            .ToList();

        return new GapReportPage
        {
            Title = "PimBridge gap report",
            Command = "pimbridge scan",
            GeneratedAt = generatedAt,
            Sources = sources,
            Notes = shown.Count < outcome.Alerts.Count
                ? [$"{Formats.Count(outcome.Alerts.Count - shown.Count, "alert")} below {Formats.Severity(minimumSeverity)} (--severity) are counted in the statistics but not listed."]
                : [],
            Statistics = Statistics(outcome, shown.Count, timelines.Count),
            Problems = outcome.Stats.Problems.ToList(),
            Timelines = timelines,
            Columns = Columns,
            Rows = shown.Select(Row).ToList(),
        };
    }

    private static ReportRow Row(GapAlert alert)
    {
        var cls = GapAlert.ClassName(alert.Class);
        return new ReportRow(alert.Severity, cls, alert.UserName, alert.AccountId,
        [
            new(Formats.Time(alert.EventTime), "time"),
            new(Formats.Severity(alert.Severity), GapReportPage.SeverityCss(alert.Severity)),
            new(cls, GapReportPage.ClassCss(cls)),
            new(alert.UserName),
            new(alert.PermissionSetName),
            new(alert.AccountId, "nowrap"),
            new(alert.Region, "nowrap"),
            new(Formats.Call(alert.EventSource, alert.EventName)),
            new(Durations.Describe(alert.AfterExpiry), "time"),
            new((alert.WasBlocked ? "blocked" : "succeeded") + (alert.ErrorCode is { Length: > 0 } error ? $" ({error})" : "")),
            new(alert.SourceIpAddress),
            new(alert.UserAgent, "agent"),
            new(alert.EventId, "id"),
        ]);
    }

    private static ReportTimeline Timeline(string user, string grant, IReadOnlyList<GapAlert> alerts, IReadOnlyList<GapWatchWindow> windows)
    {
        var end = windows.Count > 0 ? windows.Min(w => w.From) : alerts.Min(a => a.ExpiredAt);
        var activated = windows.Select(w => w.ActivatedAt).FirstOrDefault(a => a is not null);
        var items = new List<TimelineItem>();
        if (activated is { } a)
            items.Add(new TimelineItem(a, TimelineMark.Activation, "PIM activation started"));
        items.Add(new TimelineItem(end, TimelineMark.End, "PIM access ended"));
        foreach (var window in windows)
        {
            var where = $"{window.PermissionSetName} in {string.Join(", ", window.Accounts)}";
            if (window.RemovedAt is { } removed)
                items.Add(new TimelineItem(removed, TimelineMark.Removal, $"access removal confirmed: {where}"));
            if (window.FencedSince is { } fenced)
                items.Add(new TimelineItem(fenced, TimelineMark.Fence, $"session fence confirmed: {where}" + (window.FenceId is { } id ? $" ({id})" : "")));
        }

        items.AddRange(alerts.Select(Event));
        var places = windows.Count > 0
            ? windows.Select(w => $"{w.PermissionSetName} in {string.Join(", ", w.Accounts)}")
            : alerts.Select(x => $"{x.PermissionSetName} in {x.AccountId}");
        return new ReportTimeline(user, grant, end, activated, ReportTimeline.SummaryOf(places, alerts.Select(x => x.Severity).ToList()), items);
    }

    private static TimelineItem Event(GapAlert alert)
    {
        var parts = new List<string>
        {
            $"{Formats.Call(alert.EventSource, alert.EventName)} as {alert.PermissionSetName} in {alert.AccountId}" + (alert.Region is { Length: > 0 } r ? $" ({r})" : ""),
            $"{Formats.Severity(alert.Severity)}, {Durations.Describe(alert.AfterExpiry)} after the end",
        };
        if (alert.ErrorCode is { Length: > 0 } error) parts.Add($"error {error}");
        if (alert.SourceIpAddress is { Length: > 0 } ip) parts.Add($"from {ip}");
        if (alert.UserAgent is { Length: > 0 } agent) parts.Add(agent);
        if (alert.SessionCreatedAt is { } created) parts.Add($"session issued {Formats.Time(created)}");
        parts.Add($"event {alert.EventId}");
        return new TimelineItem(alert.EventTime, TimelineMark.Event, string.Join(" · ", parts), GapAlert.ClassName(alert.Class), alert.WasBlocked);
    }

    private static List<ReportStatistic> Statistics(TrailScanOutcome outcome, int shown, int timelines)
    {
        var alerts = outcome.Alerts;
        var stats = new List<ReportStatistic> { new("Grant windows", Formats.Number(outcome.Windows)) };
        stats.AddRange(ReadStatistics(outcome.Stats));
        stats.Add(new("Alerts", Formats.Number(alerts.Count)));
        if (shown < alerts.Count)
            stats.Add(new("Alerts listed", Formats.Number(shown)));
        foreach (var severity in Enum.GetValues<AlertSeverity>().Reverse())
            stats.Add(new(Formats.Severity(severity), Formats.Number(alerts.Count(a => a.Severity == severity)), GapReportPage.SeverityCss(severity)));
        foreach (var cls in Enum.GetValues<GapClass>())
            stats.Add(new(GapAlert.ClassName(cls), Formats.Number(alerts.Count(a => a.Class == cls)), GapReportPage.ClassCss(GapAlert.ClassName(cls))));
        stats.Add(new("Users with activity", Formats.Number(alerts.Select(a => a.UserName).Distinct(StringComparer.Ordinal).Count())));
        stats.Add(new("Grants on the timelines", Formats.Number(timelines)));
        return stats;
    }

    /// <summary>What reading counted, in the order the summary under the table gives it.</summary>
    private static IEnumerable<ReportStatistic> ReadStatistics(TrailScanStats stats) =>
    [
        new("Files read", Formats.Number(stats.Files)),
        new("Records", Formats.Number(stats.Records)),
        new("JSON read", Formats.Megabytes(stats.Bytes)),
        new("Records parsed in full", Formats.Number(stats.Candidates)),
        new("Malformed records", Formats.Number(stats.MalformedRecords)),
        new("Derived event ids", Formats.Number(stats.DerivedEventIds)),
        new("Normalised times", Formats.Number(stats.NormalisedTimes)),
        new("Damaged files", Formats.Number(stats.DamagedFiles)),
    ];

}
