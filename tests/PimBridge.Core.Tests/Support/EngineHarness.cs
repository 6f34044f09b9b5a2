using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>
/// A whole PimBridge on a virtual clock: PIM's activations (the source of truth), the real engine over a real SQLite
/// store, and a simulated Identity Center. Nothing waits: time moves only by <see cref="Advance"/>.
/// </summary>
public sealed class EngineHarness : IAsyncDisposable, IPimSource
{
    private readonly Dictionary<string, Activation> _activations = new(StringComparer.Ordinal);
    private readonly SqliteStateStore _sqlite;

    private EngineHarness(SqliteStateStore sqlite, PimBridgeSettings settings, IReadOnlyList<ResolvedMapping> mappings)
    {
        _sqlite = sqlite;
        Settings = settings;
        Mappings = mappings;
        Restart();
    }

    public ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
    public SimulatedIdentityCenter Aws { get; } = NewIdentityCenter();
    public IStateStore Store => _sqlite;
    public PimBridgeSettings Settings { get; }
    public IReadOnlyList<ResolvedMapping> Mappings { get; }
    public Enforcer Enforcer { get; private set; } = null!;

    /// <summary>The current process's view of the store, to schedule crashes around commits.</summary>
    public CrashableStore ProcessStore { get; private set; } = null!;
    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>The <see cref="ExampleDeployment"/>, its platform group named by id.</summary>
    public static async Task<EngineHarness> StartAsync(Action<PimBridgeOptions>? configure = null)
    {
        var options = ExampleDeployment.Options(new() { Id = IdcPlatformGroup });
        configure?.Invoke(options);
        var settings = PimBridgeConfiguration.Validate(options);
        var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, NewIdentityCenter());
        return new EngineHarness(await SqliteStateStore.OpenAsync(":memory:"), settings, mappings);
    }

    private static SimulatedIdentityCenter NewIdentityCenter()
    {
        var aws = new SimulatedIdentityCenter();
        aws.PermissionSetsByName["Admin"] = Admin;
        aws.PermissionSetsByName["ReadOnly"] = ReadOnly;
        aws.SessionDurations[Admin] = TimeSpan.FromHours(4);
        aws.SessionDurations[ReadOnly] = TimeSpan.FromHours(1);
        aws.GroupAssignments[IdcPlatformGroup] = [new(ReadOnly, Prod), new(Admin, Staging)];
        foreach (var (entra, idc, name) in new[] { ("alice-entra", "u-alice", "alice@example.com"), ("bob-entra", "u-bob", "bob@example.com") })
            aws.Users[entra] = new IdentityCenterUser(idc, name);
        return aws;
    }

    /// <summary>A new process: a fresh enforcer over the same durable store, after whatever crash happened.</summary>
    public void Restart(Notifications.NotificationOutbox? outbox = null)
    {
        Aws.Crashed = false;
        ProcessStore = new CrashableStore(_sqlite, Aws.Life);
        Enforcer = new Enforcer(new EnforcerSetup
        {
            Store = ProcessStore, Aws = new IdentityCenterPorts(Aws, Aws, Aws, Aws), Mappings = Mappings, Fences = Settings.Fences, Settings = Settings.Enforcer,
            Time = Clock, Pim = this, Notifications = outbox,
        });
    }

    private int _watchers;

    /// <summary>Another process on the same store that does not read PIM (the AWS-side watcher).</summary>
    public Enforcer EnforcerWithoutPim() =>
        new(new EnforcerSetup
        {
            Store = _sqlite, Aws = new IdentityCenterPorts(Aws, Aws, Aws, Aws), Mappings = Mappings, Fences = Settings.Fences, Settings = Settings.Enforcer,
            Time = Clock, InstanceId = $"watcher-{++_watchers}",
        });

    public void Advance(TimeSpan by) => Clock.Advance(by);

    /// <param name="start">When PIM says it started (now unless given: a permanent assignment's is when it was assigned).</param>
    public string Activate(string principal, string group, TimeSpan duration, PimAccess access = PimAccess.Member, bool permanent = false, DateTimeOffset? start = null)
    {
        var id = $"act-{_activations.Count + 1}";
        _activations[id] = new Activation(id, new EntraPrincipal(principal, $"{principal}@contoso.com"), group, access, start ?? Now, permanent ? null : Now + duration, permanent);
        return id;
    }

    public IReadOnlyList<string> ActivationIds => _activations.Keys.ToList();

    public void Extend(string activationId, TimeSpan by) =>
        _activations[activationId] = _activations[activationId] with { End = _activations[activationId].End + by };

    public void Deactivate(string activationId) => _activations.Remove(activationId);

    /// <summary>PIM's view of every mapped group, minus activations PIM itself no longer lists (ended ones).</summary>
    public PimSnapshot Snapshot() => new(
        Mappings.Select(m => m.Rule.EntraGroupId).Distinct().ToList(),
        _activations.Values.Where(a => a.End is null || a.End > Now).ToList());

    public Task<ReconcileResult> ReconcileAsync() => Enforcer.ReconcileAsync(Snapshot());

    /// <summary>How many times the engine read PIM.</summary>
    public int PimReads { get; private set; }

    /// <summary>Justifications PIM holds for activations, by activation id.</summary>
    public Dictionary<string, string> Justifications { get; } = new(StringComparer.Ordinal);

    Task<PimSnapshot> IPimSource.GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken)
    {
        PimReads++;
        var groups = groupIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var all = Snapshot();
        return Task.FromResult(new PimSnapshot(groupIds, all.Activations.Where(a => groups.Contains(a.GroupId)).ToList()));
    }

    Task<ActivationRequest?> IPimSource.GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken) =>
        Task.FromResult(Justifications.TryGetValue(activation.Id, out var why) ? new ActivationRequest($"req-{activation.Id}", why, "INC-7", "ServiceNow", activation.Start) : null);

    public Task<TickResult> TickAsync() => Enforcer.TickAsync();

    /// <summary>Ticks until nothing is left to do now (bounded), as the service loop would.</summary>
    public async Task SettleAsync()
    {
        for (var i = 0; i < 20; i++)
        {
            if ((await TickAsync()).DidNothing) return;
        }
    }

    public async Task<AuditBreak?> VerifyAuditAsync() => await AuditChain.VerifyAsync(Store.ReadAuditAsync());

    public async ValueTask DisposeAsync() => await _sqlite.DisposeAsync();
}
