using System.CommandLine;
using PimBridge.Cli.Output;
using PimBridge.Cli.Reports;
using PimBridge.Cli.Scanning;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge scan &lt;path&gt;...</c>: reads CloudTrail files for activity after given PIM grants ended, and prints
/// the alerts the gap detector would raise, without storing anything. For investigations (a copy of a trail bucket,
/// files someone gathered) and CI checks (<c>--fail-on</c>); the grants come from a JSON file or a PimBridge state file.
/// </summary>
internal static class ScanCommand
{
    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var paths = new Argument<string[]>("path")
        {
            Description = "CloudTrail files or exports (trail files, lookup-events output, JSON Lines, EventBridge events; .json, .jsonl, .ndjson, gzip or plain) or folders of them, read recursively.",
            Arity = ArgumentArity.OneOrMore,
        };
        var grants = new Option<string>("--grants")
        {
            Description = "A JSON file listing the ended grants to check (user, permission set(s), accounts, end; see docs/cli.md).",
            HelpName = "file",
        };
        var store = new Option<string>("--store")
        {
            Description = "A PimBridge SQLite state file: check its ended grants, through their session fences.",
            HelpName = "path",
        };
        var since = new Option<string>("--since")
        {
            Description = "Only grants whose watch window was still open at or after this time: an ISO 8601 time (2026-11-20T14:00:00Z) or an age (7d, 12h).",
            HelpName = "time",
        };
        var deliveryLag = new Option<string>("--delivery-lag")
        {
            Description = "How long after a window's end CloudTrail may still deliver its events (default 15m; 90s, 30m, 1h, PT15M).",
            HelpName = "duration",
        };
        var severity = Arguments.SeverityOption("--severity", "The lowest severity to show (default info).");
        var failOn = Arguments.SeverityOption("--fail-on", $"Exit with code {ExitCodes.AlertsFound} when an alert at or above this severity is found.");
        var json = new Option<bool>("--json")
        {
            Description = "Write one JSON document (alerts and stats) instead of a table; no progress is shown.",
        };
        var html = new Option<string>("--html")
        {
            Description = "Also write a self-contained HTML report to this file: a timeline per user and grant, the alerts with filters, and the statistics.",
            HelpName = "file",
        };

