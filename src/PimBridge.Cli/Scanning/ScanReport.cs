using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using Spectre.Console;
using static PimBridge.Cli.Output.Tables;

namespace PimBridge.Cli.Scanning;

/// <summary>
/// What <c>pimbridge scan</c> prints: a table of the alerts at or above the chosen severity and a summary of what was
/// read, or the same as one JSON document (<see cref="ScanDocument"/>) for scripts.
/// </summary>
internal sealed class ScanReport(TrailScanOutcome outcome, AlertSeverity minimumSeverity)
{
    public IReadOnlyList<GapAlert> Shown { get; } = outcome.Alerts.Where(a => a.Severity >= minimumSeverity).ToList();

    public void WriteTable(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (Shown.Count == 0)
        {
            console.WriteLine(outcome.Alerts.Count == 0
                ? "No AWS activity after PIM access ended was found."
                : $"No alerts at {Formats.Severity(minimumSeverity)} or above.");
        }
        else
        {
            var table = Tables.Create("Time (UTC)", "Severity", "Class", "User", "Permission set", "Account", "Region", "Event", "After expiry", "Source IP", "Event id");
            foreach (var alert in Shown)
            {
                table.AddRow(
                    Cell(Formats.Time(alert.EventTime)),
                    Tables.Severity(alert.Severity),
                    Cell(GapAlert.ClassName(alert.Class)),
                    Cell(alert.UserName),
                    Cell(alert.PermissionSetName),
                    Cell(alert.AccountId),
                    Cell(alert.Region),
                    Cell(Formats.Call(alert.EventSource, alert.EventName)),
                    Cell(Durations.Describe(alert.AfterExpiry)),
                    Cell(alert.SourceIpAddress),
                    Cell(alert.EventId));
            }

            console.Write(table);
        }

        console.WriteLine();
        foreach (var line in SummaryLines())
            console.WriteLine(line);
    }

    /// <summary>The summary under the table: what was read, what was wrong with it, and the alerts per class.</summary>
    public IEnumerable<string> SummaryLines()
    {
        var stats = outcome.Stats;
        yield return $"Scanned {Formats.Count(stats.Files, "file")} ({Formats.Megabytes(stats.Bytes)} of JSON), {Formats.Count(stats.Records, "record")}, against {Formats.Count(outcome.Windows, "grant window")}.";
        yield return $"Damaged files: {stats.DamagedFiles}" + (stats.DamagedFiles > stats.Problems.Count ? $" (the first {stats.Problems.Count} listed)" : "");
        foreach (var problem in stats.Problems)
            yield return $"  {problem}";
        yield return $"Malformed records: {stats.MalformedRecords}";
        if (stats.NormalisedTimes > 0)
            yield return $"Event times normalised (read as UTC): {stats.NormalisedTimes}";
        if (stats.DerivedEventIds > 0)
            yield return $"Event ids derived from content: {stats.DerivedEventIds}";
        var alerts = outcome.Alerts;
        var bySeverity = string.Join(", ", Enum.GetValues<AlertSeverity>().Reverse().Select(s => $"{alerts.Count(a => a.Severity == s)} {Formats.Severity(s)}"));
        var byClass = string.Join(", ", Enum.GetValues<GapClass>().Select(c => $"{GapAlert.ClassName(c)} {alerts.Count(a => a.Class == c)}"));
        yield return $"Alerts: {alerts.Count} ({bySeverity}): {byClass}";
        if (Shown.Count < alerts.Count)
            yield return $"Not shown: {alerts.Count - Shown.Count} below {Formats.Severity(minimumSeverity)} (--severity).";
    }

    public ScanDocument ToDocument()
    {
        var stats = outcome.Stats;
        return new ScanDocument(
            Shown.Select(AlertDocument.From).ToList(),
            new ScanStatsDocument(
                outcome.Windows, stats.Files, stats.Records, stats.Bytes, stats.MalformedRecords, stats.DamagedFiles, stats.Problems.ToList(),
                stats.NormalisedTimes, stats.DerivedEventIds,
                outcome.Alerts.Count, Shown.Count,
                Enum.GetValues<GapClass>().ToDictionary(GapAlert.ClassName, c => outcome.Alerts.Count(a => a.Class == c)),
                Enum.GetValues<AlertSeverity>().ToDictionary(Formats.Severity, s => outcome.Alerts.Count(a => a.Severity == s))));
    }
}
