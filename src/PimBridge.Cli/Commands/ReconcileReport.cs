using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Entra;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>What reconcile planned, and after applying, how far AWS got; as a table or as the <c>--json</c> document.</summary>
internal sealed class ReconcileReport
{
    private ReconcileReport(ReconcileDocument document, IReadOnlyList<string> unfinished)
    {
        Document = document;
        Unfinished = unfinished;
    }

    public ReconcileDocument Document { get; }

    /// <summary>Changes decided but not yet confirmed in AWS, each with the last error.</summary>
    public IReadOnlyList<string> Unfinished { get; }

    public static async Task<ReconcileReport> BuildAsync(
        ReconcileResult result, IReadOnlyList<string> groups, bool dryRun, IReadOnlyDictionary<string, Grant> before, TickTotals? ticks,
        ConfiguredEngine engine, CancellationToken cancellationToken)
    {
        var plan = result.Plan;
        var applied = !dryRun;
        var unfinished = new List<string>();

        var newGrants = new List<ReconcileNewGrant>();
        foreach (var grant in plan.NewGrants)
        {
            string? status = null, error = null;
            DateTimeOffset? confirmed = null;
            if (applied)
            {
                var now = await engine.Store.GetGrantAsync(grant.Id, cancellationToken).ConfigureAwait(false);
                confirmed = now?.AccessConfirmedAt;
                if (confirmed is not null)
                {
                    status = "access-confirmed";
                }
                else
                {
                    status = "applying";
                    error = await engine.LastErrorAsync(IntentKind.ApplyEntitlement, grant.EntitlementKeys, cancellationToken).ConfigureAwait(false);
                    unfinished.Add($"grant {grant.Id} of {grant.User.UserName}: access not confirmed{(error is null ? "" : $" ({error})")}");
                }
            }

            newGrants.Add(new ReconcileNewGrant(grant.Id, grant.Mapping, grant.User.UserName, grant.User.UserId, grant.Principal.Id,
                grant.Principal.UserPrincipalName, grant.GroupId, Access(grant.Access), Formats.Time(grant.Start), Time(grant.End),
                grant.EntitlementKeys, status, Time(confirmed), error));
        }

        var endChanges = plan.EndChanges.Select(c =>
        {
            var grant = before.GetValueOrDefault(c.Grant.Id);
            return new ReconcileEndChange(c.Grant.Id, c.Grant.Slot.Mapping, grant?.User.UserName, c.Grant.Slot.GroupId,
                c.IsExtension ? "extended" : "shortened", Time(c.Grant.End), Time(c.NewEnd));
        }).ToList();

        var stops = new List<ReconcileStop>();
        foreach (var stop in plan.Stops)
        {
            var grant = before.GetValueOrDefault(stop.Grant.Id);
            string? status = null, error = null;
            if (applied && grant is not null)
            {
                var removing = await engine.EntitlementsStillRemovingAsync(grant.EntitlementKeys, cancellationToken).ConfigureAwait(false);
                status = removing.Count == 0 ? "access-removed" : "removing";
                if (removing.Count > 0)
                {
                    error = await engine.LastErrorAsync(IntentKind.RemoveEntitlement, removing, cancellationToken).ConfigureAwait(false);
                    unfinished.Add($"grant {grant.Id} of {grant.User.UserName}: access not yet removed{(error is null ? "" : $" ({error})")}");
                }
            }

            stops.Add(new ReconcileStop(stop.Grant.Id, stop.Grant.Slot.Mapping, grant?.User.UserName, stop.Grant.Slot.GroupId, stop.Reason, status, error));
        }

        var unmapped = plan.Unmapped.Select(u => new ReconcileUnmapped(u.Principal.Id, u.Principal.UserPrincipalName, u.Principal.Mail, u.Mapping, u.GroupId)).ToList();
        var suppressed = plan.Suppressed.Select(w => new ReconcileHeldBack(w.Mapping.Name, w.Principal.Id, w.Principal.UserPrincipalName, w.GroupId, Time(w.End))).ToList();
        // A start PIM does not know (a standing assignment listed without one) is shown as unknown, not as 1970.
        var leftOut = plan.IgnoredPermanent.Select(i => new ReconcileLeftOut(i.Mapping, i.Principal.Id, i.Principal.UserPrincipalName, i.Principal.Mail, i.GroupId,
            Access(i.Access), i.Since == GraphPimSource.UnknownStart ? "unknown" : Formats.Time(i.Since), ReconcileLeftOut.PermanentNotIncluded, ReconcileLeftOut.FixFor(i.Mapping))).ToList();
        var document = new ReconcileDocument(dryRun, [.. groups], newGrants, endChanges, stops, unmapped, suppressed, leftOut,
            ticks is { } t ? new ReconcileApplied(t.Ticks, t.IntentsDone, t.IntentsFailed, t.Finished) : null);
        return new ReconcileReport(document, unfinished);
    }

