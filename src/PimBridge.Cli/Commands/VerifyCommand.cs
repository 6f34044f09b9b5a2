using System.CommandLine;
using System.Text.Json.Serialization;
using PimBridge.Aws;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge verify [--repair] [--json]</c>: one whole drift sweep now. By default it only reports and writes
/// nothing; with <c>--repair</c> it records the repairs (as the periodic sweep does) and applies them.
/// </summary>
internal static class VerifyCommand
{
    /// <summary>How long <c>--repair</c> keeps ticking to carry the repairs out before leaving the rest to the running PimBridge.</summary>
    private static readonly TimeSpan ApplyLimit = TimeSpan.FromMinutes(2);

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var repair = new Option<bool>("--repair") { Description = "Repair what differs (restore, remove and fence, rewrite fences) and raise the alerts; standing access is only reported." };
        var json = new Option<bool>("--json") { Description = "Write one JSON document instead of a table; no progress is shown." };
        var config = new ConfigFileOption();
        var store = new StateStoreOptions();
        var command = new Command("verify", $"Compare IAM Identity Center with what PimBridge confirmed: orphans, missing access, missing fences, standing access. Exit {ExitCodes.DriftFound} when something needs repair.")
        {
            repair, json,
        };
        config.AddTo(command);
        store.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(
            parseResult, config, store, parseResult.GetValue(repair), parseResult.GetValue(json), console, ct), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parseResult, ConfigFileOption config, StateStoreOptions storeOptions, bool repair, bool json, CliConsole console, CancellationToken cancellationToken)
    {
        await using var engine = await ConfiguredEngine.OpenAsync(parseResult, config, storeOptions, console, pimRequired: false, cancellationToken).ConfigureAwait(false);
        var showProgress = console.ShowsProgress && !json;
        DriftReport report;
        TickTotals? ticks = null;
        try
        {
            report = await ReconcileCommand.WithStatusAsync(console, showProgress, "Reading IAM Identity Center...",
                _ => engine.Sweep.RunAsync(repair, cancellationToken)).ConfigureAwait(false);
            if (repair && report.Drifts.Any(d => d.Repaired == true))
            {
                ticks = await ReconcileCommand.WithStatusAsync(console, showProgress, "Repairing...", status => engine.TickUntilAsync(
                    done: null, waitWhenIdle: false, ApplyLimit,
                    t => status?.Invoke($"Repairing: {Formats.Count(t.Ticks, "tick")}, {Formats.Count(t.IntentsDone, "step")} done, {t.IntentsFailed} failed"),
                    cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (AwsServiceException e) when (!e.IsRetryable || e.Status == 0)
        {
            return await EngineFailure.ReportAsync(console, $"{e.Message.TrimEnd('.')}. Run `pimbridge doctor` to check AWS credentials and permissions.").ConfigureAwait(false);
        }

        var document = VerifyDocument.From(report, repair, ticks);
        if (json)
            JsonOutput.Write(console.Output, document);
        else
            document.WriteTable(console.OutputConsole);

        foreach (var limit in report.Limits)
            await console.Error.WriteLineAsync($"warning: {limit}").ConfigureAwait(false);
        if (report.Repairable.Any())
            return ExitCodes.DriftFound;
        if (report.Unchecked.Count > 0)
        {
            await console.Error.WriteLineAsync($"error: {Formats.Count(report.Unchecked.Count, "target")} could not be read, so they were not verified:").ConfigureAwait(false);
            foreach (var line in report.Unchecked)
                await console.Error.WriteLineAsync($"  - {line}").ConfigureAwait(false);
            await console.Error.WriteLineAsync("Run `pimbridge doctor` to check PimBridge's access to IAM Identity Center.").ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;
    }
}

/// <summary>The <c>verify --json</c> document (docs/cli.md).</summary>
internal sealed record VerifyDocument(
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("repair")] bool Repair,
    [property: JsonPropertyName("targets")] int Targets,
    [property: JsonPropertyName("targetsChecked")] int TargetsChecked,
    [property: JsonPropertyName("fencedPermissionSetsChecked")] int FencedPermissionSetsChecked,
    [property: JsonPropertyName("calls")] int Calls,
    [property: JsonPropertyName("drifts")] IReadOnlyList<VerifyDrift> Drifts,
    [property: JsonPropertyName("unchecked")] IReadOnlyList<string> Unchecked,
    [property: JsonPropertyName("limits")] IReadOnlyList<string> Limits,
    [property: JsonPropertyName("applied")] VerifyApplied? Applied)
{
    public static VerifyDocument From(DriftReport report, bool repair, TickTotals? ticks) => new(
        Formats.Time(report.At), repair, report.Targets, report.TargetsChecked, report.PermissionSetsChecked, report.Calls,
        report.Drifts.Select(d => new VerifyDrift(
            Kind(d.Kind), d.Subject, d.Entitlement?.UserId ?? d.Fence?.UserId, d.Entry?.UserName ?? d.Fence?.UserName,
            d.Entitlement?.GroupId, d.Entitlement?.PermissionSetArn ?? d.Fence?.PermissionSetArn, d.Entitlement?.AccountId,
            d.Fence?.Accounts, d.Finding, d.New, d.Repaired)).ToList(),
        report.Unchecked, report.Limits, ticks is { } t ? new VerifyApplied(t.Ticks, t.IntentsDone, t.IntentsFailed, t.Finished) : null);

    /// <summary>The kinds as the document names them.</summary>
    public static string Kind(DriftKind kind) => kind switch
    {
        DriftKind.Orphan => "orphan",
        DriftKind.MissingAccess => "missing-access",
        DriftKind.MissingFence => "missing-fence",
        _ => "standing-access",
    };

    public void WriteTable(IAnsiConsole console)
    {
        var verb = Repair ? "Found and repaired" : "Found";
        console.WriteLine($"Verified {TargetsChecked} of {Formats.Count(Targets, "mapped target")} and {Formats.Count(FencedPermissionSetsChecked, "fenced permission set")} in {Formats.Count(Calls, "call")} to IAM Identity Center.");
        if (Drifts.Count == 0)
        {
            console.WriteLine("No drift: Identity Center matches what PimBridge confirmed.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "Drift", "User", "Where", "Finding", Repair ? "Repair" : "" })
        {
            if (header.Length == 0) continue;
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        foreach (var d in Drifts)
        {
            var where = d.Group is { } g ? $"group {g}" : d.Account is { } a ? $"{d.PermissionSet} in {a}" : $"{d.PermissionSet} in {string.Join(", ", d.FenceAccounts ?? [])}";
            var cells = new List<Text> { new(d.Kind), new(d.User ?? d.UserId ?? "-"), new(where), new(d.Finding) };
            if (Repair)
                cells.Add(new Text(d.Kind == "standing-access" ? (d.New ? "recorded; left in place" : "known; left in place") : d.Repaired == true ? "recorded" : "left to the engine (it changed meanwhile)"));
            table.AddRow(cells);
        }

        console.Write(table);
        var repairable = Drifts.Count(d => d.Kind != "standing-access");
        console.WriteLine($"{verb}: {Formats.Count(repairable, "drift")} to repair, {Formats.Count(Drifts.Count - repairable, "standing access", "standing accesses")} (never touched).");
        if (Applied is { } applied)
            console.WriteLine($"Applied in {Formats.Count(applied.Ticks, "tick")}: {Formats.Count(applied.StepsDone, "step")} done, {applied.StepsFailed} failed.");
        else if (!Repair && repairable > 0)
            console.WriteLine("Nothing was changed. Run `pimbridge verify --repair` to repair, or let the running PimBridge's sweep do it.");
    }
}

internal sealed record VerifyDrift(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("userId")] string? UserId,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("group")] string? Group,
    [property: JsonPropertyName("permissionSet")] string? PermissionSet,
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("fenceAccounts")] IReadOnlyList<string>? FenceAccounts,
    [property: JsonPropertyName("finding")] string Finding,
    [property: JsonPropertyName("new")] bool New,
    [property: JsonPropertyName("repaired")] bool? Repaired);

internal sealed record VerifyApplied(
    [property: JsonPropertyName("ticks")] int Ticks,
    [property: JsonPropertyName("stepsDone")] int StepsDone,
    [property: JsonPropertyName("stepsFailed")] int StepsFailed,
    [property: JsonPropertyName("finished")] bool Finished);
