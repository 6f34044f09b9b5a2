using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Azure.Core;
using Azure.Identity;
using PimBridge.Aws.Credentials;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Trails;
using PimBridge.Core;
using PimBridge.Core.Configuration;
using PimBridge.Core.Gaps;
using PimBridge.Core.Notifications;
using PimBridge.Entra;
using PimBridge.Notifications;
using PimBridge.Store.DynamoDb;
using PimBridge.Store.Sqlite;

namespace PimBridge.Host;

/// <summary>
/// Composes PimBridge from configuration for a deployed host (the Functions app, and <c>pimbridge serve</c>):
/// <list type="bullet">
/// <item>the engine configuration (docs/engine.md; <c>PIMBRIDGE_</c> variables on top): the JSON in
/// <c>PIMBRIDGE_CONFIG_JSON</c> when set (how deployments pass it, so one package serves every stack), else the file
/// <c>PimBridge:ConfigFile</c>, default <c>pimbridge.json</c>;</item>
/// <item><c>PimBridge:Store</c>: <c>sqlite</c> (default; <c>PimBridge:SqlitePath</c>, default <c>pimbridge.db</c>) or
/// <c>dynamodb</c> (<c>PimBridge:DynamoDbTable</c>, in <c>PimBridge:DynamoDbRegion</c> or Identity Center's Region);</item>
/// <item>AWS credentials from the SDK's default chain, or, when <c>PimBridge:Aws:WebIdentityRoleArn</c> is set, from STS
/// AssumeRoleWithWebIdentity with the host's managed-identity token (a host in Azure keeps no AWS secret);
/// <c>PimBridge:AwsEndpoint</c>, when set, is the one endpoint for every AWS call (an emulator such as moto, or a proxy);</item>
/// <item>the PIM source and the Graph subscriptions from the file's <c>Entra</c> section (PimBridge.Entra), unless the
/// host's services already provide an <see cref="IPimSource"/> and an <see cref="IGraphSubscriptions"/>, or the host
/// does not read PIM (<see cref="CompositionInputs.ReadsPim"/>: the AWS-side watcher);</item>
/// <item>notification sinks from the file's <c>Notifications</c> section (docs/notifications.md), delivered through
/// the engine's outbox;</item>
/// <item>the gap detector over the file's <c>Gaps.Source</c> (LookupEvents, an S3 organization trail or a folder), when
/// one is configured.</item>
/// </list>
/// </summary>
public static class ConfiguredComposition
{
    /// <summary>
    /// The configuration key (an environment variable) that holds the whole engine configuration as JSON. Deployments
    /// set it (the Lambda watcher, the Function App), so their packages are the same for every stack.
    /// </summary>
    public const string ConfigJsonKey = "PIMBRIDGE_CONFIG_JSON";

    /// <summary>The top-level section of the configuration file that configures Microsoft Entra and Graph.</summary>
    public const string EntraSection = "Entra";

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

    /// <summary>The audience of that Entra token; default <see cref="WebIdentityCredentialsOptions.DefaultAudience"/>.</summary>
    public const string WebIdentityAudienceKey = "PimBridge:Aws:WebIdentityAudience";

    /// <summary>The role session name CloudTrail records; default <c>pimbridge</c>.</summary>
    public const string WebIdentitySessionNameKey = "PimBridge:Aws:WebIdentitySessionName";

    /// <summary>The client ID of a user-assigned managed identity to take the token from; unset: the system-assigned one.</summary>
    public const string ManagedIdentityClientIdKey = "PimBridge:Aws:ManagedIdentityClientId";

    public static Task<PimBridgeComponents> ComposeAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        ComposeAsync(
            services.GetRequiredService<IConfiguration>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>(),
            new CompositionInputs { Pim = services.GetService<IPimSource>(), Subscriptions = services.GetService<IGraphSubscriptions>() },
            cancellationToken);

