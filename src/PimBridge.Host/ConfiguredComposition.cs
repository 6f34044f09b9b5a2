using Amazon;
using Amazon.DynamoDBv2;
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
/// Composes PimBridge from configuration for a deployed host (the Functions entry point, and <c>pimbridge serve</c>):
/// <list type="bullet">
/// <item><c>PimBridge:ConfigFile</c>: the engine configuration (docs/engine.md; <c>PIMBRIDGE_</c> variables on top),
/// default <c>pimbridge.json</c>;</item>
/// <item><c>PimBridge:Store</c>: <c>sqlite</c> (default; <c>PimBridge:SqlitePath</c>, default <c>pimbridge.db</c>) or
/// <c>dynamodb</c> (<c>PimBridge:DynamoDbTable</c>, in <c>PimBridge:DynamoDbRegion</c> or Identity Center's Region);</item>
/// <item>AWS credentials from the SDK's default chain;</item>
/// <item>the PIM source and the Graph subscriptions from the file's <c>Entra</c> section (PimBridge.Entra), unless the
/// host's services already provide an <see cref="IPimSource"/> and an <see cref="IGraphSubscriptions"/>;</item>
/// <item>notification sinks from the file's <c>Notifications</c> section (docs/notifications.md), delivered through
/// the engine's outbox;</item>
/// <item>the gap detector over the file's <c>Gaps.Source</c> (LookupEvents, an S3 organization trail or a folder), when
/// one is configured.</item>
/// </list>
/// </summary>
public static class ConfiguredComposition
{
    /// <summary>The top-level section of the configuration file that configures Microsoft Entra and Graph.</summary>
    public const string EntraSection = "Entra";

    public static async Task<PimBridgeComponents> ComposeAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var time = services.GetRequiredService<TimeProvider>();
        var configFile = configuration["PimBridge:ConfigFile"] ?? "pimbridge.json";
        var settings = PimBridgeConfiguration.Load(configFile, otherSections: [EntraSection]);
        var pim = services.GetService<IPimSource>();
        var subscriptions = services.GetService<IGraphSubscriptions>();
        if (pim is null || subscriptions is null)
        {
            // Graph from the file's Entra section (PIMBRIDGE_Entra__… variables on top); services registered by the
            // host (tests, other hosts) take precedence.
            var entra = new EntraOptions();
            new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configFile), optional: false).AddEnvironmentVariables(PimBridgeConfiguration.EnvironmentPrefix)
                .Build().GetSection(EntraSection).Bind(entra);
            entra.Validate();
            var graph = GraphClients.Create(entra);
            pim ??= new GraphPimSource(graph, entra, time);
            subscriptions ??= new GraphSubscriptions(graph, entra.Subscriptions,
                settings.Mappings.Select(m => m.EntraGroupId), settings.Mappings.Where(m => m.Access == PimAccess.Owner).Select(m => m.EntraGroupId), time);
        }

        var resources = new OwnedResources();
        try
        {
            var region = settings.IdentityCenter.Region;
            var ssoAdmin = resources.Own(new SsoAdminClient(new SsoAdminClientOptions { Region = region, TimeProvider = time }));
            var identityStore = resources.Own(new IdentityStoreClient(new IdentityStoreClientOptions { Region = region, TimeProvider = time }));
            var adapters = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter), time);
            var users = new IdentityStoreUserMapping(identityStore, settings.IdentityCenter.IdentityStoreId, settings.IdentityCenter.MatchUsersBy, time);
            var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory, cancellationToken).ConfigureAwait(false);
            var store = await OpenStoreAsync(configuration, region, resources, time, cancellationToken).ConfigureAwait(false);
            var outbox = CreateOutbox(settings, services, resources);
            var enforcer = new Enforcer(store, new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory, users),
                mappings, settings.Fences, settings.Enforcer, time, pim: pim, notifications: outbox);
            GapDetector? gaps = null;
            if (settings.GapSource is { } gapSource)
            {
                var source = ActivitySources.Create(gapSource, new ActivitySourceContext { IdentityCenterRegion = region, TimeProvider = time });
                if (source is IDisposable disposable) resources.Own(disposable);
                gaps = new GapDetector(store, source, adapters.Directory, settings.Gaps, time, outbox);
            }

            return new PimBridgeComponents(enforcer, store, subscriptions, resources) { Gaps = gaps, GapInterval = settings.Gaps.Interval };
        }
        catch
        {
            await resources.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static NotificationOutbox CreateOutbox(PimBridgeSettings settings, IServiceProvider services, OwnedResources resources)
    {
        var options = settings.Notifications;
        if (options.Sinks.Count == 0)
            return NotificationOutbox.None;
        // One client for every HTTP sink; recycling connections keeps webhook DNS changes visible.
        var http = resources.Own(new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) });
        var credential = options.Sinks.Any(s => s.Type == "eventgrid" && string.IsNullOrEmpty(s.AccessKey)) ? new Azure.Identity.DefaultAzureCredential() : null;
        var sinks = NotificationSinks.Create(options, http, services.GetRequiredService<ILoggerFactory>(), credential);
        return new NotificationOutbox(sinks, NotificationSinks.Routes(options), settings.ExpiryWarning);
    }

    private static async Task<IStateStore> OpenStoreAsync(IConfiguration configuration, string region, OwnedResources resources, TimeProvider time, CancellationToken cancellationToken)
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
                var client = resources.Own(new AmazonDynamoDBClient(RegionEndpoint.GetBySystemName(configuration["PimBridge:DynamoDbRegion"] ?? region)));
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
