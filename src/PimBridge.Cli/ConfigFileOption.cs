using System.CommandLine;
using PimBridge.Composition;
using PimBridge.Core.Configuration;

namespace PimBridge.Cli;

/// <summary>
/// The engine configuration file, the same way for every command: <c>--config FILE</c>, default
/// <c>$PIMBRIDGE_CONFIG</c> or <c>./pimbridge.json</c>, with <c>PIMBRIDGE_</c> environment variables on top.
/// </summary>
internal sealed class ConfigFileOption
{
    public const string DefaultFile = "pimbridge.json";
    public const string ConfigVariable = "PIMBRIDGE_CONFIG";

    /// <summary>Sections of the file that other components read (Entra), so they are not reported as unknown settings.</summary>
    public static readonly IReadOnlyCollection<string> OtherSections = [CompositionSettings.EntraSection];

    public Option<string?> Config { get; } = new("--config") { Description = $"The PimBridge configuration file (default: ${ConfigVariable}, else ./{DefaultFile})." };

    public void AddTo(Command command) => command.Options.Add(Config);

    /// <summary>
    /// The host settings that make <see cref="ComposedEngine"/> compose from <paramref name="configFile"/>, meant
    /// to be added last. They clear <see cref="CompositionSettings.ConfigJsonKey"/>: a deployment's variable exported
    /// in this shell would otherwise take precedence over the file the command was given and has validated.
    /// </summary>
    public static Dictionary<string, string?> HostSettings(string configFile) => new()
    {
        ["PimBridge:ConfigFile"] = configFile,
        [CompositionSettings.ConfigJsonKey] = null,
    };

    public string PathOf(ParseResult parseResult) =>
        parseResult.GetValue(Config) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(ConfigVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultFile;

    /// <summary>Loads and validates; every problem becomes one input error listing them all with their fixes.</summary>
    public PimBridgeSettings Load(ParseResult parseResult)
    {
        var path = PathOf(parseResult);
        try
        {
            return PimBridgeConfiguration.Load(path, otherSections: OtherSections);
        }
        catch (ConfigurationException e)
        {
            throw new CliInputException($"The configuration '{path}' is not usable:{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", e.Problems)}", e);
        }
    }
}
