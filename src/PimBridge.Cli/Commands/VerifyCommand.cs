using System.CommandLine;
using PimBridge.Aws;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;

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
        await using var engine = await ConfiguredEngine.OpenAsync(parseResult, config, storeOptions, console, pimRequired: false, MissingStateFile.Refuse, cancellationToken).ConfigureAwait(false);
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
