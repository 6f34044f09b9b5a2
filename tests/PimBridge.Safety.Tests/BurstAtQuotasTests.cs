using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing.Adversarial;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Safety.Tests;

/// <summary>
/// A burst and a mass expiry with the engine as deployed (intents side by side, the default parallelism) against the
/// model at AWS's documented quotas, on the real clock: 20 requests a second per service, at most 15 outstanding
/// creations, operations IN_PROGRESS for a while. What AWS documents must hold whatever the concurrency: no call refused
/// for a quota reaches an intent, every engineer gets exactly the access PIM justifies, and at the end no access and no
/// live session is left.
/// </summary>
public sealed class BurstAtQuotasTests
{
    private static readonly TimeSpan InProgress = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Forty_engineers_activating_at_once_and_expiring_at_once_get_and_lose_exactly_their_access_with_no_quota_refusal()
    {
        var (model, engineers) = World(seed: 15, InProgress, engineers: 40);
        model.ForeignCreateAssignment(new AssignmentKey(ReadOnly, Prod, "GROUP", IdcPlatformGroup));
        model.Quotas = AwsQuotas.Documented; // from here on: the world before the burst was set up by other hands

        await using var engine = await DeployedEngine.StartAsync(model);
        var (enforcer, store, pim) = (engine.Enforcer, engine.Store, engine.Pim);

        // Half activate the ops group (Admin in Prod and in Staging: two assignments each), half the platform group (a membership).
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < engineers.Count; i++)
            pim.Add(new Activation($"act-{i}", new EntraPrincipal(engineers[i].Principal, engineers[i].UserName), i % 2 == 0 ? OpsGroup : PlatformGroup, PimAccess.Member, now, now + TimeSpan.FromHours(1)));
        await enforcer.HintAsync(OpsGroup);
        await enforcer.HintAsync(PlatformGroup);
        await TickUntilAsync(enforcer, store, async () => (await store.ListGrantsAsync(activeOnly: true, null)).Count(g => g.AccessConfirmedAt is not null) == engineers.Count);

        for (var i = 0; i < engineers.Count; i++)
        {
            var userId = engineers[i].UserId;
            Assert.Equal(i % 2 == 0, model.CanAssume(userId, Admin, Prod));
            Assert.Equal(i % 2 == 0, model.CanAssume(userId, Admin, Staging));
            Assert.Equal(i % 2 == 1, model.CanAssume(userId, ReadOnly, Prod));
        }

        // Each engineer signs in to the portal now: a role session in every account the access reaches, issued now.
        await Task.Delay(TimeSpan.FromMilliseconds(5));
        var issued = DateTimeOffset.UtcNow;
        var sessions = engineers.SelectMany((e, i) => i % 2 == 0
            ? new[] { (e.UserId, Admin, Prod), (e.UserId, Admin, Staging) }
            : new[] { (e.UserId, ReadOnly, Prod) }).ToList();

        // Every activation ends at the same instant: PIM lists none of them any more.
        pim.Clear();
        await enforcer.ReconcileGroupsAsync([OpsGroup, PlatformGroup]);
        await TickUntilAsync(enforcer, store, async () => (await store.ListGrantsAsync(activeOnly: true, null)).Count == 0 && !model.AnyOperationRunning
            && (await store.GetDueIntentsAsync(DateTimeOffset.MaxValue, 1)).Count == 0
            && (await store.ListFencesAsync(openOnly: true)).All(f => f.State == FenceState.Active));

        foreach (var (_, userId, _) in engineers)
        {
            Assert.False(model.CanAssume(userId, Admin, Prod));
            Assert.False(model.CanAssume(userId, Admin, Staging));
            Assert.False(model.CanAssume(userId, ReadOnly, Prod));
        }

