using Microsoft.Extensions.Configuration;
using PimBridge.Cli.Commands;
using PimBridge.Composition;

namespace PimBridge.Cli.Tests;

/// <summary>
/// A deployment's <c>PIMBRIDGE_CONFIG_JSON</c> exported in the operator's shell: the commands compose the engine from
/// the <c>--config</c> file they validated, never from that variable.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ConfigJsonVariableTests : IDisposable
{
    private readonly string? _saved = Environment.GetEnvironmentVariable(CompositionSettings.ConfigJsonKey);
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"pimbridge-given-{Guid.NewGuid():N}.json");

    public ConfigJsonVariableTests() =>
        Environment.SetEnvironmentVariable(CompositionSettings.ConfigJsonKey, """{ "IdentityCenter": { "Region": "ap-southeast-2" } }""");

    public void Dispose() => Environment.SetEnvironmentVariable(CompositionSettings.ConfigJsonKey, _saved);

    [Fact]
    public void The_engine_commands_compose_from_the_config_file_when_PIMBRIDGE_CONFIG_JSON_is_exported()
    {
        var configuration = EngineEnvironment.Process.HostConfiguration(_configFile);

        Assert.Equal(_configFile, CompositionSettings.EngineConfigFile(configuration));
    }

    [Fact]
    public void Serve_settings_win_over_an_exported_PIMBRIDGE_CONFIG_JSON()
    {
        // As serve builds its host configuration: the environment first, its own settings last.
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(ConfigFileOption.HostSettings(_configFile)).Build();

        Assert.Equal(_configFile, CompositionSettings.EngineConfigFile(configuration));
    }
}

/// <summary>Tests that change process environment variables run alone, so no other test sees the change.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
