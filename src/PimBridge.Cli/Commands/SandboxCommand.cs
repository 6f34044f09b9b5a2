using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using PimBridge.Cli.Output;
using PimBridge.Sandbox;
using PimBridge.Sandbox.Scenarios;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge sandbox [--scenario FILE] [--json] [--keep] [--serve]</c>: PimBridge doing its whole job on this machine in one
/// command, for a newcomer and as an end-to-end check (with <c>--serve</c>, a world kept running to explore: <see cref="SandboxServe"/>). It starts moto_server and a Graph PIM stub, seeds Identity
/// Center, runs the real engine and gap detector through a scenario on an accelerated clock, prints the timeline as it
/// happens and a table of expected against observed outcomes, and stops everything it started. It exits
/// <see cref="ExitCodes.SandboxExpectationNotMet"/> when an expected outcome was not observed.
/// </summary>
internal static class SandboxCommand
{
    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var scenario = new Option<string>("--scenario")
        {
            Description = "A scenario JSON file to run instead of the built-in one (format: docs/sandbox.md).",
            HelpName = "file",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Write the outcome summary as one JSON document on standard output; the timeline goes to standard error.",
        };
        var keep = new Option<bool>("--keep")
        {
            Description = "Keep the working folder (SQLite state, trail files) for inspection, and print its path.",
        };
        var serve = new Option<bool>("--serve")
        {
            Description = "Keep a local world running until Ctrl+C instead of playing the scenario: moto_server with the scenario's Identity Center, the Graph PIM stub with a control surface to activate PIM, and pimbridge serve over them; prints what to try.",
        };
        var command = new Command("sandbox", "Run PimBridge end to end on this machine: moto_server, a Graph PIM stub, the real engine and gap detector, through a scenario.")
        {
            scenario, json, keep, serve,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(serve) && result.GetValue(json))
                result.AddError("--json is for a scenario run's outcome summary; --serve prints what to try instead. Give one of them.");
        });
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(
            parseResult.GetValue(scenario), parseResult.GetValue(json), parseResult.GetValue(keep), parseResult.GetValue(serve), console, ct), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? scenarioFile, bool json, bool keep, bool serve, CliConsole console, CancellationToken cancellationToken)
    {
        Scenario scenario;
        try
        {
            scenario = scenarioFile is null ? Scenario.Default() : ScenarioReader.Load(scenarioFile);
        }
        catch (ScenarioFormatException e)
        {
            throw new CliInputException(e.Message, e);
        }

        if (serve)
            return await SandboxServe.RunAsync(scenario, keep, console, cancellationToken).ConfigureAwait(false);

        // The timeline is the result people read; with --json it moves to standard error so standard output stays one document.
        var timeline = json ? console.ErrorConsole : console.OutputConsole;
        timeline.MarkupLine($"[bold]pimbridge sandbox[/]: scenario [bold]{Markup.Escape(scenario.Name)}[/]{(scenario.Description is { } d ? " - " + Markup.Escape(d) : "")}");
        // Ctrl+C must stop moto_server and the stub and delete the folder before the process ends, so the sandbox takes
        // SIGINT and SIGTERM itself (System.CommandLine 2.0.0 does not unless a termination timeout is configured).
        // A terminal's Ctrl+C also reaches moto_server, so calls in flight fail: any failure after it means "cancelled".
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = console.HandlesProcessTermination ? PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt) : null;
        using var sigterm = console.HandlesProcessTermination ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt) : null;
        SandboxReport report;
        try
        {
            report = await SandboxRun.RunAsync(scenario, new SandboxOptions
            {
                KeepFolder = keep,
                OnTimeline = entry => WriteEntry(timeline, entry),
            }, interrupted.Token).ConfigureAwait(false);
        }
        catch (Exception) when (interrupted.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Cancelled; moto_server, the Graph stub and the working folder have been cleaned up.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (SandboxPrerequisiteException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }

        if (json)
            JsonOutput.Write(console.Output, SandboxDocument.From(report));
        else
            WriteSummary(console.OutputConsole, report);

        if (report.KeptFolder is { } folder)
            await console.Error.WriteLineAsync($"Kept the working folder: {folder} (README.txt there says what it holds).").ConfigureAwait(false);
        if (report.Passed)
            return ExitCodes.Success;

        await console.Error.WriteLineAsync($"The sandbox did not observe {TimelineCount(report.Missing.Count, "expected outcome")} of scenario '{report.Scenario}':").ConfigureAwait(false);
        foreach (var missing in report.Missing)
            await console.Error.WriteLineAsync($"  - {missing.Outcome}: {missing.Subject}: expected {missing.Expected}, observed {missing.Observed}").ConfigureAwait(false);
        return ExitCodes.SandboxExpectationNotMet;

        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true; // the run's cleanup decides when the process ends
            interrupted.Cancel();
        }
    }

    private static void WriteEntry(IAnsiConsole console, TimelineEntry entry)
    {
        var at = entry.At is { } t ? ScenarioReader.Show(t) : "setup";
        var style = entry.Kind switch
        {
            TimelineKind.Pim => "blue",
            TimelineKind.Engine => "green",
            TimelineKind.Alert => "yellow",
            TimelineKind.Check => "green",
            TimelineKind.Problem => "red",
            TimelineKind.Activity => "default",
            _ => "grey",
        };
        console.MarkupLine($"[grey]{at,-9}[/] [{style}]{Markup.Escape(entry.Text)}[/]");
    }

    private static void WriteSummary(IAnsiConsole console, SandboxReport report)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "Outcome", "Subject", "Expected", "Observed", "Result" })
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        foreach (var outcome in report.Outcomes)
        {
            table.AddRow(new Text(outcome.Outcome), new Text(outcome.Subject), new Text(outcome.Expected), new Text(outcome.Observed),
                outcome.Met ? new Text("observed", new Style(Color.Green)) : new Text("MISSING", new Style(Color.Red, decoration: Decoration.Bold)));
        }

        console.Write(table);
        var met = report.Outcomes.Count(o => o.Met);
        console.WriteLine(
            $"{(report.Passed ? "Passed" : "Failed")}: {met} of {TimelineCount(report.Outcomes.Count, "expected outcome")} observed, "
            + $"{Seconds(report.ScenarioTime.TotalMinutes)} scenario minutes in {Seconds(report.Elapsed.TotalSeconds)} s "
            + $"({report.Speed.ToString("0.#", CultureInfo.InvariantCulture)}x, quiet stretches skipped). Everything the sandbox started has been stopped.");
    }

    private static string Seconds(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string TimelineCount(int count, string singular) => Formats.Count(count, singular);

    /// <summary>The <c>--json</c> document: the verdict, each outcome, and the timeline.</summary>
    private sealed record SandboxDocument(
        [property: JsonPropertyName("scenario")] string Scenario,
        [property: JsonPropertyName("passed")] bool Passed,
        [property: JsonPropertyName("speed")] double Speed,
        [property: JsonPropertyName("scenarioMinutes")] double ScenarioMinutes,
        [property: JsonPropertyName("elapsedSeconds")] double ElapsedSeconds,
        [property: JsonPropertyName("keptFolder")] string? KeptFolder,
        [property: JsonPropertyName("outcomes")] IReadOnlyList<OutcomeDocument> Outcomes,
        [property: JsonPropertyName("missing")] IReadOnlyList<OutcomeDocument> Missing,
        [property: JsonPropertyName("timeline")] IReadOnlyList<TimelineDocument> Timeline)
    {
        public static SandboxDocument From(SandboxReport report) => new(
            report.Scenario, report.Passed, report.Speed,
            Math.Round(report.ScenarioTime.TotalMinutes, 2), Math.Round(report.Elapsed.TotalSeconds, 2), report.KeptFolder,
            report.Outcomes.Select(OutcomeDocument.From).ToList(),
            report.Missing.Select(OutcomeDocument.From).ToList(),
            report.Timeline.Select(e => new TimelineDocument(e.At is { } t ? ScenarioReader.Show(t) : null, e.Kind.ToString().ToLowerInvariant(), e.Text)).ToList());
    }

    private sealed record OutcomeDocument(
        [property: JsonPropertyName("outcome")] string Outcome,
        [property: JsonPropertyName("subject")] string Subject,
        [property: JsonPropertyName("expected")] string Expected,
        [property: JsonPropertyName("observed")] string Observed,
        [property: JsonPropertyName("met")] bool Met)
    {
        public static OutcomeDocument From(SandboxOutcome o) => new(o.Outcome, o.Subject, o.Expected, o.Observed, o.Met);
    }

    private sealed record TimelineDocument(
        [property: JsonPropertyName("at")] string? At,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("text")] string Text);
}
