using System.CommandLine;
using Amazon.Runtime;
using Microsoft.Extensions.Configuration;
using PimBridge.Cli.Commands;
using PimBridge.Core.Configuration;
using PimBridge.Entra;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// What the doctor's checks share: the command line, where AWS and Graph are (<see cref="EngineEnvironment"/>), and what
/// earlier checks established, so a later check runs only on what is known to work and otherwise says it was skipped.
/// </summary>
internal sealed class DoctorContext
{
    public DoctorContext(ParseResult parseResult, ConfigFileOption config, StateStoreOptions store, EngineEnvironment environment, bool sendTest)
    {
        ParseResult = parseResult;
        Config = config;
        Store = store;
        Environment = environment;
        SendTest = sendTest;
        ConfigFile = config.PathOf(parseResult);
        HostConfiguration = environment.HostConfiguration(ConfigFile);
    }

    public ParseResult ParseResult { get; }

    public ConfigFileOption Config { get; }

    public StateStoreOptions Store { get; }

    public EngineEnvironment Environment { get; }

    public bool SendTest { get; }

    public string ConfigFile { get; }

    /// <summary>The host settings (<c>PimBridge:*</c>) as <c>serve</c> and the engine commands read them.</summary>
    public IConfiguration HostConfiguration { get; }

    /// <summary>The engine configuration, once it loaded and validated.</summary>
    public PimBridgeSettings? Settings { get; set; }

    /// <summary>The Entra section, once it is valid.</summary>
    public EntraOptions? Entra { get; set; }

    /// <summary>Whether <c>PimBridge:AwsEndpoint</c> is usable (unset counts as usable).</summary>
    public bool AwsEndpointUsable { get; set; } = true;

    public Uri? AwsEndpoint { get; set; }

    /// <summary>The AWS credentials the engine would sign with, once found.</summary>
    public AWSCredentials? AwsCredentials { get; set; }

    /// <summary>Whether a Graph token was obtained.</summary>
    public bool GraphSignedIn { get; set; }

    /// <summary>The Region of Identity Center: where its APIs, STS and S3 are called.</summary>
    public string Region => Settings?.IdentityCenter.Region ?? "us-east-1";
}
