using Amazon.Runtime;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PimBridge.Aws.Credentials;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Trails;
using PimBridge.Core.Configuration;
using PimBridge.Core.Engine;
using PimBridge.Core.Gaps;
using PimBridge.Core.Notifications;
using PimBridge.Core.Polling;
using PimBridge.Core.Ports;
using PimBridge.Notifications;

namespace PimBridge.Composition;

/// <summary>
/// The engine as a host runs it: the enforcer, the store it writes (probed by <c>/readyz</c>), the Graph subscriptions
/// (none in a host that does not read PIM), the gap detector when a CloudTrail source is configured, and the drift
/// sweep. <paramref name="Resources"/>, when given, is disposed with the host (the composer's store and clients).
/// </summary>
public sealed record ComposedEngine(Enforcer Enforcer, IStateStore Store, IGraphSubscriptions? Subscriptions, IAsyncDisposable? Resources = null)
{
    /// <summary>The Graph subscriptions; a host composed without PIM (the watcher) has none to keep.</summary>
    public IGraphSubscriptions RequireSubscriptions() => Subscriptions
        ?? throw new ComponentsUnavailableException("This host was composed without Graph (no Entra section is read), so it keeps no Graph subscriptions; the Azure-side host does.");

    public GapDetector? Gaps { get; init; }

    /// <summary>How often the gap detector scans.</summary>
    public TimeSpan GapInterval { get; init; } = GapSettings.Default.Interval;

    /// <summary>The drift sweep (null in a host composed without it).</summary>
    public DriftSweep? Sweep { get; init; }

    /// <summary>Which mapped groups changed since the poll last looked (Graph's membership delta); null without one.</summary>
    public GroupChangeFeed? GroupChanges { get; init; }

