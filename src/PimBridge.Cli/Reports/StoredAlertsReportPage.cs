using System.Globalization;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;

namespace PimBridge.Cli.Reports;

/// <summary>
/// The <see cref="GapReportPage"/> of <c>pimbridge alerts --html</c>: every stored alert in the table (the engine's with
/// their facts), and a timeline per user and grant for the gap alerts, from their facts (end = <c>expiredAt</c>, fence =
/// <c>fencedSince</c>) and, where the store still has them, the grant's activation and the fence's removal time.
/// </summary>
internal static class StoredAlertsReportPage
{
    public static readonly string[] Columns = ["Raised (UTC)", "Severity", "Kind", "Subject", "Account", "Message", "Facts"];

    public static async Task<GapReportPage> CreateAsync(
        IReadOnlyList<Alert> alerts, IStateStore store, string storeDescription, string filterDescription, DateTimeOffset generatedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(store);
        var gaps = alerts.Select(GapFacts.From).OfType<GapFacts>().ToList();
        var timelines = new List<ReportTimeline>();
        foreach (var group in gaps.GroupBy(g => (g.User, g.Grant)))
            timelines.Add(await TimelineAsync(group.Key.User, group.Key.Grant, group.ToList(), store, cancellationToken).ConfigureAwait(false));
        timelines = timelines.OrderBy(t => t.End).ThenBy(t => t.User, StringComparer.Ordinal).ToList();

        var stats = new List<ReportStatistic> { new("Alerts", Formats.Number(alerts.Count)) };
        foreach (var severity in Enum.GetValues<AlertSeverity>().Reverse())
            stats.Add(new(Formats.Severity(severity), Formats.Number(alerts.Count(a => a.Severity == severity)), GapReportPage.SeverityCss(severity)));
        foreach (var cls in Enum.GetValues<GapClass>().Select(GapAlert.ClassName))
            stats.Add(new(cls, Formats.Number(gaps.Count(g => g.Class == cls)), GapReportPage.ClassCss(cls)));
        stats.Add(new("Engine alerts", Formats.Number(alerts.Count(a => !IsGap(a)))));
        stats.Add(new("Grants on the timelines", Formats.Number(timelines.Count)));

        return new GapReportPage
        {
            Title = "PimBridge alerts report",
            Command = "pimbridge alerts",
            GeneratedAt = generatedAt,
            Sources =
            [
                $"Read from the {storeDescription}.",
                (filterDescription.Length == 0 ? "All stored alerts" : $"Alerts{filterDescription}")
                    + (alerts.Count == 0 ? "." : $", raised from {Formats.Time(alerts.Min(a => a.At))} to {Formats.Time(alerts.Max(a => a.At))}."),
            ],
            Statistics = stats,
            Timelines = timelines,
            Columns = Columns,
            ClassLabel = "Kind",
            UserLabel = "Subject",
            Rows = alerts.Select(Row).ToList(),
        };
    }

    private static bool IsGap(Alert alert) => alert.Kind.StartsWith(GapAlert.KindPrefix, StringComparison.Ordinal);

    private static ReportRow Row(Alert alert)
    {
        var facts = alert.Facts ?? new Dictionary<string, string>();
        var account = facts.GetValueOrDefault("account") is { Length: > 0 } a ? a : null;
        var cls = IsGap(alert) ? facts.GetValueOrDefault("class") : null;
        return new ReportRow(alert.Severity, alert.Kind, alert.Subject, account,
        [
            new(Formats.Time(alert.At), "time"),
            new(Formats.Severity(alert.Severity), GapReportPage.SeverityCss(alert.Severity)),
            new(alert.Kind, GapReportPage.ClassCss(cls)),
            new(alert.Subject),
            new(account, "nowrap"),
            new(alert.Message, "long"),
            new(string.Join("\n", facts.Select(f => $"{f.Key}: {f.Value}")), "long"),
        ]);
    }

