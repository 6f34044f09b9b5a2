using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using PimBridge.Cli.Commands;

namespace PimBridge.Cli;

/// <summary>
/// The <c>pimbridge</c> command line: builds the command tree (one class per command under <c>Commands/</c>), parses,
/// and runs. Parse errors exit with <see cref="ExitCodes.BadInput"/> and one line saying what is wrong and where the
/// usage is, not the library's default of 1 and the whole help text. Tests call <see cref="RunAsync(string[], CliConsole, CancellationToken)"/>
/// with a captured console.
/// </summary>
internal static partial class PimBridgeCommandLine
{
    /// <summary>The option every command has (it is recursive): show stack traces with errors.</summary>
    public const string VerboseOptionName = "--verbose";

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CliConsole.ForProcess());

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var root = CreateRootCommand(console);
        var configuration = new InvocationConfiguration
        {
            Output = console.Output,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
        };
        // Ctrl+C and SIGTERM cancel the command's token, and it gets this long to stop cleanly (serve finishes its
        // in-flight intents, sandbox stops what it started). System.CommandLine 2.0.0 leaves it off by default.
        configuration.ProcessTerminationTimeout = console.HandlesProcessTermination ? TimeSpan.FromSeconds(30) : null;

        var parseResult = root.Parse(args);

        if (parseResult.Errors.Count > 0)
        {
            var usage = UsageHint(parseResult);
            var errors = parseResult.Errors.Select(e => Whitespace().Replace(e.Message.Trim(), " ")).Distinct().ToList();
            for (var i = 0; i < errors.Count; i++)
                await console.Error.WriteLineAsync($"error: {errors[i]}{(i == errors.Count - 1 ? $" Run '{usage}' for usage." : "")}").ConfigureAwait(false);
            await console.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command tree; commands capture <paramref name="console"/> for their output.</summary>
    public static RootCommand CreateRootCommand(CliConsole console)
    {
        var root = new RootCommand("PimBridge: Entra PIM activations mirrored into AWS IAM Identity Center, sessions fenced at expiry, and CloudTrail checked for use after expiry.")
        {
            new Option<bool>(VerboseOptionName) { Description = "Show stack traces with errors.", Recursive = true },
            InitCommand.Create(console),
            ScanCommand.Create(console),
            SandboxCommand.Create(console),
            GrantsCommand.Create(console),
            FencesCommand.Create(console),
            AlertsCommand.Create(console),
            AuditCommand.Create(console),
            ConfigCommand.Create(console),
            ServeCommand.Create(console),
            ReconcileCommand.Create(console),
            VerifyCommand.Create(console),
            RevokeCommand.Create(console),
            DoctorCommand.Create(console),
        };

        // Without a command: the list of commands, not an error.
        root.SetAction(parseResult => new HelpAction().Invoke(parseResult));
        return root;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>Where the usage of the command that failed to parse is: <c>pimbridge scan --help</c>.</summary>
    private static string UsageHint(ParseResult parseResult)
    {
        var names = new List<string>();
        for (SymbolResult? result = parseResult.CommandResult; result is CommandResult { Command: not RootCommand } command; result = result.Parent)
            names.Insert(0, command.Command.Name);
        return names.Count == 0 ? "pimbridge --help" : $"pimbridge {string.Join(' ', names)} --help";
    }
}