    /// <summary>
    /// Composes the engine from configuration, the one composition of every host (<c>pimbridge serve</c>, the
    /// Functions app, the Lambda watcher, the CLI's <c>reconcile</c>, <c>revoke</c> and <c>verify</c>):
    /// <list type="bullet">
    /// <item>the engine configuration (docs/engine.md; <c>PIMBRIDGE_</c> variables on top): the JSON in
    /// <see cref="CompositionSettings.ConfigJsonKey"/> when set (how deployments pass it, so one package serves every
    /// stack), else the file <see cref="CompositionSettings.ConfigFileKey"/>, default <c>pimbridge.json</c>;</item>
    /// <item>the store <see cref="CompositionSettings.StoreKey"/> names (default <c>sqlite</c>), opened by the factory
    /// of that name among <see cref="ComposedEngineInputs.Stores"/>;</item>
    /// <item>AWS credentials from the SDK's default chain, or, when <see cref="CompositionSettings.WebIdentityRoleArnKey"/>
    /// is set, from STS AssumeRoleWithWebIdentity with the host's managed-identity token (a host in Azure keeps no AWS
    /// secret); <see cref="CompositionSettings.AwsEndpointKey"/>, when set, is the one endpoint for every AWS call;</item>
    /// <item>the PIM source and the Graph subscriptions from <see cref="ComposedEngineInputs.Entra"/> (the file's
    /// <c>Entra</c> section), unless the inputs already provide them; none without an Entra part;</item>
    /// <item>notification sinks from the file's <c>Notifications</c> section (docs/notifications.md), delivered through
    /// the engine's outbox;</item>
    /// <item>the gap detector over the file's <c>Gaps.Source</c> (LookupEvents, an S3 organization trail or a folder),
    /// when one is configured.</item>
    /// </list>
    /// </summary>
    public static async Task<ComposedEngine> ComposeAsync(
        IConfiguration configuration, TimeProvider time, ILoggerFactory loggerFactory, ComposedEngineInputs inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(inputs);
        var configFile = CompositionSettings.EngineConfigFile(configuration);
        var settings = PimBridgeConfiguration.Load(configFile, otherSections: [CompositionSettings.EntraSection]);
        var awsEndpoint = CompositionSettings.AwsEndpoint(configuration);
        var storeFactory = StoreFactory(configuration, inputs.Stores);
        var pim = inputs.Pim;
        var subscriptions = inputs.Subscriptions;
        var membershipDelta = inputs.MembershipDelta;
        if (inputs.Entra is { } entraPart && (pim is null || subscriptions is null))
        {
            // Graph from the file's Entra section (PIMBRIDGE_Entra__… variables on top); what the caller gives (tests,
            // hosts that register their own) takes precedence.
            var entra = entraPart.Connect(configFile, settings, loggerFactory, time);
            if (pim is null) membershipDelta ??= entra.MembershipDelta;
            pim ??= entra.Pim;
            subscriptions ??= entra.Subscriptions;
        }

        var resources = new OwnedResources();
        try
        {
            var region = settings.IdentityCenter.Region;
            var awsCredentials = inputs.AwsCredentials ?? WebIdentityCredentials(configuration, region, awsEndpoint, time, inputs.AwsWebIdentityToken, resources);
            var ssoAdmin = resources.Own(new SsoAdminClient(new SsoAdminClientOptions { Region = region, TimeProvider = time, Endpoint = awsEndpoint, Credentials = awsCredentials }));
            var identityStore = resources.Own(new IdentityStoreClient(new IdentityStoreClientOptions { Region = region, TimeProvider = time, Endpoint = awsEndpoint, Credentials = awsCredentials }));
            var adapters = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter, waitForOperations: inputs.WaitForOperations), time);
            var users = new IdentityStoreUserMapping(identityStore, settings.IdentityCenter.IdentityStoreId, settings.IdentityCenter.MatchUsersBy, time);
            var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory, cancellationToken).ConfigureAwait(false);
            var store = await storeFactory.OpenAsync(new StoreContext
            {
                Configuration = configuration, Region = region, AwsEndpoint = awsEndpoint, AwsCredentials = awsCredentials, Time = time, Resources = resources,
            }, cancellationToken).ConfigureAwait(false);
            var outbox = CreateOutbox(settings, loggerFactory, resources);
            var ports = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory, users);
            var enforcer = new Enforcer(new EnforcerSetup
            {
                Store = store, Aws = ports, Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = time, Pim = pim, Notifications = outbox,
            });
            GapDetector? gaps = null;
            if (settings.GapSource is { } gapSource)
            {
                var source = TrailSources.Create(gapSource, new TrailSourceContext
                {
                    IdentityCenterRegion = region, TimeProvider = time, ServiceEndpoint = awsEndpoint, Credentials = awsCredentials,
                });
                if (source is IDisposable disposable) resources.Own(disposable);
                gaps = new GapDetector(store, source, adapters.Directory, settings.Gaps, time, outbox);
            }

            return new ComposedEngine(enforcer, store, subscriptions, resources)
            {
                Gaps = gaps, GapInterval = settings.Gaps.Interval, Sweep = new DriftSweep(store, ports, enforcer, settings.Verifier, time),
                GroupChanges = membershipDelta is null ? null : new GroupChangeFeed(store, membershipDelta, time),
            };
        }
        catch
        {
            await resources.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The shipped store <see cref="CompositionSettings.StoreKey"/> names; checked before anything is built.</summary>
    private static IStateStoreFactory StoreFactory(IConfiguration configuration, IReadOnlyList<IStateStoreFactory> stores)
    {
        var name = (configuration[CompositionSettings.StoreKey] ?? CompositionSettings.DefaultStore).Trim().ToLowerInvariant();
        return stores.FirstOrDefault(s => s.Name == name)
            ?? throw new ConfigurationException([stores.Count == 0
                ? $"{CompositionSettings.StoreKey}: '{name}' cannot be opened: this host ships no state store."
                : $"{CompositionSettings.StoreKey}: '{name}' is not a store this host has; use {string.Join(" or ", stores.Select(s => s.Name))}."]);
    }

    /// <summary>
    /// Credentials from the managed identity's Entra token exchanged with STS (in Identity Center's Region, or at
    /// <paramref name="awsEndpoint"/>) when <see cref="CompositionSettings.WebIdentityRoleArnKey"/> is set; null
    /// otherwise (the SDK's chain).
    /// </summary>
    private static AWSCredentials? WebIdentityCredentials(
        IConfiguration configuration, string region, Uri? awsEndpoint, TimeProvider time, TokenCredential? token, OwnedResources resources)
    {
        var roleArn = configuration[CompositionSettings.WebIdentityRoleArnKey];
        if (string.IsNullOrWhiteSpace(roleArn))
            return null;
        var options = new WebIdentityCredentialsOptions
        {
            RoleArn = roleArn.Trim(),
            Audience = configuration[CompositionSettings.WebIdentityAudienceKey] ?? WebIdentityCredentialsOptions.DefaultAudience,
            SessionName = configuration[CompositionSettings.WebIdentitySessionNameKey] ?? "pimbridge",
            TimeProvider = time,
        };
        options.Validate("PimBridge:Aws:");
        var clientId = configuration[CompositionSettings.ManagedIdentityClientIdKey];
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
}
