using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using PimBridge.Aws.Trails;
using PimBridge.Cli.Init;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using PimBridge.Notifications;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge config validate</c>: checks the engine configuration file as the host would at start-up (the engine
/// settings, the notification sinks, the gap source) without contacting AWS, Entra or any sink, and reports every
/// problem at once with its fix (exit <see cref="ExitCodes.BadInput"/>), or a short summary of what the file sets up.
/// </summary>
internal static class ConfigCommand
{
    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return new Command("config", "Check PimBridge's configuration file.") { Validate(console) };
    }

    private static Command Validate(CliConsole console)
    {
        var config = new ConfigFileOption();
        var json = Arguments.JsonOption("Write one JSON document (valid, file, problems, summary) instead of text.");
        var command = new Command("validate", $"Check the configuration file (engine, notification sinks, gap source) without contacting any cloud; exit {ExitCodes.BadInput} listing every problem when it is not valid.") { json };
        config.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, async _ =>
        {
            var path = config.PathOf(parseResult);
            var (settings, problems) = Check(path);
            var document = new ConfigDocument(problems.Count == 0, Path.GetFullPath(path), problems, problems.Count == 0 ? ConfigSummary.From(settings!) : null)
            {
                Placeholders = problems.Count == 0 ? StarterConfiguration.PlaceholdersIn(settings!) : [],
            };
            if (parseResult.GetValue(json))
            {
                JsonOutput.Write(console.Output, document);
            }
            else if (document.Summary is { } summary)
            {
                foreach (var line in summary.Lines(document.File))
                    await console.Output.WriteLineAsync(line).ConfigureAwait(false);
                if (document.Placeholders.Count > 0)
                {
                    await console.Output.WriteLineAsync(
                        $"Still to replace ({Formats.Count(document.Placeholders.Count, "placeholder")} `pimbridge init` wrote; PimBridge cannot work until they are real values):").ConfigureAwait(false);
                    foreach (var placeholder in document.Placeholders)
                        await console.Output.WriteLineAsync($"  - {placeholder}").ConfigureAwait(false);
                }
            }
            else
            {
                var noun = Formats.Count(problems.Count, "problem");
                await console.Error.WriteLineAsync($"error: The configuration '{path}' is not valid ({noun}):{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", problems)}").ConfigureAwait(false);
            }

            return document.Valid ? ExitCodes.Success : ExitCodes.BadInput;
        }, cancellationToken));
        return command;
    }

    /// <summary>
    /// The engine's checks, then the sinks' and the gap source's, as the host runs them at start-up. When the engine
    /// part is refused, the file is still bound as it stands so the sinks and the gap source are checked too: one run
    /// lists every problem.
    /// </summary>
    private static (PimBridgeSettings? Settings, IReadOnlyList<string> Problems) Check(string path)
    {
        var problems = new List<string>();
        PimBridgeSettings? settings = null;
        NotificationOptions? notifications;
        GapSourceOptions? gapSource;
        string? region;
        try
        {
            settings = PimBridgeConfiguration.Load(path, otherSections: ConfigFileOption.OtherSections);
            (notifications, gapSource, region) = (settings.Notifications, settings.GapSource, settings.IdentityCenter.Region);
        }
        catch (ConfigurationException e)
        {
            problems.AddRange(e.Problems);
            var options = BindAsItStands(path);
            (notifications, gapSource, region) = (options?.Notifications, options?.Gaps.Source, options?.IdentityCenter.Region);
        }

        if (notifications is not null)
            problems.AddRange(NotificationSinks.Validate(notifications, credentialAvailable: true));
        // The engine already refuses an unknown source type, which is all the source's own check would say then.
        if (gapSource is not null && !problems.Any(p => p.StartsWith("Gaps.Source.Type:", StringComparison.Ordinal)))
            problems.AddRange(TrailSources.Validate(gapSource, region));
        return (settings, problems);
    }

    /// <summary>The file's options as they bind, without the engine's checks; null when they do not bind at all.</summary>
    private static PimBridgeOptions? BindAsItStands(string path)
    {
        try
        {
            var options = new PimBridgeOptions();
            new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false)
                .AddEnvironmentVariables(PimBridgeConfiguration.EnvironmentPrefix)
                .Build()
                .Bind(options);
            return options;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException or IOException or JsonException)
        {
            return null;
        }
    }
}