        // Every removal fenced its user's sessions, written and provisioned (Active) in every account the user reached.
        var fences = await store.ListFencesAsync(openOnly: true);
        Assert.Equal(engineers.Select(e => e.UserId).Order(), fences.Select(f => f.UserId).Distinct().Order());
        Assert.All(fences, f => Assert.Equal(FenceState.Active, f.State));
        // (Two removals confirmed in different minutes have two cutoffs, so two fences: together they cover both accounts.)
        foreach (var (_, userId, _) in engineers.Where((_, i) => i % 2 == 0))
            Assert.Equal(new[] { Prod, Staging }.Order(), fences.Where(f => f.UserId == userId && f.PermissionSetArn == Admin).SelectMany(f => f.Accounts).Distinct().Order());
        Assert.Empty(model.Throttled); // the shared limiters kept every call under the quotas
        // The sessions minted before the end are denied by the policy provisioned where they act (the fence's purpose).
        foreach (var (userId, permissionSet, account) in sessions)
            Assert.True(SessionPolicyEvaluation.Blocks(model.Provisioned(permissionSet, account)?.Policy, new SessionContext(userId, account, issued)),
                $"{userId}'s session on {permissionSet} in {account}, issued while the access was live, is not denied");
        var audit = await store.ReadAuditAsync().ToListAsync();
        var failures = audit.Where(a => a.Kind == "intent.failed").Select(a => a.Data).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} intent failures: {string.Join(" | ", failures.Take(10))}");
    }

    [Fact]
    public async Task In_a_mass_expiry_the_fences_are_provisioned_while_the_removals_still_run_not_after_the_last_of_them()
    {
        // The model refuses a permission set's policy write and provisioning while any assignment operation on it runs;
        // 100 deletions on one permission set at AWS's quotas, each IN_PROGRESS for 2 s, keep one running for 18 s and more.
        var (model, engineers) = World(seed: 16, TimeSpan.FromSeconds(2), engineers: 100);
        model.Quotas = AwsQuotas.Documented;

        await using var engine = await DeployedEngine.StartAsync(model);
        var (enforcer, store, pim) = (engine.Enforcer, engine.Store, engine.Pim);
        var now = DateTimeOffset.UtcNow;
        foreach (var (principal, _, userName) in engineers)
            pim.Add(new Activation($"act-{principal}", new EntraPrincipal(principal, userName), AuditGroup, PimAccess.Member, now, now + TimeSpan.FromHours(1)));
        await enforcer.HintAsync(AuditGroup);
        await TickUntilAsync(enforcer, store, async () => (await store.ListGrantsAsync(activeOnly: true, null)).Count(g => g.AccessConfirmedAt is not null) == engineers.Count);
        Assert.All(engineers, e => Assert.True(model.CanAssume(e.UserId, Admin, Prod)));

        // One tick may run the whole drain: watch beside it for the first fence to be provisioned.
        using var stopWatching = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                if ((await store.ListFencesAsync(openOnly: true)).Any(f => f.State == FenceState.Active))
                    return (int?)engineers.Count(e => model.CanAssume(e.UserId, Admin, Prod));
                await Task.Delay(20);
            }

            return null;
        });
        pim.Clear();
        await enforcer.ReconcileGroupsAsync([AuditGroup]);
        await TickUntilAsync(enforcer, store, async () => (await store.ListGrantsAsync(activeOnly: true, null)).Count == 0 && !model.AnyOperationRunning
            && (await store.GetDueIntentsAsync(DateTimeOffset.MaxValue, 1)).Count == 0
            && (await store.ListFencesAsync(openOnly: true)).All(f => f.State == FenceState.Active));
        await stopWatching.CancelAsync();
        var stillAssignedAtFirstFence = await watch;

        Assert.All(engineers, e => Assert.False(model.CanAssume(e.UserId, Admin, Prod)));
        Assert.Equal(engineers.Count, (await store.ListFencesAsync(openOnly: true)).Count);
        Assert.NotNull(stillAssignedAtFirstFence);
        Assert.True(stillAssignedAtFirstFence > 0, "the first fences were provisioned only after the last removal");
        Assert.Empty(model.Throttled);
        var failures = (await store.ReadAuditAsync().ToListAsync()).Count(a => a.Kind == "intent.failed");
        Assert.Equal(0, failures);
    }

    /// <summary>The model as other hands set it up before the burst: both permission sets, the platform group, the engineers.</summary>
    private static (IdentityCenterModel Model, List<(string Principal, string UserId, string UserName)> Engineers) World(int seed, TimeSpan inProgress, int engineers)
    {
        var model = new IdentityCenterModel(TimeProvider.System, new Random(seed)) { Adversity = Adversity.Calm(inProgress) };
        model.AddPermissionSet(Admin, "Admin", TimeSpan.FromHours(1));
        model.AddPermissionSet(ReadOnly, "ReadOnly", TimeSpan.FromHours(1));
        model.Groups[IdcPlatformGroup] = "Platform";
        var list = Enumerable.Range(0, engineers).Select(i => (Principal: $"engineer-{i}", UserId: $"u-{i:D4}", UserName: $"engineer{i}@contoso.com")).ToList();
        foreach (var engineer in list) model.AddUser(engineer.UserId, engineer.UserName);
        return (model, list);
    }

    /// <summary>The engine as deployed against the model: its real clients and adapters, SQLite, the default settings.</summary>
    private sealed class DeployedEngine(SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, SqliteStateStore store, Enforcer enforcer, ListedActivations pim) : IAsyncDisposable
    {
        public Enforcer Enforcer => enforcer;
        public SqliteStateStore Store => store;
        public ListedActivations Pim => pim;

        public static async Task<DeployedEngine> StartAsync(IdentityCenterModel model)
        {
            var wire = new IdentityCenterWire(model);
            var ssoAdmin = new SsoAdminClient(wire.Connect(new SsoAdminClientOptions()));
            var identityStore = new IdentityStoreClient(wire.Connect(new IdentityStoreClientOptions()));
            var settings = PimBridgeConfiguration.Validate(Options(new() { DisplayName = "Platform" }));
            Assert.Equal(EnforcerSettings.DefaultParallelism, settings.Enforcer.Parallelism);
            var adapters = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter));
            var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory);
            var store = await SqliteStateStore.OpenAsync(":memory:");
            var pim = new ListedActivations();
            return new DeployedEngine(ssoAdmin, identityStore, store, new Enforcer(new EnforcerSetup
            {
                Store = store, Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = TimeProvider.System, Pim = pim,
                Aws = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory,
                    new IdentityStoreUserMapping(identityStore, IdentityStoreId, settings.IdentityCenter.MatchUsersBy)),
            }), pim);
        }

        public async ValueTask DisposeAsync()
        {
            ssoAdmin.Dispose();
            identityStore.Dispose();
            await store.DisposeAsync();
        }
    }

    private static async Task TickUntilAsync(Enforcer enforcer, IStateStore store, Func<Task<bool>> done)
    {
        var limit = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        while (!await done())
        {
            if (DateTimeOffset.UtcNow >= limit)
            {
                var pending = await store.GetDueIntentsAsync(DateTimeOffset.MaxValue, 20);
                Assert.Fail($"the burst did not settle within two minutes; pending: {string.Join("; ", pending.Select(i => $"{i.Kind} {i.Subject} next {i.NextAttemptAt:HH:mm:ss.fff} attempts {i.Attempts} {i.LastError}"))}");
            }

            if ((await enforcer.TickAsync()).DidNothing)
                await Task.Delay(100);
        }
    }

    /// <summary>PIM: the activations listed now.</summary>
    private sealed class ListedActivations : IPimSource
    {
        private readonly List<Activation> _listed = [];

        public void Add(Activation activation) { lock (_listed) _listed.Add(activation); }

        public void Clear() { lock (_listed) _listed.Clear(); }

        public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
        {
            lock (_listed)
                return Task.FromResult(new PimSnapshot(groupIds, _listed.Where(a => groupIds.Contains(a.GroupId, StringComparer.OrdinalIgnoreCase)).ToList()));
        }

        public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
            Task.FromResult<ActivationRequest?>(null);
    }
}
