namespace PimBridge.Cli.Commands;

/// <summary>How the engine commands report a failure of AWS or Graph they cannot recover from: one line, what to do.</summary>
internal static class EngineFailure
{
    public static async Task<int> ReportAsync(CliConsole console, string message)
    {
        await console.Error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
        return ExitCodes.UnexpectedFailure;
    }
}