    private static async Task<ReportTimeline> TimelineAsync(string user, string grantId, IReadOnlyList<GapFacts> events, IStateStore store, CancellationToken cancellationToken)
    {
        var end = events.Min(e => e.ExpiredAt);
        var items = new List<TimelineItem> { new(end, TimelineMark.End, "PIM access ended") };
        var grant = await store.GetGrantAsync(grantId, cancellationToken).ConfigureAwait(false);
        if (grant is not null)
            items.Add(new TimelineItem(grant.Start, TimelineMark.Activation, $"PIM activation started (mapping {grant.Mapping})"));

        // The store's fence says when the removal was confirmed (the fence was planned then) and when the fence held;
        // without it (lifted and pruned, another store) the alerts' own fencedSince is all there is.
        var inStore = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in events.Select(e => e.Fence).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (await store.GetFenceAsync(id, cancellationToken).ConfigureAwait(false) is not { } fence) continue;
            inStore.Add(id);
            var where = $"{fence.PermissionSetName ?? fence.PermissionSetArn} in {string.Join(", ", fence.Accounts)}";
            items.Add(new TimelineItem(fence.CreatedAt, TimelineMark.Removal, $"access removal confirmed: {where}"));
            if (fence.ActiveSince is { } active)
                items.Add(new TimelineItem(active, TimelineMark.Fence, $"session fence confirmed: {where} ({fence.Id})"));
        }

        var fromFacts = events.Where(e => e.Fence is null || !inStore.Contains(e.Fence)).Where(e => e.FencedSince is not null).DistinctBy(e => (e.FencedSince, e.Fence));
        foreach (var e in fromFacts)
            items.Add(new TimelineItem(e.FencedSince!.Value, TimelineMark.Fence, "session fence confirmed" + (e.Fence is { } id ? $" ({id})" : "")));

        items.AddRange(events.Select(e => new TimelineItem(e.EventTime, TimelineMark.Event, e.Describe(), e.Class, e.Blocked)));
        var summary = ReportTimeline.SummaryOf(events.Select(e => $"{e.PermissionSet} in {e.Account}"), events.Select(e => e.Severity).ToList());
        return new ReportTimeline(user, grantId, end, grant?.Start, summary, items);
    }

    /// <summary>A stored gap alert's facts (docs/alerts.md), read back; null for another kind or facts that lack the essentials.</summary>
    private sealed record GapFacts(
        string User, string Grant, string Class, AlertSeverity Severity, bool? Blocked, DateTimeOffset EventTime, DateTimeOffset ExpiredAt,
        DateTimeOffset? FencedSince, string? Fence, string PermissionSet, string Account, IReadOnlyDictionary<string, string> Facts)
    {
        public static GapFacts? From(Alert alert)
        {
            if (!IsGap(alert) || alert.Facts is not { } facts) return null;
            if (facts.GetValueOrDefault("user") is not { Length: > 0 } user
                || facts.GetValueOrDefault("grant") is not { Length: > 0 } grant
                || Time(facts.GetValueOrDefault("eventTime")) is not { } eventTime
                || Time(facts.GetValueOrDefault("expiredAt")) is not { } expiredAt)
                return null;
            bool? blocked = facts.GetValueOrDefault("outcome") switch { "blocked" => true, "succeeded" => false, _ => null };
            return new GapFacts(
                user, grant, facts.GetValueOrDefault("class") ?? alert.Kind[GapAlert.KindPrefix.Length..], alert.Severity, blocked, eventTime, expiredAt,
                Time(facts.GetValueOrDefault("fencedSince")), facts.GetValueOrDefault("fence"),
                facts.GetValueOrDefault("permissionSet") ?? "", facts.GetValueOrDefault("account") ?? "", facts);
        }

        public string Describe()
        {
            string? Fact(string key) => Facts.GetValueOrDefault(key) is { Length: > 0 } value ? value : null;
            var call = Fact("eventSource") is { } source && Fact("eventName") is { } name ? Formats.Call(source, name) : Fact("eventName") ?? "a call";
            var parts = new List<string> { $"{call} as {PermissionSet} in {Account}" + (Fact("region") is { } r ? $" ({r})" : "") };
            parts.Add($"{Formats.Severity(Severity)}" + (Fact("afterExpiry") is { } after ? $", {after} after the end" : ""));
            if (Fact("errorCode") is { } error) parts.Add($"error {error}");
            if (Fact("sourceIp") is { } ip) parts.Add($"from {ip}");
            if (Fact("userAgent") is { } agent) parts.Add(agent);
            if (Fact("sessionCreated") is { } created) parts.Add($"session issued {created}");
            if (Fact("eventId") is { } id) parts.Add($"event {id}");
            return string.Join(" · ", parts);
        }

        private static DateTimeOffset? Time(string? text) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
    }
}
