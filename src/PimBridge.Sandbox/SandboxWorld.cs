using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Trails;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Engine;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Sandbox.Graph;
using PimBridge.Sandbox.Scenarios;
using PimBridge.Sandbox.Trails;
using PimBridge.Store.Sqlite;

namespace PimBridge.Sandbox;

/// <summary>
/// The local world a sandbox run starts and owns: moto_server and the Graph PIM stub on loopback ports, the scenario's
/// Identity Center seeded on moto and its PIM tenant on the stub, the trail bucket in moto's S3, and the engine composed
/// as a deployed host composes it, ticking in the background on the accelerated <see cref="SandboxClock"/>. Disposing
/// stops exactly what was started, however far starting got: the engine loop, the clients, the composed engine's
/// resources, the stub, and moto_server's own process.
/// </summary>
internal sealed class SandboxWorld(Scenario scenario, SandboxOptions options, string folder, SandboxTimeline timeline) : IAsyncDisposable
{
    public const string TrailBucket = "pimbridge-sandbox-trail";
    public const string Organization = "o-pimsandbox01";
    private const string Region = "us-east-1";
    private static readonly AWSCredentials SandboxCredentials = new BasicAWSCredentials("sandbox", "sandbox");

    /// <summary>The configuration file as a user writes it: unset settings left out, so their defaults apply.</summary>
    private static readonly JsonSerializerOptions ConfigFileJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true };

    private readonly Scenario _scenario = scenario;
    private readonly SandboxOptions _options = options;
    private readonly SandboxTimeline _timeline = timeline;
    private readonly Dictionary<string, string> _entraUsers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _entraGroups = new(StringComparer.Ordinal);

    private MotoServer? _moto;
    private GraphStub? _graph;
    private SsoAdminClient? _ssoAdmin;
    private IdentityStoreClient? _identityStore;
    private AmazonS3Client? _s3;
    private ComposedEngine? _composed;
    private EngineLoop? _engine;
    private SandboxClock? _clock;
    private GapDetector? _detector;
    private PimTenant? _tenant;
    private SeededIdentityCenter? _seeded;
    private IdentityCenterReadBack? _readBack;

    /// <summary>The run's working folder: pimbridge.json, state.db, and copies of the trail files.</summary>
    public string Folder { get; } = folder;

    public SandboxClock Clock => _clock!;

    public SeededIdentityCenter Seeded => _seeded!;

    public IdentityCenterReadBack ReadBack => _readBack!;

    /// <summary>The PIM side on the Graph stub, which the run plays.</summary>
    public PimTenant Tenant => _tenant!;

    /// <summary>The Entra object ids the tenant gave the scenario's users and groups, by scenario name.</summary>
    public IReadOnlyDictionary<string, string> EntraUsers => _entraUsers;

    public IReadOnlyDictionary<string, string> EntraGroups => _entraGroups;

    public AmazonS3Client S3 => _s3!;

    public IStateStore Store => _composed!.Store;

    public Enforcer Enforcer => _composed!.Enforcer;

    public GapDetector Detector => _detector!;

    public EngineLoop Engine => _engine!;

    /// <summary>Starts the emulators, seeds them with the scenario, and composes and starts the engine over them.</summary>
    /// <exception cref="SandboxPrerequisiteException">moto_server is missing or would not start.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StartEmulatorsAsync(cancellationToken).ConfigureAwait(false);
        await SeedAsync(cancellationToken).ConfigureAwait(false);
        await StartEngineAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StartEmulatorsAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        _timeline.Emit(TimelineKind.Setup, "Starting moto_server (the AWS emulator) and the Graph PIM stub on loopback ports...", scenarioTime: false);
        var graph = GraphStub.StartAsync();
        try
        {
            _moto = await MotoServer.StartAsync(_options.MotoStartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            throw new SandboxPrerequisiteException(e.Message, e);
        }
        finally
        {
            _graph = await graph.ConfigureAwait(false);
        }

        _timeline.Emit(TimelineKind.Setup, $"moto_server on {_moto!.Endpoint}, Graph stub on {_graph!.BaseUrl} ({started.ElapsedMilliseconds} ms).", scenarioTime: false);
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var credentials = SandboxCredentials;
        _ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = Region, Endpoint = _moto!.Endpoint, Credentials = credentials, RequestsPerSecond = 200 });
        _identityStore = new IdentityStoreClient(new IdentityStoreClientOptions { Region = Region, Endpoint = _moto.Endpoint, Credentials = credentials, RequestsPerSecond = 200 });
        _seeded = await new IdentityCenterSeed(_ssoAdmin, _identityStore).SeedAsync(_scenario, cancellationToken).ConfigureAwait(false);
        _readBack = new IdentityCenterReadBack(_ssoAdmin, _identityStore, _seeded);

        _s3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = _moto.Endpoint.ToString(), AuthenticationRegion = Region, ForcePathStyle = true });
        await _s3.PutBucketAsync(new PutBucketRequest { BucketName = TrailBucket }, cancellationToken).ConfigureAwait(false);

        _tenant = new PimTenant(_graph!);
        foreach (var group in _scenario.Groups)
        {
            _entraGroups[group.Name] = Guid.NewGuid().ToString();
            _tenant.AddGroup(_entraGroups[group.Name]);
        }

        foreach (var user in _scenario.Users)
        {
            _entraUsers[user.Name] = Guid.NewGuid().ToString();
            _tenant.AddUser(_entraUsers[user.Name], user.UserName, user.UserName);
        }

        var assignments = _scenario.IdentityCenterGroups.Sum(g => g.Assignments.Sum(a => a.Accounts.Count));
        var policies = _scenario.PermissionSets.Where(p => p.CustomerPolicy is not null).Select(p => p.Name).ToList();
        _timeline.Emit(TimelineKind.Setup,
            $"Seeded Identity Center {_seeded.InstanceArn}: {TimelineText.Count(_scenario.Users.Count, "user")} ({string.Join(", ", _scenario.Users.Select(u => u.UserName))}), "
            + $"{TimelineText.Count(_scenario.IdentityCenterGroups.Count, "group")}, permission sets {string.Join(", ", _scenario.PermissionSets.Select(p => $"{p.Name} ({TimelineText.Minutes(p.SessionDuration)} sessions)"))}, "
            + $"{TimelineText.Count(assignments, "group account assignment")}"
            + (policies.Count > 0 ? $", a customer inline policy on {string.Join(", ", policies)}" : "")
            + $"; PIM has {TimelineText.Count(_scenario.Groups.Count, "group")} ({string.Join(", ", _scenario.Groups.Select(g => g.Name))}) ({started.ElapsedMilliseconds} ms).",
            scenarioTime: false);
    }

    private async Task StartEngineAsync(CancellationToken cancellationToken)
    {
        var origin = DateTimeOffset.UtcNow;
        _clock = new SandboxClock(new DateTimeOffset(origin.Year, origin.Month, origin.Day, origin.Hour, origin.Minute, 0, TimeSpan.Zero), _scenario.Speed);
        // The engine is composed exactly as a deployed host composes it (ComposedEngine, from a configuration file and
        // keys), over moto at PimBridge:AwsEndpoint and the Graph stub as the PIM source.
        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = _seeded!.InstanceArn, IdentityStoreId = _seeded.IdentityStoreId, Region = Region },
            Mappings = [.. _scenario.Groups.Select(g => new MappingOptions
            {
                Name = g.Name,
                EntraGroupId = _entraGroups[g.Name],
                FenceSessions = g.FenceSessions,
                AccountAssignments = g.PermissionSet is { } ps ? new() { PermissionSet = ps, Accounts = [.. g.Accounts] } : null,
                IdentityCenterGroup = g.IdentityCenterGroup is { } ic ? new() { DisplayName = ic } : null,
            })],
            Gaps = new()
            {
                Source = new()
                {
                    Type = TrailSources.S3, Bucket = TrailBucket, OrganizationId = Organization, Regions = [TrailJson.Region],
                    IdentityCenterAccountId = TrailJson.IdentityCenterAccount,
                },
            },
        };
        var configFile = Path.Combine(Folder, "pimbridge.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(options, ConfigFileJson), cancellationToken).ConfigureAwait(false);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [CompositionSettings.ConfigFileKey] = configFile,
            [CompositionSettings.StoreKey] = CompositionSettings.DefaultStore,
            [CompositionSettings.SqlitePathKey] = Path.Combine(Folder, "state.db"),
            [CompositionSettings.AwsEndpointKey] = _moto!.Endpoint.ToString(),
        }).Build();
        var pim = new GraphPimSource(StubCredential.ClientFor(_graph!), NullLogger<GraphPimSource>.Instance, _clock);
        _composed = await ComposedEngine.ComposeAsync(configuration, _clock, NullLoggerFactory.Instance, new ComposedEngineInputs
        {
            Stores = [new SqliteStoreFactory()], Pim = pim, AwsCredentials = SandboxCredentials,
        }, cancellationToken).ConfigureAwait(false);
        _detector = _composed.Gaps ?? throw new InvalidOperationException("The sandbox's configuration names a trail source, so the composed engine has a gap detector.");
        _engine = EngineLoop.Start(_composed.Enforcer);
        _timeline.Emit(TimelineKind.Setup, $"PimBridge's engine is running: Enforcer over Identity Center on moto, PIM read with the Graph SDK from the stub, state in {Path.Combine(Folder, "state.db")}, gap detector on s3://{TrailBucket}/AWSLogs/{Organization}/.", scenarioTime: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync().ConfigureAwait(false);
        _s3?.Dispose();
        if (_composed?.Resources is { } composed) await composed.DisposeAsync().ConfigureAwait(false);
        _ssoAdmin?.Dispose();
        _identityStore?.Dispose();
        if (_graph is not null) await _graph.DisposeAsync().ConfigureAwait(false);
        if (_moto is not null) await _moto.DisposeAsync().ConfigureAwait(false);
    }
}
