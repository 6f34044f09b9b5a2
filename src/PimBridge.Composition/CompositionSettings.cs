using Microsoft.Extensions.Configuration;
using PimBridge.Core.Configuration;

namespace PimBridge.Composition;

/// <summary>
/// The host settings the composition reads (besides the engine configuration itself), and the two that tools beside
/// the engine read the same way: where the engine configuration is, and where AWS calls go.
/// </summary>
public static class CompositionSettings
{
    /// <summary>
    /// The configuration key (an environment variable) that holds the whole engine configuration as JSON. Deployments
    /// set it (the Lambda watcher, the Function App), so their packages are the same for every stack.
    /// </summary>
    public const string ConfigJsonKey = "PIMBRIDGE_CONFIG_JSON";

    /// <summary>The path of the engine configuration file when <see cref="ConfigJsonKey"/> is unset; default <c>pimbridge.json</c>.</summary>
    public const string ConfigFileKey = "PimBridge:ConfigFile";

    /// <summary>The top-level section of the configuration file that configures Microsoft Entra and Graph.</summary>
    public const string EntraSection = "Entra";

    /// <summary>The store to open (<see cref="IStateStoreFactory.Name"/>); default <see cref="DefaultStore"/>.</summary>
    public const string StoreKey = "PimBridge:Store";

    public const string DefaultStore = "sqlite";

    /// <summary>The SQLite store's file; default <c>pimbridge.db</c>.</summary>
    public const string SqlitePathKey = "PimBridge:SqlitePath";

    /// <summary>The DynamoDB store's table (required with that store).</summary>
    public const string DynamoDbTableKey = "PimBridge:DynamoDbTable";

    /// <summary>The DynamoDB store's Region; default Identity Center's Region.</summary>
    public const string DynamoDbRegionKey = "PimBridge:DynamoDbRegion";

    /// <summary>
    /// The configuration key of one endpoint for every AWS call PimBridge makes (sso-admin, identitystore, DynamoDB,
    /// and the gap detector's STS, CloudTrail and S3): an emulator such as moto, or a proxy. Unset: AWS's endpoints.
    /// </summary>
    public const string AwsEndpointKey = "PimBridge:AwsEndpoint";

    /// <summary>
    /// The configuration key of the IAM role a host in Azure assumes with its managed identity's Entra token (STS
    /// AssumeRoleWithWebIdentity). Set: every AWS client the composition creates signs with that role's credentials.
    /// </summary>
    public const string WebIdentityRoleArnKey = "PimBridge:Aws:WebIdentityRoleArn";

    /// <summary>The audience of that Entra token; default <see cref="Aws.Credentials.WebIdentityCredentialsOptions.DefaultAudience"/>.</summary>
    public const string WebIdentityAudienceKey = "PimBridge:Aws:WebIdentityAudience";

    /// <summary>The role session name CloudTrail records; default <c>pimbridge</c>.</summary>
    public const string WebIdentitySessionNameKey = "PimBridge:Aws:WebIdentitySessionName";

    /// <summary>The client ID of a user-assigned managed identity to take the token from; unset: the system-assigned one.</summary>
    public const string ManagedIdentityClientIdKey = "PimBridge:Aws:ManagedIdentityClientId";

    /// <summary>
    /// The engine file to load: the JSON of <see cref="ConfigJsonKey"/>, written once to a file named by its content in
    /// the temp folder (a package's folder is read-only where hosts run: Lambda, run-from-package), else
    /// <see cref="ConfigFileKey"/>, else <c>pimbridge.json</c>.
    /// </summary>
    public static string EngineConfigFile(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var json = configuration[ConfigJsonKey];
        if (string.IsNullOrWhiteSpace(json))
            return configuration[ConfigFileKey] ?? "pimbridge.json";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)))[..16];
        var path = Path.Combine(Path.GetTempPath(), $"pimbridge-config-{hash}.json");
        if (!File.Exists(path))
        {
            // Written aside and moved into place, so a concurrent composer never reads half a file.
            var partial = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(partial, json);
            File.Move(partial, path, overwrite: true);
        }

        return path;
    }

    /// <summary>
    /// The <see cref="AwsEndpointKey"/> setting, checked: a mistake there must not send calls to AWS instead. Null when
    /// unset. Public so tools that call AWS beside the engine (<c>pimbridge doctor</c>) go where the engine goes.
    /// </summary>
    /// <exception cref="ConfigurationException">The value is not an absolute http(s) URL.</exception>
    public static Uri? AwsEndpoint(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[AwsEndpointKey];
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (Uri.TryCreate(text.Trim(), UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https")
            return endpoint;
        throw new ConfigurationException([$"{AwsEndpointKey}: '{text}' is not an absolute http(s) URL; give the emulator's or proxy's address (for example http://127.0.0.1:5000), or leave it unset for AWS."]);
    }
}
