using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Testing.Adversarial;

/// <summary>
/// A whole deployment on a virtual clock, as hostile as AWS documents it: PIM (the truth), the modelled Identity
/// Center behind the real wire, clients and adapters, and two real engines ("a" and "b") on one real SQLite store,
/// each a process that can crash at any AWS call or store commit and be restarted. Sessions are minted whenever a
/// user can assume a role, and the <see cref="SafetyOracle"/> judges what the provisioned policies do to them.
/// </summary>
public sealed class AdversarialWorld : IAsyncDisposable, IPimSource
{
    public const string CustomerPolicy = """{"Version":"2012-10-17","Statement":[{"Sid":"KeepMe","Effect":"Deny","Action":"organizations:*","Resource":"*"},{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}""";

    /// <summary>Entra principal → Identity Center user id and user name (the UPN, as the default user mapping matches).</summary>
    public static readonly IReadOnlyList<(string Principal, string UserId, string UserName)> People =
    [
        ("alice-entra", "u-alice", "alice@contoso.com"),
        ("bob-entra", "u-bob", "bob@contoso.com"),
    ];

    public static readonly IReadOnlyList<string> MappedGroups = [OpsGroup, AuditGroup, PlatformGroup];
    public static readonly IReadOnlyList<(string PermissionSet, string Account)> Targets = [(Admin, Prod), (Admin, Staging), (ReadOnly, Prod)];

    private readonly Dictionary<string, PimRecord> _pim = new(StringComparer.Ordinal);
    private readonly IStateStore _store;
    private readonly List<IStateStore> _ownStores = [];
    private bool _nested;

    private AdversarialWorld(int seed, IStateStore store, PimBridgeSettings settings)
    {
        Seed = seed;
        Random = new StepRandom(seed);
        _store = store;
        Settings = settings;
        Model = new IdentityCenterModel(Clock, Random);
        SeedIdentityCenter(Model);
    }