    public void WriteTable(IAnsiConsole console)
    {
        var d = Document;
        var verb = d.DryRun ? "Would make" : "Made";
        var changes = d.NewGrants.Count + d.EndChanges.Count + d.Stops.Count;
        if (changes + d.Unmapped.Count + d.Suppressed.Count + d.LeftOut.Count == 0)
        {
            console.WriteLine($"Nothing to change: AWS matches PIM for {Formats.Count(d.Groups.Count, "group")}.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "Change", "Grant", "Mapping", "User", "Group", "Detail", d.DryRun ? "" : "Status" })
        {
            if (header.Length == 0) continue;
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        void Row(string change, string grant, string mapping, string? user, string group, string detail, string? status)
        {
            var cells = new List<Text> { new(change), new(grant), new(mapping), new(user ?? "-"), new(group), new(detail) };
            if (!d.DryRun) cells.Add(new Text(status ?? "-"));
            table.AddRow(cells);
        }

        foreach (var g in d.NewGrants)
            Row("new grant", g.Grant, g.Mapping, g.User, g.Group, $"{g.Access} from {g.Start} until {g.End ?? "no end"}; {Formats.Count(g.Entitlements.Count, "entitlement")}",
                g.Status is null ? null : g.Error is null ? g.Status : $"{g.Status}: {g.Error}");
        foreach (var c in d.EndChanges)
            Row(c.Change == "extended" ? "extend" : "shorten", c.Grant, c.Mapping, c.User, c.Group, $"end {c.From ?? "none"} -> {c.To ?? "none"}", d.DryRun ? null : "moved");
        foreach (var s in d.Stops)
            Row("stop", s.Grant, s.Mapping, s.User, s.Group, $"reason: {s.Reason}", s.Status is null ? null : s.Error is null ? s.Status : $"{s.Status}: {s.Error}");
        foreach (var u in d.Unmapped)
            Row("unmapped user", "-", u.Mapping, u.UserPrincipalName ?? u.Mail ?? u.Principal, u.Group, "no IAM Identity Center user matches; no access granted (an unmapped-user alert is raised)", d.DryRun ? null : "alerted");
        foreach (var s in d.Suppressed)
            Row("held back", "-", s.Mapping, s.UserPrincipalName ?? s.Principal, s.Group, "this activation's grant was revoked; it stays revoked while PIM lists it", null);
        foreach (var l in d.LeftOut)
            Row("left out", "-", l.Mapping, l.UserPrincipalName ?? l.Mail ?? l.Principal, l.Group,
                $"standing {l.Access} assignment since {l.Since}; the mapping counts activations only (IncludePermanent is false), so no access", null);

        console.WriteLine($"{verb} {Formats.Count(changes, "change")} for {Formats.Count(d.Groups.Count, "group")}{(d.DryRun ? " (dry run: nothing was written)" : "")}" +
            (d.LeftOut.Count == 0 ? ":" : $"; PIM lists {Formats.Count(d.LeftOut.Count, "standing assignment")} that no mapping counts:"));
        console.Write(table);
        console.WriteLine($"{verb}: {Formats.Count(d.NewGrants.Count, "new grant")}, {Formats.Count(d.EndChanges.Count, "end change")}, {Formats.Count(d.Stops.Count, "stop")}; " +
            $"{Formats.Count(d.Unmapped.Count, "unmapped user")}, {Formats.Count(d.Suppressed.Count, "revoked activation")} held back, {Formats.Count(d.LeftOut.Count, "standing assignment")} left out.");
        foreach (var mapping in d.LeftOut.Select(l => l.Mapping).Distinct(StringComparer.Ordinal))
            console.WriteLine($"To give standing assignments access: {ReconcileLeftOut.FixFor(mapping)}.");
        if (d.Applied is { } a)
            console.WriteLine($"Applied in {Formats.Count(a.Ticks, "tick")}: {Formats.Count(a.StepsDone, "step")} done, {a.StepsFailed} failed.");
    }

    private static string Access(PimAccess access) => access == PimAccess.Owner ? "owner" : "member";

    private static string? Time(DateTimeOffset? time) => time is { } t ? Formats.Time(t) : null;
}
