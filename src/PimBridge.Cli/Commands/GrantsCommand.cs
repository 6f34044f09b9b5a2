using System.CommandLine;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using Spectre.Console;
using static PimBridge.Cli.Output.Tables;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge grants</c>: the PIM grants PimBridge mirrored into AWS, from the state store: who, through which
/// mapping, for how long, how each ended, and how quickly access went live. Reads only.
/// </summary>
internal static class GrantsCommand
{
    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var active = new Option<bool>("--active") { Description = "Only grants that are still active." };
        var user = new Option<string>("--user")
        {
            Description = "Only the grants of this Identity Center user: user name (alice@example.com) or user id, any case.",
            HelpName = "user",
        };
        var json = Arguments.JsonOption();
        var store = new StateStoreOptions();
        var command = new Command("grants", "List PIM grants mirrored into AWS (active and ended), oldest first.") { active, user, json };
        store.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, async ct =>
        {
            var activeOnly = parseResult.GetValue(active);
            var who = parseResult.GetValue(user) is { Length: > 0 } u ? u : null;
            IReadOnlyList<Grant> grants;
            await using (var opened = await store.OpenAsync(parseResult, ct).ConfigureAwait(false))
                grants = await opened.Store.ListGrantsAsync(activeOnly, who, ct).ConfigureAwait(false);

            if (parseResult.GetValue(json))
                JsonOutput.Write(console.Output, grants.Select(GrantDocument.From).ToList());
            else
                WriteTable(console, grants, activeOnly, who);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static void WriteTable(CliConsole console, IReadOnlyList<Grant> grants, bool activeOnly, string? user)
    {
        var output = console.OutputConsole;
        if (grants.Count == 0)
        {
            output.WriteLine($"No {(activeOnly ? "active " : "")}grants{(user is null ? "" : $" of {user}")}.");
            return;
        }

        var table = Tables.Create("Id", "User", "Mapping", "Group", "Access", "State", "Start", "End", "Ended", "Access confirmed", "Processing");
        foreach (var grant in grants)
        {
            table.AddRow(
                Cell(grant.Id),
                Cell(grant.User.UserName),
                Cell(grant.Mapping),
                Cell(grant.GroupId),
                Cell(Formats.Name(grant.Access)),
                Cell(Formats.Name(grant.State)),
                Cell(grant.Start),
                Cell(grant.End),
                Cell(grant.EndedAt is { } ended ? $"{Formats.Time(ended)} ({grant.EndReason ?? "no reason recorded"})" : null),
                Cell(grant.AccessConfirmedAt),
                Cell(grant.ProcessingTime is { } processing ? Duration.Describe(processing) : null));
        }

        output.Write(table);
        var activeCount = grants.Count(g => g.State == GrantState.Active);
        output.WriteLine($"{Formats.Count(grants.Count, "grant")}: {activeCount} active, {grants.Count - activeCount} ended.");
    }
}