        var command = new Command("scan", "Scan CloudTrail files for AWS activity after PIM grants ended, and print the alerts.")
        {
            paths, grants, store, since, deliveryLag, severity, failOn, json, html,
        };
        command.Validators.Add(result =>
        {
            var hasGrants = result.GetResult(grants) is not null;
            var hasStore = result.GetResult(store) is not null;
            if (hasGrants && hasStore)
                result.AddError("--grants and --store cannot be used together; give one of them.");
            else if (!hasGrants && !hasStore)
                result.AddError("Say which grants to check: --grants FILE (a JSON list of grants) or --store PATH (a PimBridge state file).");
        });

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(new ScanRequest(
            parseResult.GetRequiredValue(paths),
            parseResult.GetValue(grants),
            parseResult.GetValue(store),
            parseResult.GetValue(since),
            parseResult.GetValue(deliveryLag),
            Formats.ParseSeverity(parseResult.GetValue(severity) ?? "info"),
            parseResult.GetValue(failOn) is { } f ? Formats.ParseSeverity(f) : null,
            parseResult.GetValue(json),
            parseResult.GetValue(html)), console, ct), cancellationToken));
        return command;
    }

    /// <summary>The parsed command line of one scan.</summary>
    private sealed record ScanRequest(
        IReadOnlyCollection<string> Paths, string? GrantsFile, string? StorePath, string? Since, string? DeliveryLag,
        AlertSeverity MinimumSeverity, AlertSeverity? FailOn, bool Json, string? Html);

    private static async Task<int> RunAsync(ScanRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        var lag = ParseDeliveryLag(request.DeliveryLag);
        DateTimeOffset? since = request.Since is null ? null : Arguments.ParseSince(request.Since, console.Clock.GetUtcNow());
        var inputs = TrailInputs.Resolve(request.Paths);
        var htmlPath = request.Html is { } h ? ReportFile.Check(h) : null;
        if (inputs.FileCount == 0)
            await console.Error.WriteLineAsync("Note: the paths given hold no trail files (*.json, *.jsonl, *.ndjson, each also .gz).").ConfigureAwait(false);

        IReadOnlyList<GapWatchWindow> windows;
        if (request.GrantsFile is { } grantsFile)
        {
            windows = await GrantsFile.ReadAsync(grantsFile, lag, cancellationToken).ConfigureAwait(false);
            if (since is { } s)
                windows = windows.Where(w => w.Until >= s).ToList();
        }
        else
        {
            windows = await StoreWindowsAsync(request.StorePath!, lag, since, cancellationToken).ConfigureAwait(false);
        }

        TrailScanOutcome outcome;
        if (windows.Count == 0)
        {
            var where = request.GrantsFile is not null ? $"in '{request.GrantsFile}'" : $"in '{request.StorePath}' (ended grants with session fences)";
            await console.Error.WriteLineAsync($"No grant windows to check {where}{(since is null ? "" : " since " + Formats.Time(since.Value))}; no files were read.").ConfigureAwait(false);
            outcome = new TrailScanOutcome([], new TrailScanStats(), 0);
        }
        else
        {
            var watch = new GapWatchSet(windows);
            if (console.ShowsProgress && !request.Json)
            {
                outcome = await console.ErrorConsole.Status().StartAsync($"Reading {Formats.Count(inputs.FileCount, "file")}...", context =>
                    TrailScan.RunAsync(inputs, watch, p => context.Status(Markup.Escape($"Reading: {p.FilesRead}/{p.FilesTotal} files, {Formats.Megabytes(p.Bytes)}")), cancellationToken)).ConfigureAwait(false);
            }
            else
            {
                outcome = await TrailScan.RunAsync(inputs, watch, progress: null, cancellationToken).ConfigureAwait(false);
            }
        }

        var report = new ScanReport(outcome, request.MinimumSeverity);
        if (request.Json)
            JsonOutput.Write(console.Output, report.ToDocument());
        else
            report.WriteTable(console.OutputConsole);

        if (htmlPath is not null)
        {
            var sources = request.Paths.Select(p => $"Trail files: {Path.GetFullPath(p)}").Append(request.GrantsFile is { } g
                ? $"Grants: {Path.GetFullPath(g)}"
                : $"Grants: the ended grants and session fences in {Path.GetFullPath(request.StorePath!)}").ToList();
            var page = ScanReportPage.Create(outcome, windows, request.MinimumSeverity, sources, console.Clock.GetUtcNow());
            await ReportFile.WriteAsync(htmlPath, page.Render(), cancellationToken).ConfigureAwait(false);
            await console.Error.WriteLineAsync($"Report written to {htmlPath}").ConfigureAwait(false);
        }

        if (request.FailOn is { } failOn && outcome.Alerts.Count(a => a.Severity >= failOn) is var failing and > 0)
        {
            await console.Error.WriteLineAsync($"Found {Formats.Count(failing, "alert")} at {Formats.Severity(failOn)} or above (--fail-on {Formats.Severity(failOn)}).").ConfigureAwait(false);
            return ExitCodes.AlertsFound;
        }

        return ExitCodes.Success;
    }

    /// <summary>The watch windows of a state file's ended grants, as the gap detector would build them.</summary>
    private static async Task<IReadOnlyList<GapWatchWindow>> StoreWindowsAsync(string path, TimeSpan lag, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var store = await StateStoreOptions.OpenSqliteAsync(
            path,
            $"The state file '{path}' does not exist; give the path of PimBridge's SQLite state file (PimBridge:SqlitePath), or list the grants in a file with --grants.",
            "Give the path of PimBridge's SQLite state file, or use --grants.",
            cancellationToken).ConfigureAwait(false);
        await using (store.ConfigureAwait(false))
        {
            return await GapDetector.WatchWindowsAsync(store, lag, since ?? DateTimeOffset.MinValue, (fence, _) => fence.PermissionSetName is { } name
                ? Task.FromResult(name)
                : Task.FromException<string>(new CliInputException(
                    $"The session fence '{fence.Id}' of {fence.UserName} was recorded without its permission set's name, so its CloudTrail role is unknown; scan that grant with --grants (permission set {fence.PermissionSetArn}), or pass --since a time after {Formats.Time(fence.Until + lag)}.")),
                // Offline, a group's assignments are unknown: its grants are taken to reach every permission set.
                (_, _) => Task.FromResult<IReadOnlyList<PermissionSetAccount>?>(null),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private static TimeSpan ParseDeliveryLag(string? text)
    {
        if (text is null)
            return GapWatchWindow.DefaultDeliveryLag;
        if (!Duration.TryParse(text, out var lag) || lag < TimeSpan.Zero)
            throw new CliInputException($"--delivery-lag '{text}' is not a duration; give one like 15m, 90s, 1h or PT15M.");
        return lag;
    }
}
