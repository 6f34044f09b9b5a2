using PimBridge.Cli;
using PimBridge.Testing;

namespace PimBridge.Cli.Tests;

/// <summary>What one in-process run of <c>pimbridge</c> returned and wrote.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Runs the command line as the process would, with standard output and error captured.</summary>
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await PimBridgeCommandLine.RunAsync(args, CliConsole.Capture(output, error, new ManualTimeProvider(Now)));
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