    /// <summary>
    /// Composes without a service provider, for processes that are not a web host (the CLI's <c>reconcile</c> and
    /// <c>revoke</c>): the same keys, with whatever <paramref name="given"/> provides used instead of being built.
    /// </summary>
    public static async Task<PimBridgeComponents> ComposeAsync(
        IConfiguration configuration, TimeProvider time, ILoggerFactory loggerFactory, CompositionInputs? given = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        given ??= new CompositionInputs();
        var configFile = EngineConfigFile(configuration);
        var settings = PimBridgeConfiguration.Load(configFile, otherSections: [EntraSection]);
        var awsEndpoint = AwsEndpoint(configuration);
        var pim = given.Pim;
        var subscriptions = given.Subscriptions;
        if (given.ReadsPim && (pim is null || subscriptions is null))
        {
            // Graph from the file's Entra section (PIMBRIDGE_Entra__… variables on top); services registered by the
            // host (tests, other hosts) take precedence.
            var entra = LoadEntra(configFile, out _);
            entra.Validate();
            var graph = GraphClients.Create(entra);
            pim ??= new GraphPimSource(graph, entra, loggerFactory.CreateLogger<GraphPimSource>(), time);
            subscriptions ??= new GraphSubscriptions(graph, entra.Subscriptions,
                settings.Mappings.Select(m => m.EntraGroupId), settings.Mappings.Where(m => m.Access == PimAccess.Owner).Select(m => m.EntraGroupId), time);
        }

        var resources = new OwnedResources();
        try
        {
            var region = settings.IdentityCenter.Region;
            var awsCredentials = given.AwsCredentials ?? WebIdentityCredentials(configuration, region, awsEndpoint, time, given.AwsWebIdentityToken, resources);
            var ssoAdmin = resources.Own(new SsoAdminClient(new SsoAdminClientOptions { Region = region, TimeProvider = time, Endpoint = awsEndpoint, Credentials = awsCredentials }));
            var identityStore = resources.Own(new IdentityStoreClient(new IdentityStoreClientOptions { Region = region, TimeProvider = time, Endpoint = awsEndpoint, Credentials = awsCredentials }));
            var adapters = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter, waitForOperations: given.WaitForOperations), time);
            var users = new IdentityStoreUserMapping(identityStore, settings.IdentityCenter.IdentityStoreId, settings.IdentityCenter.MatchUsersBy, time);
            var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory, cancellationToken).ConfigureAwait(false);
            var store = await OpenStoreAsync(configuration, region, awsEndpoint, awsCredentials, resources, time, cancellationToken).ConfigureAwait(false);
            var outbox = CreateOutbox(settings, loggerFactory, resources);
            var ports = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory, users);
            var enforcer = new Enforcer(store, ports, mappings, settings.Fences, settings.Enforcer, time, pim: pim, notifications: outbox);
            GapDetector? gaps = null;
            if (settings.GapSource is { } gapSource)
            {
                var source = ActivitySources.Create(gapSource, new ActivitySourceContext
                {
                    IdentityCenterRegion = region, TimeProvider = time, ServiceEndpoint = awsEndpoint, Credentials = awsCredentials,
                });
                if (source is IDisposable disposable) resources.Own(disposable);
                gaps = new GapDetector(store, source, adapters.Directory, settings.Gaps, time, outbox);
            }

            return new PimBridgeComponents(enforcer, store, subscriptions, resources)
            {
                Gaps = gaps, GapInterval = settings.Gaps.Interval, Sweep = new DriftSweep(store, ports, enforcer, settings.Verifier, time),
            };
        }
        catch
        {
            await resources.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The engine file to load: the JSON of <see cref="ConfigJsonKey"/>, written once to a file named by its content in
    /// the temp folder (a package's folder is read-only where hosts run: Lambda, run-from-package), else
    /// <c>PimBridge:ConfigFile</c>, else <c>pimbridge.json</c>.
    /// </summary>
    public static string EngineConfigFile(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var json = configuration[ConfigJsonKey];
        if (string.IsNullOrWhiteSpace(json))
            return configuration["PimBridge:ConfigFile"] ?? "pimbridge.json";
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
    /// The file's <see cref="EntraSection"/> (<c>PIMBRIDGE_Entra__…</c> variables on top), bound but not checked: the
    /// one reading of it for the composition and for the tools that check it first (<c>pimbridge serve</c>, <c>doctor</c>).
    /// </summary>
    /// <param name="present">Whether the file (or a <c>PIMBRIDGE_Entra__</c> variable) has the section at all: the
    /// AWS-side watcher's configuration has none.</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON.</exception>
    /// <exception cref="InvalidOperationException">A value does not fit its setting's type.</exception>
    public static EntraOptions LoadEntra(string configFile, out bool present)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configFile);
        var entra = new EntraOptions();
        var section = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(configFile), optional: false)
            .AddEnvironmentVariables(PimBridgeConfiguration.EnvironmentPrefix)
            .Build().GetSection(EntraSection);
        present = section.Exists();
        section.Bind(entra);
        return entra;
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

    /// <summary>
    /// Credentials from the managed identity's Entra token exchanged with STS (in Identity Center's Region, or at
    /// <paramref name="awsEndpoint"/>) when <see cref="WebIdentityRoleArnKey"/> is set; null otherwise (the SDK's chain).
    /// </summary>
    private static AWSCredentials? WebIdentityCredentials(
        IConfiguration configuration, string region, Uri? awsEndpoint, TimeProvider time, TokenCredential? token, OwnedResources resources)
    {
        var roleArn = configuration[WebIdentityRoleArnKey];
        if (string.IsNullOrWhiteSpace(roleArn))
            return null;
        var options = new WebIdentityCredentialsOptions
        {
            RoleArn = roleArn.Trim(),
            Audience = configuration[WebIdentityAudienceKey] ?? WebIdentityCredentialsOptions.DefaultAudience,
            SessionName = configuration[WebIdentitySessionNameKey] ?? "pimbridge",
            TimeProvider = time,
        };
        options.Validate("PimBridge:Aws:");
        var clientId = configuration[ManagedIdentityClientIdKey];
        token ??= new ManagedIdentityCredential(
            string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId.Trim()));
        return resources.Own(ManagedIdentityWebIdentityCredentials.Create(token, options, region, awsEndpoint));
    }

    private static NotificationOutbox CreateOutbox(PimBridgeSettings settings, ILoggerFactory loggerFactory, OwnedResources resources)
    {
        var options = settings.Notifications;
        if (options.Sinks.Count == 0)
            return NotificationOutbox.None;
        // One client for every HTTP sink; recycling connections keeps webhook DNS changes visible.
        var http = resources.Own(new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) });
        var credential = NotificationSinks.NeedsAzureCredential(options) ? new DefaultAzureCredential() : null;
        var sinks = NotificationSinks.Create(options, http, loggerFactory, credential);
        return new NotificationOutbox(sinks, NotificationSinks.Routes(options), settings.ExpiryWarning);
    }

    private static async Task<IStateStore> OpenStoreAsync(
        IConfiguration configuration, string region, Uri? awsEndpoint, AWSCredentials? credentials, OwnedResources resources, TimeProvider time, CancellationToken cancellationToken)
    {
        switch ((configuration["PimBridge:Store"] ?? "sqlite").ToLowerInvariant())
        {
            case "sqlite":
                var sqlite = await SqliteStateStore.OpenAsync(configuration["PimBridge:SqlitePath"] ?? "pimbridge.db", cancellationToken).ConfigureAwait(false);
                resources.Own(sqlite);
                return sqlite;
            case "dynamodb":
                var table = configuration["PimBridge:DynamoDbTable"]
                    ?? throw new ConfigurationException(["PimBridge:DynamoDbTable: the DynamoDB table is required with PimBridge:Store=dynamodb."]);
                var dynamoDbRegion = configuration["PimBridge:DynamoDbRegion"] ?? region;
                var config = awsEndpoint is null
                    ? new AmazonDynamoDBConfig { RegionEndpoint = RegionEndpoint.GetBySystemName(dynamoDbRegion) }
                    : new AmazonDynamoDBConfig { ServiceURL = awsEndpoint.ToString(), AuthenticationRegion = dynamoDbRegion };
                var client = resources.Own(credentials is null ? new AmazonDynamoDBClient(config) : new AmazonDynamoDBClient(credentials, config));
                return new DynamoDbStateStore(client, table, timeProvider: time);
            case var other:
                throw new ConfigurationException([$"PimBridge:Store: '{other}' is not a store; use sqlite or dynamodb."]);
        }
    }

    /// <summary>What the composition created, disposed with the host (or at once when composing fails).</summary>
    private sealed class OwnedResources : IAsyncDisposable
    {
        private readonly List<object> _owned = [];

        public T Own<T>(T resource) where T : class
        {
            _owned.Add(resource);
            return resource;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var resource in Enumerable.Reverse(_owned))
            {
                if (resource is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                else (resource as IDisposable)?.Dispose();
            }

            _owned.Clear();
        }
    }
}

