using BenchmarkDotNet.Attributes;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Benchmarks;

/// <summary>
/// Reconcile and tick with 10,000 active grants. Targets: at most 50 ms per 10,000-grant reconcile and at most 1 ms
/// per tick with nothing due, on one core. The store is SQLite in memory, so the figures are the engine's and the
/// store's CPU cost, not disk latency.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class EngineBenchmarks
{
    private const string Group = "11111111-1111-1111-1111-111111111111";
    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";

    [Params(10_000)]
    public int Grants { get; set; }

    private SqliteStateStore _store = null!;
    private Enforcer _enforcer = null!;
    private PimSnapshot _snapshot = null!;
    private IReadOnlyList<ResolvedMapping> _mappings = null!;
    private IReadOnlyList<ActiveGrant> _activeGrants = null!;
    private Dictionary<string, IdentityCenterUser?> _users = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        _now = clock.GetUtcNow();
        var aws = new SimulatedIdentityCenter();
        var rule = new MappingRule("bench", Group, PimAccess.Member, null, PermissionSet, ["111111111111"], null, false, true);
        _mappings = [new ResolvedMapping(rule, null, PermissionSet)];
        var activations = new List<Activation>(Grants);
        _users = new Dictionary<string, IdentityCenterUser?>(Grants);
        for (var i = 0; i < Grants; i++)
        {
            var principal = $"entra-{i:D6}";
            var user = new IdentityCenterUser($"9067aaaa-0000-4000-8000-{i:D12}", $"user{i}@example.com");
            aws.Users[principal] = user;
            _users[principal] = user;
            // Ends spread over the next 8 hours, so no grant is due during the benchmark.
            activations.Add(new Activation($"act-{i}", new EntraPrincipal(principal), Group, PimAccess.Member, _now.AddMinutes(-5), _now.AddMinutes(60 + i % 420)));
        }

        _snapshot = new PimSnapshot([Group], activations);
        _store = await SqliteStateStore.OpenAsync(":memory:");
        _enforcer = new Enforcer(new EnforcerSetup
        {
            Store = _store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = _mappings, Settings = EnforcerSettings.Default with { BatchSize = 1000 }, Time = clock,
        });
        await _enforcer.ReconcileAsync(_snapshot);
        while (!(await _enforcer.TickAsync()).DidNothing) { }
        _activeGrants = await _store.GetActiveGrantsForGroupsAsync([Group]);
        if (_activeGrants.Count != Grants) throw new InvalidOperationException($"setup made {_activeGrants.Count} grants, not {Grants}");
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _store.DisposeAsync();

    /// <summary>The reconcile decision alone: 10,000 activations against 10,000 active grants, nothing to change.</summary>
    [Benchmark]
    public ReconcilePlan PlanUnchanged() => Reconciler.Plan(Reconciler.Windows(_snapshot, _mappings, _now), _mappings, _activeGrants, _users, _now);

    /// <summary>A whole reconcile of the group: read its 10,000 active grants from the store, plan, find nothing to do.</summary>
    [Benchmark]
    public Task<ReconcileResult> ReconcileUnchanged() => _enforcer.ReconcileAsync(_snapshot);

    /// <summary>A tick when nothing is due, with 10,000 active grants in the store.</summary>
    [Benchmark]
    public Task<TickResult> EmptyTick() => _enforcer.TickAsync();
}
