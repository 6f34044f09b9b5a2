using System.CommandLine;
using PimBridge.Cli.Doctor;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge doctor [--config FILE] [--json]</c>: checks, read-only and one by one, everything PimBridge needs to
/// run (its configuration, its state store, AWS credentials and Identity Center permissions, Graph sign-in and PIM reads,
/// the CloudTrail source, the notification sinks) and prints a pass/fail line for each, with what to do for each
/// failure. Exits <see cref="ExitCodes.DoctorFoundProblems"/> when anything failed, so a deployment pipeline can gate on it.
/// </summary>
internal static class DoctorCommand
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Status column width: "NOT CHECKED" and a space.</summary>
    private const int StatusWidth = 12;

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var json = new Option<bool>("--json") { Description = "Write one JSON document with every check at the end, instead of lines as they finish." };
        var sendTest = new Option<bool>("--send-test") { Description = "Send a test notification to each configured sink (by default only their settings are checked)." };
        var timeout = new Option<string?>("--timeout") { Description = "How long each check may take (default 30s).", HelpName = "duration" };
        var config = new ConfigFileOption();
        var store = new StateStoreOptions();
        var command = new Command("doctor", "Check configuration, the state store, and AWS and Graph access and permissions; print a pass/fail list with a fix for each failure.")
        {
            json, sendTest, timeout,
        };
        config.AddTo(command);
        store.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(
            new DoctorContext(parseResult, config, store, EngineEnvironment.Current, parseResult.GetValue(sendTest)),
            ParseTimeout(parseResult.GetValue(timeout)), parseResult.GetValue(json), console, ct), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(DoctorContext context, TimeSpan timeout, bool json, CliConsole console, CancellationToken cancellationToken)
    {
        DoctorRun run;
        if (json)
        {
            // Progress, when a person watches, is the status line on standard error; the document comes at the end.
            Action<string>? status = null;
            run = new DoctorRun(timeout, result => status?.Invoke($"Checking... ({result.Title}: {result.Status})"));
            await ReconcileCommand.WithStatusAsync(console, console.ShowsProgress, "Checking...", async update =>
            {
                status = update;
                await RunChecksAsync(run, context, cancellationToken).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            JsonOutput.Write(console.Output, new DoctorDocument(!run.Failed, run.Results, Summary(run)));
        }
        else
        {
            console.OutputConsole.WriteLine($"PimBridge doctor: {Path.GetFullPath(context.ConfigFile)}, each check up to {timeout.TotalSeconds:0} s.");
            run = new DoctorRun(timeout, result => WriteLine(console.OutputConsole, result));
            await RunChecksAsync(run, context, cancellationToken).ConfigureAwait(false);
            var summary = Summary(run);
            console.OutputConsole.WriteLine();
            console.OutputConsole.WriteLine($"{summary.Pass} passed, {summary.Fail} failed, {summary.NotChecked} not checked, {summary.Skipped} skipped.");
        }

        if (run.Failed)
        {
            await console.Error.WriteLineAsync($"doctor found {Formats.Count(run.Results.Count(r => r.Outcome == CheckStatus.Fail), "problem")}; each failed line says what to do.").ConfigureAwait(false);
            return ExitCodes.DoctorFoundProblems;
        }

        return ExitCodes.Success;
    }

    private static async Task RunChecksAsync(DoctorRun run, DoctorContext context, CancellationToken cancellationToken)
    {
        await ConfigurationChecks.RunAsync(run, context, cancellationToken).ConfigureAwait(false);
        await AwsChecks.RunAsync(run, context, cancellationToken).ConfigureAwait(false);
        await GraphChecks.RunAsync(run, context, cancellationToken).ConfigureAwait(false);
        await NotificationChecks.RunAsync(run, context, cancellationToken).ConfigureAwait(false);
        HostChecks.Run(run, context);
    }

    private static void WriteLine(IAnsiConsole console, CheckResult result)
    {
        var (label, style) = result.Outcome switch
        {
            CheckStatus.Pass => ("PASS", "green"),
            CheckStatus.Fail => ("FAIL", "red bold"),
            CheckStatus.Skipped => ("SKIP", "grey"),
            _ => ("NOT CHECKED", "yellow"),
        };
        console.MarkupLine($"[{style}]{label.PadRight(StatusWidth)}[/]{Markup.Escape(result.Title)}: {Markup.Escape(result.Detail)}");
        if (result.Fix is { } fix)
        {
            var lines = fix.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            var lead = result.Outcome == CheckStatus.Fail ? "fix:" : "needs:";
            console.MarkupLine($"{new string(' ', StatusWidth)}[bold]{lead}[/] {Markup.Escape(lines[0])}");
            foreach (var line in lines.Skip(1))
                console.WriteLine($"{new string(' ', StatusWidth + lead.Length + 1)}{line}");
        }
    }

    private static DoctorSummary Summary(DoctorRun run) => new(
        run.Results.Count(r => r.Outcome == CheckStatus.Pass), run.Results.Count(r => r.Outcome == CheckStatus.Fail),
        run.Results.Count(r => r.Outcome == CheckStatus.NotChecked), run.Results.Count(r => r.Outcome == CheckStatus.Skipped));

    private static TimeSpan ParseTimeout(string? text)
    {
        if (text is null)
            return DefaultTimeout;
        if (!Duration.TryParse(text, out var timeout) || timeout <= TimeSpan.Zero)
            throw new CliInputException($"--timeout '{text}' is not a positive duration; give one like 30s, 2m or PT1M.");
        return timeout;
    }
}
