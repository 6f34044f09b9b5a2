using Amazon.Runtime;
using Azure.Core;
using Microsoft.Extensions.Configuration;
using PimBridge.Composition;

namespace PimBridge.Cli.Commands;

/// <summary>
/// Where the engine commands (reconcile, revoke, doctor) find AWS and Microsoft Graph besides the configuration file.
/// A process uses <see cref="Process"/>: environment variables as host settings (<c>PimBridge__AwsEndpoint</c>, as for
/// <c>serve</c>), the AWS SDK's default credential chain, and the credential the file's <c>Entra</c> section names.
/// In-process runs (the tests, over moto and the Graph stub) set another one around a run with <see cref="Use"/>; it
/// flows with the async call, so concurrent runs do not see each other's.
/// </summary>
internal sealed record EngineEnvironment
{
    public static readonly EngineEnvironment Process = new();

    private static readonly AsyncLocal<EngineEnvironment?> Scoped = new();

    /// <summary>Host settings on top of the environment variables, for example <c>PimBridge:AwsEndpoint</c>.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Null: the AWS SDK's default chain.</summary>
    public AWSCredentials? AwsCredentials { get; init; }

    /// <summary>Null: the credential the <c>Entra</c> section configures.</summary>
    public TokenCredential? GraphCredential { get; init; }

    public static EngineEnvironment Current => Scoped.Value ?? Process;

    /// <summary>Makes <paramref name="environment"/> current for this async flow until the result is disposed.</summary>
    public static IDisposable Use(EngineEnvironment environment)
    {
        var previous = Scoped.Value;
        Scoped.Value = environment;
        return new Restore(previous);
    }

    /// <summary>
    /// The host configuration <see cref="ComposedEngine.ComposeAsync"/> reads, naming <paramref name="configFile"/> and, when given,
    /// the command's state store (<see cref="StateStoreOptions.HostSettings"/>).
    /// </summary>
    public IConfiguration HostConfiguration(string configFile, StoreHostSettings? store = null) => new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddInMemoryCollection(Settings)
        .AddInMemoryCollection(store?.Settings ?? new Dictionary<string, string?>())
        .AddInMemoryCollection(ConfigFileOption.HostSettings(configFile))
        .Build();

    private sealed class Restore(EngineEnvironment? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}