/// <summary>
/// What a caller of <see cref="ConfiguredComposition.ComposeAsync(IConfiguration, TimeProvider, ILoggerFactory, CompositionInputs?, CancellationToken)"/>
/// already has, used instead of building it from configuration: a host's registered PIM source and subscriptions, a
/// store the caller opened (and disposes), or AWS credentials other than the SDK's default chain.
/// </summary>
public sealed record CompositionInputs
{
    public IPimSource? Pim { get; init; }
    public IGraphSubscriptions? Subscriptions { get; init; }

    /// <summary>
    /// False for a host that does not talk to Graph (the AWS-side watcher): no PIM source or Graph subscriptions are
    /// composed and no <c>Entra</c> section is needed; the engine ends grants, fences and delivers, and leaves group
    /// hints to the host that reads PIM. Default true.
    /// </summary>
    public bool ReadsPim { get; init; } = true;

    /// <summary>
    /// True for a one-shot command (the CLI): wait for each asynchronous AWS operation to finish. False (a host that
    /// ticks): hand a slow one back to the engine, which looks again shortly, so no removal waits behind it (I6).
    /// </summary>
    public bool WaitForOperations { get; init; }

    /// <summary>Null: the AWS SDK's default credential chain, or the web identity role when one is configured.</summary>
    public AWSCredentials? AwsCredentials { get; init; }

    /// <summary>
    /// Issues the Entra token exchanged for AWS credentials when <c>PimBridge:Aws:WebIdentityRoleArn</c> is set. Null:
    /// the host's managed identity.
    /// </summary>
    public TokenCredential? AwsWebIdentityToken { get; init; }
}
