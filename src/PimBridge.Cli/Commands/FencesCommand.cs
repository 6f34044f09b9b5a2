using System.CommandLine;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using Spectre.Console;
using static PimBridge.Cli.Output.Tables;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge fences</c>: the session fences in the state store: whose sessions of which permission set are denied in
/// which accounts, for tokens issued before which cutoff, until when, and whether the Deny is in place. Reads only.
/// </summary>
internal static class FencesCommand
{
    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var open = new Option<bool>("--open") { Description = "Only fences not yet lifted (pending, active or lifting)." };
        var json = Arguments.JsonOption();
        var store = new StateStoreOptions();
        var command = new Command("fences", "List session fences (Denies on sessions issued before access ended), oldest first.") { open, json };
        store.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, async ct =>
        {
            var openOnly = parseResult.GetValue(open);
            IReadOnlyList<SessionFence> fences;
            await using (var opened = await store.OpenAsync(parseResult, ct).ConfigureAwait(false))
                fences = await opened.Store.ListFencesAsync(openOnly, ct).ConfigureAwait(false);

            if (parseResult.GetValue(json))
                JsonOutput.Write(console.Output, fences.Select(FenceDocument.From).ToList());
            else
                WriteTable(console, fences, openOnly);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static void WriteTable(CliConsole console, IReadOnlyList<SessionFence> fences, bool openOnly)
    {
        var output = console.OutputConsole;
        if (fences.Count == 0)
        {
            output.WriteLine(openOnly ? "No open session fences." : "No session fences.");
            return;
        }

        var table = Tables.Create("Id", "User", "Permission set", "Accounts", "Cutoff", "Until", "State", "Active since", "Lifted at");
        foreach (var fence in fences)
        {
            table.AddRow(
                Cell(fence.Id),
                Cell(fence.UserName),
                Cell(fence.PermissionSetName ?? fence.PermissionSetArn),
                Cell(string.Join(", ", fence.Accounts)),
                Cell(fence.Cutoff),
                Cell(fence.Until),
                Cell(Formats.Name(fence.State)),
                Cell(fence.ActiveSince),
                Cell(fence.LiftedAt));
        }

        output.Write(table);
        var lifted = fences.Count(f => f.State == FenceState.Lifted);
        output.WriteLine($"{Formats.Count(fences.Count, "fence")}: {fences.Count - lifted} open, {lifted} lifted.");
    }
}
