using System.CommandLine;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge revoke --user U [--reason R] [--yes]</c>: the emergency stop. Ends every active grant of one Identity
/// Center user now, removes the AWS access they held and fences the user's live sessions, without waiting for PIM.
/// The revoke holds for as long as PIM lists those activations; a new activation grants again.
/// </summary>
internal static class RevokeCommand
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(2);

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var user = new Option<string>("--user")
        {
            Description = "The IAM Identity Center user name or user id whose access to revoke.",
            HelpName = "user",
            Required = true,
        };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log (default: \"emergency revoke with pimbridge revoke\").", HelpName = "text" };
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation; required when standard input or output is not an interactive terminal." };
        var wait = new Option<string?>("--wait")
        {
            Description = "How long to keep applying the removal and the fences before leaving the rest to the running PimBridge (default 2m).",
            HelpName = "duration",
        };
        var json = new Option<bool>("--json") { Description = "Write one JSON document instead of tables; no progress is shown." };
        var config = new ConfigFileOption();
        var store = new StateStoreOptions();

        var command = new Command("revoke", "Emergency: end every PimBridge grant of a user now, remove the AWS access and fence live sessions.")
        {
            user, reason, yes, wait, json,
        };
        config.AddTo(command);
        store.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(new RevokeRequest(
            parseResult, config, store, parseResult.GetRequiredValue(user), parseResult.GetValue(reason), parseResult.GetValue(yes),
            parseResult.GetValue(wait), parseResult.GetValue(json)), console, ct), cancellationToken));
        return command;
    }

    private sealed record RevokeRequest(
        ParseResult ParseResult, ConfigFileOption Config, StateStoreOptions Store, string User, string? Reason, bool Yes, string? Wait, bool Json);

    private static async Task<int> RunAsync(RevokeRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        var user = request.User.Trim();
        if (user.Length == 0)
            throw new CliInputException("--user is empty; give the IAM Identity Center user name (for example alice@example.com) or user id.");
        var wait = ParseWait(request.Wait);
        // Only a person at a terminal can be asked; a script must say --yes, so a forgotten flag never waits on a prompt.
        var interactive = console.ShowsProgress && console.HandlesProcessTermination && !Console.IsInputRedirected;
        if (!request.Yes && !interactive)
            throw new CliInputException($"revoke removes the AWS access of '{user}' at once and cannot be undone, and there is no terminal to ask for confirmation; run it again with --yes.");

        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "emergency revoke with pimbridge revoke" : request.Reason.Trim();
        await using var engine = await ConfiguredEngine.OpenAsync(request.ParseResult, request.Config, request.Store, console, pimRequired: false, MissingStateFile.Refuse, cancellationToken).ConfigureAwait(false);

        var active = await engine.Store.ListGrantsAsync(activeOnly: true, user, cancellationToken).ConfigureAwait(false);
        if (active.Count == 0)
        {
            if (request.Json)
                JsonOutput.Write(console.Output, new RevokeDocument(user, reason, Revoked: false, [], [], [], Complete: true));
            else
                await console.Output.WriteLineAsync($"'{user}' has no active PimBridge grants: nothing to revoke.").ConfigureAwait(false);
            return ExitCodes.Success;
        }

        if (!request.Yes)
        {
            var question = $"Revoke {Formats.Count(active.Count, "active grant")} of {active[0].User.UserName} now? Their AWS access is removed and live sessions are fenced.";
            if (!await new ConfirmationPrompt(question) { DefaultValue = false }.ShowAsync(console.ErrorConsole, cancellationToken).ConfigureAwait(false))
            {
                await console.Error.WriteLineAsync("Nothing was revoked.").ConfigureAwait(false);
                return ExitCodes.Success;
            }
        }

        var revoked = await engine.Enforcer.RevokeUserAsync(user, reason, cancellationToken).ConfigureAwait(false);
        var keys = revoked.SelectMany(g => g.EntitlementKeys).Distinct(StringComparer.Ordinal).ToList();
        var userIds = revoked.Select(g => g.User.UserId).ToHashSet(StringComparer.Ordinal);
        var showProgress = console.ShowsProgress && !request.Json;
        var totals = await ReconcileCommand.WithStatusAsync(console, showProgress, "Removing access...", status => engine.TickUntilAsync(
            done: async ct =>
            {
                var progress = await ProgressAsync(engine, keys, userIds, ct).ConfigureAwait(false);
                status?.Invoke(progress.Describe(keys.Count));
                return progress.Done;
            },
            waitWhenIdle: true, wait, progress: null, cancellationToken)).ConfigureAwait(false);

        var report = await RevokeReport.BuildAsync(engine, user, reason, revoked, keys, userIds, totals.Finished, cancellationToken).ConfigureAwait(false);
        if (request.Json)
            JsonOutput.Write(console.Output, report);
        else
            RevokeReport.WriteTable(console.OutputConsole, report);

        if (!report.Complete && wait == TimeSpan.Zero)
        {
            await console.Error.WriteLineAsync("Pending (--wait 0): the running PimBridge (pimbridge serve) removes the access and fences the sessions on its next ticks.").ConfigureAwait(false);
        }
        else if (!report.Complete)
        {
            await console.Error.WriteLineAsync(
                $"error: the grants are ended, but not everything reached AWS within {Seconds(wait)}; the running PimBridge (pimbridge serve) carries on from the store, and raises an alert if it keeps failing:").ConfigureAwait(false);
            foreach (var e in report.Entitlements.Where(e => e.Status == "removing"))
                await console.Error.WriteLineAsync($"  - {e.Key}: not yet removed{(e.Error is null ? "" : $" ({e.Error})")}").ConfigureAwait(false);
            foreach (var f in report.Fences.Where(f => f.State == "pending"))
                await console.Error.WriteLineAsync($"  - fence on {f.PermissionSet}: not yet written to the permission set's inline policy").ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;
    }

    private static string Seconds(TimeSpan span) => $"{(long)span.TotalSeconds} s";

    private static TimeSpan ParseWait(string? text)
    {
        if (text is null)
            return DefaultWait;
        if (text.Trim() == "0")
            return TimeSpan.Zero; // a bare number is no duration, but zero means the same in every unit
        if (!Duration.TryParse(text, out var wait) || wait < TimeSpan.Zero)
            throw new CliInputException($"--wait '{text}' is not a duration; give one like 30s, 2m or PT2M (0 only records the revoke and leaves the rest to the running PimBridge).");
        return wait;
    }

    /// <summary>Where the removal stands: entitlements still being removed, fences of the user not yet in force.</summary>
    private static async Task<RevokeProgress> ProgressAsync(ConfiguredEngine engine, IReadOnlyList<string> keys, IReadOnlySet<string> userIds, CancellationToken cancellationToken)
    {
        var removing = await engine.EntitlementsStillRemovingAsync(keys, cancellationToken).ConfigureAwait(false);
        var fences = (await engine.Store.ListFencesAsync(openOnly: true, cancellationToken).ConfigureAwait(false)).Where(f => userIds.Contains(f.UserId)).ToList();
        return new RevokeProgress(removing.Count, fences.Count(f => f.State == FenceState.Pending), fences.Count);
    }

    private sealed record RevokeProgress(int Removing, int PendingFences, int Fences)
    {
        // Fences are planned when a removal is confirmed, so "no removal left and no fence pending" is the end.
        public bool Done => Removing == 0 && PendingFences == 0;

        public string Describe(int entitlements) =>
            $"Removing access: {entitlements - Removing}/{entitlements} entitlements removed, {Fences - PendingFences}/{Fences} session fences in force";
    }
}