    public int Seed { get; }
    public StepRandom Random { get; }
    public ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero)) { AutoAdvance = true };
    public IdentityCenterModel Model { get; }
    public PimBridgeSettings Settings { get; }
    public IReadOnlyList<ResolvedMapping> Mappings { get; private set; } = [];
    public IStateStore Store => _store;
    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>The two engine processes.</summary>
    public EngineProcess[] Engines { get; private set; } = [];

    /// <summary>Every role session minted so far.</summary>
    public List<MintedSession> Sessions { get; } = [];

    /// <summary>PIM's records, deactivated ones included (the oracle's truth about when entitlement ended).</summary>
    public IReadOnlyCollection<PimRecord> PimRecords => _pim.Values;

    /// <summary>The customer's statements as the customer last wrote them, per permission set.</summary>
    public Dictionary<string, string?> CustomerPolicies { get; } = new(StringComparer.Ordinal) { [Admin] = CustomerPolicy, [ReadOnly] = null };

    /// <summary>When false, no faults, crashes or interleavings are drawn (set-up, and convergence at the end).</summary>
    public bool Chaos { get; set; }

    /// <summary>Whether the engines' loop also asks the drift sweep for its turn every minute, as the host does.</summary>
    public bool Sweeping { get; set; }

    /// <summary>When the schedule's faults and crashes stopped; null while they go on.</summary>
    public DateTimeOffset? CalmSince { get; set; }

    /// <summary>Foreign changes the sweep must repair: when, and the permission set whose fences were dropped (if any).</summary>
    public List<(DateTimeOffset At, string? FencesDroppedFrom)> ForeignDrifts { get; } = [];

    /// <summary>
    /// Until when a foreign drift may leave sessions on its permission set usable: one sweep interval from the drift (or,
    /// if faults and crashes were still going on, from the calm), then the repair's own provisioning, which AWS may take
    /// minutes over (the model's longest operation), the claim a process that died mid-sync left on that permission set's
    /// work (it runs again once the claim has run out), and the loop's next turns.
    /// </summary>
    public DateTimeOffset RepairDue(DateTimeOffset driftAt)
    {
        var from = CalmSince is { } calm ? (calm > driftAt ? calm : driftAt) : Chaos ? DateTimeOffset.MaxValue : driftAt;
        return from == DateTimeOffset.MaxValue ? from
            : from + Settings.Verifier.Interval + Model.Adversity.MaxOperationTime + Settings.Enforcer.ClaimTimeout + TimeSpan.FromMinutes(2);
    }

    /// <summary>Per AWS call: chance that another actor (the other engine, another writer) acts in the middle of it.</summary>
    public double InterleaveChance { get; set; } = 0.05;

    /// <summary>Per AWS call stage: chance that the calling process dies there.</summary>
    public double CrashChance { get; set; } = 0.01;

    /// <summary>Where the engines send notifications (none unless a test routes some).</summary>
    public Core.Notifications.NotificationOutbox Notifications { get; set; } = Core.Notifications.NotificationOutbox.None;

    /// <summary>Access that another hand made before anything else happened (standing access PimBridge must never take).</summary>
    public List<(string UserId, string PermissionSet, string Account)> StandingAccess { get; } = [];

    /// <param name="openStore">
    /// Opens one connection (or client) to the durable state: when given, each engine process and the oracle use their
    /// own, as separate processes on one SQLite file or one DynamoDB table would; otherwise all share one in-memory store.
    /// </param>
    public static async Task<AdversarialWorld> StartAsync(int seed, Action<PimBridgeOptions>? configure = null, Func<Task<IStateStore>>? openStore = null)
    {
        var options = ExampleDeployment.Options(new() { DisplayName = "Platform" });
        // One intent at a time: on the auto-advancing clock, runs side by side would each move time on, and a seeded
        // schedule must replay exactly. The two engines still race each other on every intent.
        options.Enforcer.Parallelism = 1;
        configure?.Invoke(options);
        var settings = PimBridgeConfiguration.Validate(options);
        var world = new AdversarialWorld(seed, openStore is null ? await SqliteStateStore.OpenAsync(":memory:") : await openStore(), settings);
        world._ownStores.Add(world._store);
        world.Engines = [new EngineProcess(world, "a", openStore is null ? world._store : await world.OwnAsync(openStore)), new EngineProcess(world, "b", openStore is null ? world._store : await world.OwnAsync(openStore))];
        world.Engines[0].Start(); // adapters only: the mappings are resolved through them, in a kind world
        world.Mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, world.Engines[0].Adapters.Directory);
        foreach (var engine in world.Engines) engine.Start();
        return world;
    }

    private static void SeedIdentityCenter(IdentityCenterModel model)
    {
        model.AddPermissionSet(Admin, "Admin", TimeSpan.FromHours(4), CustomerPolicy);
        model.AddPermissionSet(ReadOnly, "ReadOnly", TimeSpan.FromHours(1));
        model.Groups[IdcPlatformGroup] = "Platform";
        foreach (var (_, id, name) in People) model.AddUser(id, name);
        model.ForeignCreateAssignment(new AssignmentKey(ReadOnly, Prod, "GROUP", IdcPlatformGroup));
        model.ForeignCreateAssignment(new AssignmentKey(Admin, Staging, "GROUP", IdcPlatformGroup));
    }

    /// <summary>Standing access made by another hand before PimBridge runs: bob's own Admin assignment in Prod.</summary>
    public void AddStandingAccess()
    {
        Model.ForeignCreateAssignment(new AssignmentKey(Admin, Prod, "USER", "u-bob"));
        StandingAccess.Add(("u-bob", Admin, Prod));
    }

    // ------------------------------------------------------------------ PIM

    public string Activate(string principal, string group, TimeSpan duration) =>
        Activate(new EntraPrincipal(principal, People.First(p => p.Principal == principal).UserName), group, duration);

    /// <summary>An activation by anyone (a test's extra engineers; the schedules use <see cref="People"/>).</summary>
    public string Activate(EntraPrincipal principal, string group, TimeSpan duration)
    {
        var id = $"act-{_pim.Count + 1}";
        _pim[id] = new PimRecord(new Activation(id, principal, group, PimAccess.Member, Now, Now + duration), null);
        return id;
    }

    public IReadOnlyList<string> LiveActivations => _pim.Values.Where(r => r.IsListed(Now)).Select(r => r.Activation.Id).ToList();

    public void Extend(string id, TimeSpan by) => _pim[id] = _pim[id] with { Activation = _pim[id].Activation with { End = _pim[id].Activation.End + by } };

    public void Deactivate(string id) => _pim[id] = _pim[id] with { DeactivatedAt = Now };

    public PimSnapshot Snapshot(IReadOnlyCollection<string>? groups = null)
    {
        var wanted = (groups ?? MappedGroups).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new PimSnapshot(wanted.ToList(), _pim.Values.Where(r => r.IsListed(Now) && wanted.Contains(r.Activation.GroupId)).Select(r => r.Activation).ToList());
    }

    Task<PimSnapshot> IPimSource.GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken) => Task.FromResult(Snapshot(groupIds));

    Task<ActivationRequest?> IPimSource.GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken) => Task.FromResult<ActivationRequest?>(null);

    // ------------------------------------------------------------------ sessions

    /// <summary>Every user who can assume a role now mints a session there (as a person signing in to the portal would).</summary>
    public void MintSessions()
    {
        foreach (var (_, userId, _) in People)
        {
            foreach (var (permissionSet, account) in Targets)
            {
                if (Random.Next(3) != 0 && Model.CanAssume(userId, permissionSet, account))
                    Sessions.Add(new MintedSession(userId, permissionSet, account, Now, Now + Model.PermissionSets[permissionSet].SessionDuration));
            }
        }
    }

    // ------------------------------------------------------------------ time

    /// <summary>
    /// Time passes with the worker's loop running: every minute a live engine (the two take turns) polls PIM and
    /// ticks, crashed processes come back, sessions are minted, and <paramref name="afterEachMinute"/> runs (the oracle).
    /// A calm world may loop coarser (<paramref name="every"/>).
    /// </summary>
    public async Task LoopAsync(TimeSpan span, Func<Task>? afterEachMinute = null, bool poll = true, TimeSpan? every = null)
    {
        var until = Now + span;
        var turn = 0;
        while (Now < until)
        {
            Clock.Advance(every ?? TimeSpan.FromMinutes(1));
            RestartDead();
            var engine = Engines[turn++ % Engines.Length];
            if (poll) await engine.RunAsync(e => e.ReconcileAsync(Snapshot()));
            await engine.RunAsync(e => e.TickAsync());
            if (Sweeping) await engine.RunAsync(_ => engine.Sweep.RunIfDueAsync());
            MintSessions();
            if (afterEachMinute is not null) await afterEachMinute();
        }
    }

    /// <summary>Crashed processes start again (as a host restarts them).</summary>
    public void RestartDead()
    {
        foreach (var engine in Engines.Where(e => e.Life.Dead)) engine.Start();
    }

    // ------------------------------------------------------------------ the engines' hooks

    /// <summary>
    /// Runs at each stage of each AWS call a process makes: a dead process reaches nothing; with chaos on, another
    /// actor may act in the middle of the call, and the process may die.
    /// </summary>
    internal async Task OnCallAsync(EngineProcess caller, string operation, CallStage stage)
    {
        if (caller.Life.Dead) throw new SimulatedCrash("(process already dead)");
        if (_nested) return;
        if (stage == CallStage.Before && BeforeEachCall is { } scripted)
            await NestedAsync(scripted).ConfigureAwait(false);
        if (!Chaos) return;
        if (stage == CallStage.Before && Random.NextDouble() < InterleaveChance)
            await NestedAsync(() => InterludeAsync(caller)).ConfigureAwait(false);

        if (Random.NextDouble() < CrashChance)
            throw caller.Life.Die($"{(stage == CallStage.Before ? "before" : "after")} {operation}");
    }

    /// <summary>A test's own interleaving: runs before each AWS call of an engine (not inside itself).</summary>
    public Func<Task>? BeforeEachCall { get; set; }

    private async Task NestedAsync(Func<Task> action)
    {
        _nested = true;
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            _nested = false;
        }
    }

    /// <summary>Something else happens while a call is in flight: the other engine works, or time passes.</summary>
    private async Task InterludeAsync(EngineProcess caller)
    {
        var other = Engines.First(e => e != caller);
        switch (Random.Next(3))
        {
            case 0 when !other.Life.Dead:
                await other.RunAsync(e => e.TickAsync()).ConfigureAwait(false);
                break;
            case 1 when !other.Life.Dead:
                await other.RunAsync(e => e.ReconcileAsync(Snapshot())).ConfigureAwait(false);
                break;
            default:
                Clock.Advance(TimeSpan.FromSeconds(Random.Next(1, 120)));
                break;
        }
    }

    private async Task<IStateStore> OwnAsync(Func<Task<IStateStore>> openStore)
    {
        var store = await openStore();
        _ownStores.Add(store);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in Engines) engine.Dispose();
        foreach (var store in _ownStores)
        {
            if (store is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else (store as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// One engine process: its own AWS clients, adapters and caches over its own wire to the shared model, and an
    /// enforcer over the shared store. <see cref="Start"/> after a crash is a new process.
    /// </summary>
    public sealed class EngineProcess(AdversarialWorld world, string name, IStateStore store) : IDisposable
    {
        private SsoAdminClient? _ssoAdmin;
        private IdentityStoreClient? _identityStore;

        public string Name { get; } = name;
        public ProcessLife Life { get; private set; } = new();
        public IdentityCenterAdapters Adapters { get; private set; } = null!;
        public Enforcer Enforcer { get; private set; } = null!;

        /// <summary>This process's drift sweep, unpaced (the model's clock moves only between steps).</summary>
        public DriftSweep Sweep { get; private set; } = null!;
        public CrashableStore ProcessStore { get; private set; } = null!;
        public int Restarts { get; private set; }

        /// <summary>Starts (or restarts, after a crash) the process: new clients, new caches, same store.</summary>
        public void Start()
        {
            Dispose();
            if (Enforcer is not null) Restarts++;
            Life = new ProcessLife();
            var wire = new IdentityCenterWire(world.Model);
            var life = Life;
            wire.Hook = (operation, stage) => life.Dead ? throw new SimulatedCrash("(process already dead)") : world.OnCallAsync(this, operation, stage);
            _ssoAdmin = new SsoAdminClient(Configure(new SsoAdminClientOptions(), wire));
            _identityStore = new IdentityStoreClient(Configure(new IdentityStoreClientOptions(), wire));
            var options = new IdentityCenterAdapterOptions { InstanceArn = IdentityCenterModel.InstanceArn, IdentityStoreId = IdentityCenterModel.IdentityStoreId };
            Adapters = IdentityCenterAdapters.Create(_ssoAdmin, _identityStore, options, world.Clock);
            var users = new IdentityStoreUserMapping(_identityStore, IdentityCenterModel.IdentityStoreId, time: world.Clock);
            ProcessStore = new CrashableStore(store, Life);
            if (world.Mappings.Count > 0)
            {
                var ports = new IdentityCenterPorts(Adapters.Entitlements, Adapters.Policies, Adapters.Directory, users);
                Enforcer = new Enforcer(new EnforcerSetup
                {
                    Store = ProcessStore, Aws = ports, Mappings = world.Mappings, Fences = world.Settings.Fences, Settings = world.Settings.Enforcer,
                    Time = world.Clock, InstanceId = $"{Name}.{Restarts}", Pim = world, Notifications = world.Notifications,
                });
                Sweep = new DriftSweep(ProcessStore, ports, Enforcer, world.Settings.Verifier with { RequestsPerSecond = double.PositiveInfinity }, world.Clock);
            }
        }

        private T Configure<T>(T options, IdentityCenterWire wire) where T : Aws.AwsClientOptions
        {
            wire.Connect(options);
            options.TimeProvider = world.Clock;
            options.Retry.Jitter = () => world.Random.NextDouble();
            return options;
        }

        /// <summary>What engine calls threw (the host's loop logs these and carries on), crashes aside.</summary>
        public List<Exception> Errors { get; } = [];

        /// <summary>Runs one engine call as the host's loop does: a crash leaves the process dead (restarted at the next step); any other error is logged and the loop goes on.</summary>
        public async Task RunAsync(Func<Enforcer, Task> call)
        {
            if (Life.Dead) return;
            try
            {
                await call(Enforcer).ConfigureAwait(false);
            }
            catch (SimulatedCrash)
            {
                Life.Dead = true;
            }
            catch (Exception e) when (!Life.Dead)
            {
                Errors.Add(e);
            }
            catch (Exception)
            {
                // What a dying process last threw.
            }
        }

        public void Dispose()
        {
            _ssoAdmin?.Dispose();
            _identityStore?.Dispose();
        }
    }
}

/// <summary>A PIM activation and, if PIM ended it early, when.</summary>
public sealed record PimRecord(Activation Activation, DateTimeOffset? DeactivatedAt)
{
    /// <summary>Whether PIM lists the activation at <paramref name="at"/>.</summary>
    public bool IsListed(DateTimeOffset at) => DeactivatedAt is null && Activation.Start <= at && (Activation.End is null || Activation.End > at);
}

/// <summary>A role session: who, which permission set in which account, when its token was issued and when it expires.</summary>
public sealed record MintedSession(string UserId, string PermissionSet, string Account, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);
