using Microsoft.Extensions.Configuration;
using PimBridge.Core.Configuration;
using PimBridge.Composition;

namespace PimBridge.Lambda;

/// <summary>
/// The watcher's configuration, from the function's environment (docs/lambda.md):
/// <list type="bullet">
/// <item>the engine configuration (docs/engine.md) from <c>PIMBRIDGE_CONFIG_JSON</c> (the composition writes it to a
/// file in <c>/tmp</c>, Lambda's only writable folder); else the file <c>PimBridge__ConfigFile</c> names; else
/// <c>pimbridge.json</c> in the package. <c>PIMBRIDGE_</c> variables override its settings, as everywhere;</item>
/// <item>the host keys as <c>PimBridge__…</c> variables: <c>PimBridge__Store</c> is <c>dynamodb</c> (the default here)
/// and <c>PimBridge__DynamoDbTable</c> is required; <c>PimBridge__DynamoDbRegion</c> and <c>PimBridge__AwsEndpoint</c>
/// are optional.</item>
/// </list>
/// </summary>
public static class WatcherConfiguration
{
    public const string ConfigJsonVariable = CompositionSettings.ConfigJsonKey;
    public const string PackagedConfigFile = "pimbridge.json";

    /// <param name="environment">The process environment (a dictionary in tests).</param>
    /// <param name="packageFolder">The package root (<c>LAMBDA_TASK_ROOT</c>), where a packaged <c>pimbridge.json</c> is looked for.</param>
    /// <exception cref="ConfigurationException">A required setting is missing or the store is not DynamoDB; the message names it and the fix.</exception>
    public static IConfiguration Build(IReadOnlyDictionary<string, string?> environment, string packageFolder)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var fromEnvironment = new ConfigurationBuilder().AddInMemoryCollection(
            environment.Where(pair => pair.Key.StartsWith("PimBridge__", StringComparison.OrdinalIgnoreCase))
                .Select(pair => KeyValuePair.Create(pair.Key.Replace("__", ":", StringComparison.Ordinal), pair.Value))).Build();

        var engine = new Dictionary<string, string?> { ["PimBridge:Store"] = "dynamodb" };
        if (environment.TryGetValue(ConfigJsonVariable, out var json) && !string.IsNullOrWhiteSpace(json))
        {
            engine[ConfigJsonVariable] = json;
        }
        else
        {
            var configFile = fromEnvironment["PimBridge:ConfigFile"] ?? Path.Combine(packageFolder, PackagedConfigFile);
            if (!File.Exists(configFile))
                throw new ConfigurationException([$"{configFile}: no engine configuration. Set {ConfigJsonVariable} to the configuration JSON (docs/engine.md), or package a {PackagedConfigFile} beside bootstrap, or name a file with PimBridge__ConfigFile."]);
            engine["PimBridge:ConfigFile"] = configFile;
        }

        var store = fromEnvironment["PimBridge:Store"] ?? "dynamodb";
        if (!string.Equals(store, "dynamodb", StringComparison.OrdinalIgnoreCase))
            throw new ConfigurationException([$"PimBridge__Store is '{store}': the Lambda watcher keeps its state in DynamoDB (a function's disk does not outlive it). Remove the variable or set it to dynamodb."]);
        if (string.IsNullOrWhiteSpace(fromEnvironment["PimBridge:DynamoDbTable"]))
            throw new ConfigurationException(["PimBridge__DynamoDbTable is not set: set it to the name of the state table (the Pulumi program's table; schema in DynamoDbStateStore.cs)."]);

        return new ConfigurationBuilder().AddConfiguration(fromEnvironment).AddInMemoryCollection(engine).Build();
    }
}
