using System.CommandLine;
using PimBridge.Cli.Output;
using PimBridge.Cli.Reports;
using PimBridge.Core.Domain;
using Spectre.Console;
using static PimBridge.Cli.Output.Tables;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge alerts</c>: the alerts PimBridge raised (the engine's, and the gap detector's AWS activity after access
/// ended), from the state store, oldest first. Reads only.
/// </summary>
internal static class AlertsCommand
{
    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var since = new Option<string>("--since")
        {
            Description = "Only alerts raised at or after this time: an ISO 8601 time (2026-11-20T14:00:00Z) or an age (24h, 7d).",
            HelpName = "time",
        };
        var severity = Arguments.SeverityOption("--severity", "The lowest severity to show (default info: all).");
        var kind = new Option<string>("--kind")
        {
            Description = "Only alerts of this kind (unmapped-user, gap.succeeded-after-fence, ...); end it with * for a family (gap.*).",
            HelpName = "kind",
        };
        var json = Arguments.JsonOption("Write a JSON array (with each alert's facts; fields documented in docs/cli.md) instead of a table.");
        var html = new Option<string>("--html")
        {
            Description = "Also write a self-contained HTML report of the alerts listed to this file: a timeline per user and grant for gap alerts, the alerts with filters, and counts.",
            HelpName = "file",
        };
        var store = new StateStoreOptions();
        var command = new Command("alerts", "List the alerts PimBridge raised, oldest first.") { since, severity, kind, json, html };
        store.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, async ct =>
        {
            var filter = new AlertFilter(
                parseResult.GetValue(since) is { } s ? Arguments.ParseSince(s, console.Clock.GetUtcNow()) : null,
                Formats.ParseSeverity(parseResult.GetValue(severity) ?? "info"),
                parseResult.GetValue(kind) is { Length: > 0 } k ? k : null);
            var htmlPath = parseResult.GetValue(html) is { } h ? ReportFile.Check(h) : null;
            List<Alert> shown;
            GapReportPage? page = null;
            await using (var opened = await store.OpenAsync(parseResult, ct).ConfigureAwait(false))
            {
                var alerts = await opened.Store.ListAlertsAsync(filter.Since, ct).ConfigureAwait(false);
                shown = alerts.Where(filter.Matches).ToList();
                if (htmlPath is not null)
                    page = await StoredAlertsReportPage.CreateAsync(shown, opened.Store, opened.Describe, filter.Describe(), console.Clock.GetUtcNow(), ct).ConfigureAwait(false);
            }

            if (parseResult.GetValue(json))
                JsonOutput.Write(console.Output, shown.Select(StoredAlertDocument.From).ToList());
            else
                WriteTable(console, shown, filter);
            if (htmlPath is not null && page is not null)
            {
                await ReportFile.WriteAsync(htmlPath, page.Render(), ct).ConfigureAwait(false);
                await console.Error.WriteLineAsync($"Report written to {htmlPath}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    /// <summary>What <c>--since</c>, <c>--severity</c> and <c>--kind</c> let through.</summary>
    private sealed record AlertFilter(DateTimeOffset? Since, AlertSeverity MinimumSeverity, string? Kind)
    {
        public bool Matches(Alert alert) => alert.Severity >= MinimumSeverity && Kind switch
        {
            null => true,
            [.. var prefix, '*'] => alert.Kind.StartsWith(prefix, StringComparison.OrdinalIgnoreCase),
            _ => alert.Kind.Equals(Kind, StringComparison.OrdinalIgnoreCase),
        };

        /// <summary>"since 2026-11-21T09:00:00Z, at warning or above, of kind gap.*", for the empty listing.</summary>
        public string Describe()
        {
            var parts = new List<string>();
            if (Since is { } since) parts.Add($"since {Formats.Time(since)}");
            if (MinimumSeverity > AlertSeverity.Info) parts.Add($"at {Formats.Severity(MinimumSeverity)} or above");
            if (Kind is not null) parts.Add($"of kind {Kind}");
            return parts.Count == 0 ? "" : " " + string.Join(", ", parts);
        }
    }

    private static void WriteTable(CliConsole console, IReadOnlyList<Alert> alerts, AlertFilter filter)
    {
        var output = console.OutputConsole;
        if (alerts.Count == 0)
        {
            output.WriteLine($"No alerts{filter.Describe()}.");
            return;
        }

        var table = Tables.Create("Time (UTC)", "Severity", "Kind", "Subject", "Message");
        foreach (var alert in alerts)
            table.AddRow(Cell(alert.At), Severity(alert.Severity), Cell(alert.Kind), Cell(alert.Subject), Cell(alert.Message));

        output.Write(table);
        var bySeverity = Enum.GetValues<AlertSeverity>().Reverse().Select(s => $"{alerts.Count(a => a.Severity == s)} {Formats.Severity(s)}");
        output.WriteLine($"{Formats.Count(alerts.Count, "alert")}: {string.Join(", ", bySeverity)}.");
    }
}
