using System.CommandLine;
using PimBridge.Aws;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Entra;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge reconcile [--group G]... [--dry-run] [--json]</c>: reads PIM for the mapped Entra groups and brings
/// AWS in line now, instead of waiting for the next poll; with <c>--dry-run</c>, says what it would change and changes
/// nothing. For an operator who just fixed a mapping or a missing user, or who wants to see the drift first.
/// </summary>
internal static class ReconcileCommand
{
    /// <summary>How long reconcile keeps ticking to apply what it decided before leaving the rest to the running PimBridge.</summary>
    private static readonly TimeSpan ApplyLimit = TimeSpan.FromMinutes(2);

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var groups = new Option<string[]>("--group")
        {
            Description = "An Entra group (object id) to reconcile; repeat for several. Default: every mapped group.",
            HelpName = "group-id",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would change; write nothing to the store or AWS." };
        var json = new Option<bool>("--json") { Description = "Write one JSON document instead of a table; no progress is shown." };
        var config = new ConfigFileOption();
        var store = new StateStoreOptions();

        var command = new Command("reconcile", "Read PIM for the mapped groups and make AWS match it now (or, with --dry-run, show what would change).")
        {
            groups, dryRun, json,
        };
        config.AddTo(command);
        store.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(
            parseResult, config, store, parseResult.GetValue(groups) ?? [], parseResult.GetValue(dryRun), parseResult.GetValue(json), console, ct), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parseResult, ConfigFileOption config, StateStoreOptions storeOptions, string[] requestedGroups, bool dryRun, bool json,
        CliConsole console, CancellationToken cancellationToken)
    {
        await using var engine = await ConfiguredEngine.OpenAsync(parseResult, config, storeOptions, console, pimRequired: true, dryRun ? MissingStateFile.PlanOnEmpty : MissingStateFile.Create, cancellationToken).ConfigureAwait(false);
        var groups = SelectGroups(requestedGroups, engine.Enforcer);
        var showProgress = console.ShowsProgress && !json;

        ReconcileResult result;
        IReadOnlyDictionary<string, Grant> before;
        TickTotals? ticks = null;
        try
        {
            result = await WithStatusAsync(console, showProgress, $"Reading PIM for {Formats.Count(groups.Count, "group")}...",
                _ => engine.Enforcer.ReconcileGroupsAsync(groups, dryRun, cancellationToken: cancellationToken)).ConfigureAwait(false);
            // The stopped and moved grants in full, for the user names and entitlements the plan's slim view lacks.
            before = await engine.GrantsAsync(result.Plan.EndChanges.Select(c => c.Grant.Id).Concat(result.Plan.Stops.Select(s => s.Grant.Id)), cancellationToken).ConfigureAwait(false);
            if (!dryRun && !result.Plan.IsEmpty)
            {
                ticks = await WithStatusAsync(console, showProgress, "Applying...", status => engine.TickUntilAsync(
                    done: null, waitWhenIdle: false, ApplyLimit,
                    t => status?.Invoke($"Applying: {Formats.Count(t.Ticks, "tick")}, {Formats.Count(t.IntentsDone, "step")} done, {t.IntentsFailed} failed"),
                    cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (GraphPimException e)
        {
            return await EngineFailure.ReportAsync(console, $"{e.Message.TrimEnd('.')}. Nothing was changed. Run `pimbridge doctor` to check Graph access and permissions.").ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (!e.IsRetryable || e.Status == 0)
        {
            return await EngineFailure.ReportAsync(console, $"{e.Message.TrimEnd('.')}. Run `pimbridge doctor` to check AWS credentials and permissions.").ConfigureAwait(false);
        }

        var report = await ReconcileReport.BuildAsync(result, groups, dryRun, before, ticks, engine, cancellationToken).ConfigureAwait(false);
        if (json)
            JsonOutput.Write(console.Output, report.Document);
        else
            report.WriteTable(console.OutputConsole);

        if (report.Unfinished.Count > 0)
        {
            await console.Error.WriteLineAsync(
                $"error: {Formats.Count(report.Unfinished.Count, "change")} could not be completed in AWS yet; PimBridge keeps retrying them (pimbridge serve), and raises an alert if they keep failing:").ConfigureAwait(false);
            foreach (var line in report.Unfinished)
                await console.Error.WriteLineAsync($"  - {line}").ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;
    }

    /// <summary>The groups asked for, each checked against the mappings; all mapped groups when none is given.</summary>
    private static List<string> SelectGroups(string[] requested, Enforcer enforcer)
    {
        if (requested.Length == 0)
            return [.. enforcer.MappedGroups.Order(StringComparer.Ordinal)];
        var groups = new List<string>();
        foreach (var given in requested)
        {
            var group = given.Trim().ToLowerInvariant();
            if (!Guid.TryParse(group, out _))
                throw new CliInputException($"--group '{given}' is not an Entra group object id; give the group's Object ID (a GUID) from Entra > Groups.");
            if (!enforcer.MappedGroups.Contains(group))
                throw new CliInputException($"--group '{given}' is not in any mapping, so PimBridge has nothing to do for it; mapped groups: {string.Join(", ", enforcer.MappedGroups.Order(StringComparer.Ordinal))}.");
            if (!groups.Contains(group)) groups.Add(group);
        }

        return groups;
    }

    /// <summary>Runs <paramref name="work"/> under a status line on standard error when progress may be shown.</summary>
    internal static async Task<T> WithStatusAsync<T>(CliConsole console, bool show, string initial, Func<Action<string>?, Task<T>> work)
    {
        if (!show)
            return await work(null).ConfigureAwait(false);
        return await console.ErrorConsole.Status().StartAsync(initial, context => work(text => context.Status(Markup.Escape(text)))).ConfigureAwait(false);
    }
}
