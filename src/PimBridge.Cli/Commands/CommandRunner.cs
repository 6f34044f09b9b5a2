using System.CommandLine;

namespace PimBridge.Cli.Commands;

/// <summary>
/// Runs a command's work and turns what escapes it into the documented exit codes: input errors become one line on
/// standard error and <see cref="ExitCodes.BadInput"/>, anything else <see cref="ExitCodes.UnexpectedFailure"/> (with
/// the stack trace only under <c>--verbose</c>). Every command's action goes through here so they all fail alike.
/// </summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult parseResult, CliConsole console, Func<CancellationToken, Task<int>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        var verbose = parseResult.GetValue<bool>(PimBridgeCommandLine.VerboseOptionName);
        try
        {
            return await work(cancellationToken).ConfigureAwait(false);
        }
        catch (CliInputException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            if (verbose) await console.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            await console.Error.WriteLineAsync(verbose
                ? $"error: unexpected failure: {e}"
                : $"error: unexpected failure ({e.GetType().Name}): {e.Message} Run again with --verbose for the stack trace, and report it if it persists.").ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }
        finally
        {
            await console.Output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await console.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
