using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Testing;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>
/// A tick runs intents side by side (<c>Enforcer.Parallelism</c>): AWS's assignment operations stay IN_PROGRESS for
/// seconds, so one at a time a burst drains at a third of an activation a second. Taking access away keeps a worker
/// of its own, so a removal that falls due in the middle of a burst never waits behind the burst's slow grants.
/// </summary>
public sealed class ParallelIntentTests
{
    /// <summary>How long a held grant waits at most; longer than <see cref="WaitLimit"/>, so no timeout lets a held grant through in time.</summary>
    private static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_tick_runs_grants_side_by_side_so_one_slow_AWS_operation_does_not_hold_up_the_next()
    {
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 4);
        var gate = new GrantGate(h.Aws, holdUser: "u-alice", openAt: 2);
        var enforcer = Enforcer(h, gate);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1)); // Admin in Prod and in Staging
        await enforcer.ReconcileAsync(h.Snapshot());

        var tick = await enforcer.TickAsync();

        // Each grant is held until two are in flight at once: one at a time, neither would ever be let through.
        Assert.Equal(2, gate.MostInFlight);
        Assert.Equal(0, tick.IntentsFailed);
        Assert.True(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Prod)));
        Assert.True(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Staging)));
    }

    [Fact]
    public async Task Two_grants_of_one_activation_finishing_together_still_confirm_its_access_once()
    {
        // Each apply confirms the activation's access when every other entitlement of it is applied; side by side,
        // each finishing at once may see the other not yet applied, and neither would confirm it.
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 4);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1)); // Admin in Prod and in Staging
        await h.Enforcer.ReconcileAsync(h.Snapshot());
        var grantId = Assert.Single(await h.Store.ListGrantsAsync(activeOnly: true, "u-alice")).Id;

        // Both applies decide before either has written: the moment the skew needs, made certain.
        var store = GrantReadBarrier.Wrap(h.Store, grantId, parties: 2);
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = store, Aws = new IdentityCenterPorts(new GrantGate(h.Aws, holdUser: "u-alice", openAt: 2), h.Aws, h.Aws, h.Aws), Mappings = h.Mappings, Fences = h.Settings.Fences,
            Settings = h.Settings.Enforcer, Time = h.Clock, Pim = h,
        });
        for (var i = 0; i < 10 && !(await enforcer.TickAsync()).DidNothing; i++) h.Advance(TimeSpan.FromSeconds(10));

        var grant = Assert.Single(await h.Store.ListGrantsAsync(activeOnly: true, "u-alice"));
        Assert.NotNull(grant.AccessConfirmedAt);
    }

    [Fact]
    public async Task In_a_mass_expiry_a_fence_sync_runs_beside_the_removals_not_after_the_last_of_them()
    {
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 2);
        await FenceWrittenWhileRemovalsWaitAsync(h, ["alice-entra", "bob-entra"]);
    }

    [Fact]
    public async Task In_a_mass_expiry_the_fence_sync_runs_even_when_more_removals_are_due_than_a_tick_reads_at_once()
    {
        // Six removals fall due together, before the fence sync the first of them queues (a second later); a tick reads
        // two due intents at a time. Read earliest-first, the sync would wait behind every removal that AWS holds.
        await using var h = await StartAsync(o => { o.Enforcer.Parallelism = 2; o.Enforcer.BatchSize = 2; });
        h.Aws.Users["carol-entra"] = new IdentityCenterUser("u-carol", "carol@example.com");
        await FenceWrittenWhileRemovalsWaitAsync(h, ["alice-entra", "bob-entra", "carol-entra"], beforeFirstRemovalPasses: () => h.Advance(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_removal_that_falls_due_behind_more_waiting_grants_than_a_tick_reads_at_once_still_starts_at_once()
    {
        await using var h = await StartAsync(o => { o.Enforcer.Parallelism = 2; o.Enforcer.BatchSize = 2; });
        h.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(30)); // Admin in Prod
        await h.ReconcileAsync();
        await h.SettleAsync();
        var bobs = Entitlement.AccountAssignment("u-bob", Admin, Prod);
        Assert.True(h.Aws.IsActive(bobs));

        // Six grants queue, due before bob's removal will be: one runs, held by AWS, and five wait for a worker.
        h.Advance(TimeSpan.FromMinutes(29));
        var gate = new GrantGate(h.Aws, holdUser: null, openAt: int.MaxValue);
        var enforcer = Enforcer(h, gate);
        foreach (var (entra, idc) in new[] { ("carol-entra", "u-carol"), ("dave-entra", "u-dave") })
            h.Aws.Users[entra] = new IdentityCenterUser(idc, idc[2..] + "@example.com");
        foreach (var user in new[] { "alice-entra", "carol-entra", "dave-entra" })
            h.Activate(user, OpsGroup, TimeSpan.FromHours(1));
        await enforcer.ReconcileAsync(h.Snapshot());
        var tick = enforcer.TickAsync();
        try
        {
            await gate.WaitForInFlightAsync(1);

            h.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(2));
            await WaitUntilAsync(() => !h.Aws.IsActive(bobs));
            Assert.Equal(1, gate.MostInFlight);
        }
        finally
        {
            gate.Open();
        }

        await tick.WaitAsync(GateTimeout);
    }

    [Fact]
    public async Task A_fence_sync_AWS_turned_away_as_busy_runs_again_in_the_same_tick_once_due_not_after_the_tick_ends()
    {
        // A mass expiry's tick lasts as long as its removals; the sync, refused once, must not wait for the last of them.
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 2);
        var policies = new BusyOncePolicies(h.Aws);
        await FenceWrittenWhileRemovalsWaitAsync(h, ["alice-entra", "bob-entra"], policies: policies);
        Assert.Equal(1, policies.TurnedAway);
    }

    [Fact]
    public async Task A_fence_sync_AWS_turned_away_as_busy_takes_the_next_removals_fence_with_it_rather_than_a_second_sync_beside_it()
    {
        // In a mass expiry every removal feeds the permission set's sync a fence; a second sync per removal, each turned
        // away too, read and wrote the policy a few times a second, with the request budget the removals needed.
        await using var h = await StartAsync();
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = h.Store, Aws = new IdentityCenterPorts(h.Aws, new AlwaysBusyPolicies(h.Aws), h.Aws, h.Aws), Mappings = h.Mappings,
            Fences = h.Settings.Fences, Settings = h.Settings.Enforcer, Time = h.Clock, Pim = h,
        });
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        h.Activate("bob-entra", OpsGroup, TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await enforcer.ReconcileAsync(h.Snapshot());
        await enforcer.TickAsync();
        Assert.True(h.Aws.IsActive(Entitlement.AccountAssignment("u-bob", Admin, Prod)));

        h.Advance(TimeSpan.FromHours(1));
        await enforcer.TickAsync(); // Alice's removal
        await enforcer.TickAsync(); // the sync she fed, turned away: it looks again in 2 s
        var waiting = Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin));
        Assert.True(waiting.NextAttemptAt > h.Now);

        h.Advance(TimeSpan.FromSeconds(1));
        await enforcer.TickAsync(); // Bob's removal feeds it his fence

        Assert.False(h.Aws.IsActive(Entitlement.AccountAssignment("u-bob", Admin, Prod)));
        Assert.Equal(waiting.Id, Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin)).Id);
        Assert.Equal(2, (await h.Store.ListFencesAsync(openOnly: true)).Count);
    }

    [Fact]
    public async Task A_fence_sync_whose_claim_lost_to_a_touch_runs_later_in_the_same_tick_not_after_the_tick_ends()
    {
        // A removal confirmed meanwhile touches the due sync (it gives it a new fence), so the tick's copy is stale and
        // its claim fails. The sync is still due; skipped for the rest of a mass expiry's tick, it would wait for the last removal.
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 2);
        await FenceWrittenWhileRemovalsWaitAsync(h, ["alice-entra", "bob-entra"], store: SyncClaimTouch.Wrap(h.Store));
    }

    [Fact]
    public async Task With_parallelism_one_a_tick_runs_its_intents_one_after_another()
    {
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 1);
        var gate = new GrantGate(h.Aws, holdUser: null, openAt: 1);
        var enforcer = Enforcer(h, gate);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        h.Activate("bob-entra", OpsGroup, TimeSpan.FromHours(1));
        await enforcer.ReconcileAsync(h.Snapshot());

        await enforcer.TickAsync();

        Assert.Equal(1, gate.MostInFlight);
        Assert.Equal(4, h.Aws.ActiveKeys.Count(k => k.Contains(Admin, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_removal_that_falls_due_while_every_grant_worker_waits_on_AWS_starts_without_waiting_for_them()
    {
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 2);
        var gate = new GrantGate(h.Aws, holdUser: "u-alice", openAt: int.MaxValue);
        var enforcer = Enforcer(h, gate);
        h.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(30)); // Admin in Prod
        await enforcer.ReconcileAsync(h.Snapshot());
        await enforcer.TickAsync();
        var bobs = Entitlement.AccountAssignment("u-bob", Admin, Prod);
        Assert.True(h.Aws.IsActive(bobs));

        h.Advance(TimeSpan.FromMinutes(29));
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1)); // two grants, both held by AWS
        await enforcer.ReconcileAsync(h.Snapshot());
        var tick = enforcer.TickAsync();
        try
        {
            await gate.WaitForInFlightAsync(1);

            // Bob's activation ends while alice's grants wait: the tick looks again and its free worker removes bob's access.
            h.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(2));
            await WaitUntilAsync(() => !h.Aws.IsActive(bobs));
            Assert.Equal(1, gate.MostInFlight); // grants never took the worker kept for taking access away
        }
        finally
        {
            gate.Open();
        }

        await tick.WaitAsync(GateTimeout);
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(Entitlement.AccountAssignment("u-alice", Admin, Prod)));
        Assert.False(h.Aws.IsActive(bobs));
    }

    [Fact]
    public async Task A_reconcile_grants_each_principal_as_soon_as_it_is_looked_up_not_after_every_principal_of_the_burst()
    {
        await using var h = await StartAsync();
        var lookups = new LookupGate(h.Aws, holdFrom: 2);
        var enforcer = Enforcer(h, new GrantGate(h.Aws, holdUser: null, openAt: 1), lookups);
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        h.Activate("bob-entra", AuditGroup, TimeSpan.FromHours(1));

        var reconcile = enforcer.ReconcileAsync(h.Snapshot());
        try
        {
            var held = await lookups.SecondStartedAsync();

            // The second principal's lookup is still under way (the Identity Store quota paces a burst's lookups), yet
            // the first principal's grant is recorded and its access queued.
            var first = Assert.Single(await h.Store.GetActiveGrantsForGroupsAsync([AuditGroup]));
            Assert.NotEqual(held, first.Slot.PrincipalId);
            Assert.NotEmpty(await h.Store.GetDueIntentsAsync(h.Now, 10));
        }
        finally
        {
            lookups.Open();
        }

        var result = await reconcile.WaitAsync(GateTimeout);
        Assert.Equal(2, result.Plan.NewGrants.Count);
        Assert.Equal(2, (await h.Store.GetActiveGrantsForGroupsAsync([AuditGroup])).Count);
    }

    [Fact]
    public async Task PIM_reads_take_at_most_a_quarter_of_the_workers_leaving_the_rest_to_grants()
    {
        await using var h = await StartAsync(o => o.Enforcer.Parallelism = 8);
        var pim = new PimGate(h);
        var enforcer = Enforcer(h, new GrantGate(h.Aws, holdUser: null, openAt: 1), pim: pim);
        foreach (var group in new[] { OpsGroup, AuditGroup, PlatformGroup })
            await enforcer.HintAsync(group);

        var tick = enforcer.TickAsync();
        try
        {
            await pim.WaitForReadsAsync(2);
            await Task.Delay(200); // a third read, were it let through, would have started by now
            Assert.Equal(2, pim.MostInFlight);
        }
        finally
        {
            pim.Open();
        }

        await tick.WaitAsync(GateTimeout);
        await h.SettleAsync();
        Assert.Equal(3, pim.Reads);
    }

    private static Enforcer Enforcer(EngineHarness h, GrantGate gate, IUserMapping? users = null, IPimSource? pim = null) => new(new EnforcerSetup
    {
        Store = h.Store, Aws = new IdentityCenterPorts(gate, h.Aws, h.Aws, users ?? h.Aws), Mappings = h.Mappings, Fences = h.Settings.Fences,
        Settings = h.Settings.Enforcer, Time = h.Clock, Pim = pim ?? h,
    });

    /// <summary>PIM whose reads are held until the test opens the gate.</summary>
    private sealed class PimGate(IPimSource pim) : IPimSource
    {
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;

        public int MostInFlight { get; private set; }

        public int Reads { get; private set; }

        public void Open() => _open.TrySetResult();

        public async Task WaitForReadsAsync(int count)
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                lock (_gate) if (_inFlight >= count) return;
                if (waited.Elapsed > WaitLimit) Assert.Fail($"{count} PIM reads never ran at once");
                await Task.Delay(10);
            }
        }

        public async Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                Reads++;
                MostInFlight = Math.Max(MostInFlight, ++_inFlight);
            }

            try
            {
                await _open.Task.WaitAsync(GateTimeout, cancellationToken);
                return await pim.GetSnapshotAsync(groupIds, cancellationToken);
            }
            finally
            {
                lock (_gate) _inFlight--;
            }
        }

        public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
            pim.GetActivationRequestAsync(activation, cancellationToken);
    }

    /// <summary>An Identity Center whose revokes after the first <c>passFirst</c> are held until the test opens the gate.</summary>
    private sealed class RevokeGate(SimulatedIdentityCenter aws, int passFirst, Action? beforeFirstPasses = null) : IEntitlementTarget
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _revokes;

        public int Passed => Math.Min(Volatile.Read(ref _revokes), passFirst);

        public void Open() => _open.TrySetResult();

        public async Task<EntitlementChange> RevokeAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default)
        {
            var revoke = Interlocked.Increment(ref _revokes);
            if (revoke == 1) beforeFirstPasses?.Invoke();
            if (revoke > passFirst)
                await _open.Task.WaitAsync(GateTimeout, cancellationToken);
            return await aws.RevokeAsync(entitlement, beforeChange, cancellationToken);
        }

        public Task<EntitlementChange> GrantAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default) =>
            aws.GrantAsync(entitlement, beforeChange, cancellationToken);

        public Task<bool> IsActiveAsync(Entitlement entitlement, CancellationToken cancellationToken = default) => aws.IsActiveAsync(entitlement, cancellationToken);

        public Task<IReadOnlyList<string>> ListUsersAsync(AccessTarget target, CancellationToken cancellationToken = default) => aws.ListUsersAsync(target, cancellationToken);
    }

    /// <summary>User lookups from the <c>holdFrom</c>-th on are held until the test opens the gate.</summary>
    private sealed class LookupGate(SimulatedIdentityCenter aws, int holdFrom) : IUserMapping
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<string> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _lookups;

        public string Describe => aws.Describe;

        public void Open() => _open.TrySetResult();

        /// <summary>The principal whose lookup is held, once it is.</summary>
        public Task<string> SecondStartedAsync() => _held.Task.WaitAsync(WaitLimit);

        public async Task<IdentityCenterUser?> FindAsync(EntraPrincipal principal, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _lookups) >= holdFrom)
            {
                _held.TrySetResult(principal.Id);
                await _open.Task.WaitAsync(GateTimeout, cancellationToken);
            }

            return await aws.FindAsync(principal, cancellationToken);
        }
    }

    /// <summary>Policies whose first write AWS turns away as busy (an operation on the permission set runs).</summary>
    private sealed class BusyOncePolicies(SimulatedIdentityCenter aws) : IPermissionSetPolicies
    {
        private int _writes;

        public int TurnedAway => Math.Min(Volatile.Read(ref _writes), 1);

        public Task<string?> GetInlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.GetInlinePolicyAsync(permissionSetArn, cancellationToken);

        public Task WriteInlinePolicyAsync(string permissionSetArn, string? policy, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _writes) == 1
                ? throw new OperationInProgressException("sso-admin refused the inline policy for now", TimeSpan.FromSeconds(2))
                : aws.WriteInlinePolicyAsync(permissionSetArn, policy, cancellationToken);

        public Task<bool> ProvisionWhereStaleAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.ProvisionWhereStaleAsync(permissionSetArn, cancellationToken);

        public Task<IReadOnlyList<string>?> ListStaleAccountsAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.ListStaleAccountsAsync(permissionSetArn, cancellationToken);
    }

    /// <summary>A permission set whose policy AWS keeps refusing as busy (a drain's operations always running on it).</summary>
    private sealed class AlwaysBusyPolicies(SimulatedIdentityCenter aws) : IPermissionSetPolicies
    {
        public Task<string?> GetInlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.GetInlinePolicyAsync(permissionSetArn, cancellationToken);

        public Task WriteInlinePolicyAsync(string permissionSetArn, string? policy, CancellationToken cancellationToken = default) =>
            throw new OperationInProgressException("sso-admin refused the inline policy for now", TimeSpan.FromSeconds(2));

        public Task<bool> ProvisionWhereStaleAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.ProvisionWhereStaleAsync(permissionSetArn, cancellationToken);

        public Task<IReadOnlyList<string>?> ListStaleAccountsAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.ListStaleAccountsAsync(permissionSetArn, cancellationToken);
    }

    /// <summary>A store where the first claim of a fence sync finds the intent touched (its version moved on) just before.</summary>
    public class SyncClaimTouch : System.Reflection.DispatchProxy
    {
        private IStateStore _inner = null!;
        private int _touched;

        public static IStateStore Wrap(IStateStore inner)
        {
            var store = Create<IStateStore, SyncClaimTouch>();
            ((SyncClaimTouch)(object)store)._inner = inner;
            return store;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IStateStore.CommitAsync) && args![0] is StateChange { Intents: [{ Kind: IntentKind.SyncFences } claim] } change
                && change.Fences.Count == 0 && change.Ledger.Count == 0 && Interlocked.Exchange(ref _touched, 1) == 0)
            {
                var current = _inner.GetIntentAsync(claim.Id).GetAwaiter().GetResult()!;
                var touch = new StateChange();
                touch.Intents.Add(current);
                _inner.CommitAsync(touch).GetAwaiter().GetResult();
            }

            return targetMethod.Invoke(_inner, args);
        }
    }

    /// <summary>
    /// The users' ops-group access (Admin in Prod and in Staging, each) ends at one instant; in the tick that follows,
    /// AWS confirms the first removal and holds the rest. Passes once the permission set's provisioned policy carries a
    /// fence while that tick still runs.
    /// </summary>
    private static async Task FenceWrittenWhileRemovalsWaitAsync(EngineHarness h, string[] users, IPermissionSetPolicies? policies = null,
        IStateStore? store = null, Action? beforeFirstRemovalPasses = null)
    {
        foreach (var user in users)
            h.Activate(user, OpsGroup, TimeSpan.FromMinutes(30));
        await h.ReconcileAsync();
        await h.SettleAsync();
        var revokes = new RevokeGate(h.Aws, passFirst: 1, beforeFirstRemovalPasses);
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = store ?? h.Store, Aws = new IdentityCenterPorts(revokes, policies ?? h.Aws, h.Aws, h.Aws), Mappings = h.Mappings,
            Fences = h.Settings.Fences, Settings = h.Settings.Enforcer, Time = h.Clock, Pim = h,
        });
        h.Advance(TimeSpan.FromMinutes(31));

        var tick = enforcer.TickAsync();
        try
        {
            await WaitUntilAsync(() => h.Aws.ProvisionedPolicy(Admin)?.Contains("PimBridgeFence", StringComparison.Ordinal) == true,
                between: () => h.Advance(TimeSpan.FromMilliseconds(300))); // the tick looks again for due work as time passes
            Assert.Equal(1, revokes.Passed); // the tick is still running: the other removals wait on AWS
        }
        finally
        {
            revokes.Open();
        }

        await tick.WaitAsync(GateTimeout);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Action? between = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > WaitLimit) Assert.Fail("the condition never held");
            between?.Invoke();
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// An Identity Center whose grants (of one user, or everyone's) are held, as IN_PROGRESS operations are, until
    /// <c>openAt</c> of them are in flight at once or the test opens the gate.
    /// </summary>
    private sealed class GrantGate(SimulatedIdentityCenter aws, string? holdUser, int openAt) : IEntitlementTarget
    {
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<(int Count, TaskCompletionSource Reached)> _watchers = [];
        private int _inFlight;

        public int MostInFlight { get; private set; }

        public void Open() => _open.TrySetResult();

        public Task WaitForInFlightAsync(int count)
        {
            lock (_gate)
            {
                if (_inFlight >= count) return Task.CompletedTask;
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _watchers.Add((count, reached));
                return reached.Task.WaitAsync(WaitLimit);
            }
        }

        public async Task<EntitlementChange> GrantAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default)
        {
            if (holdUser is not null && entitlement.UserId != holdUser)
                return await aws.GrantAsync(entitlement, beforeChange, cancellationToken);
            lock (_gate)
            {
                MostInFlight = Math.Max(MostInFlight, ++_inFlight);
                if (_inFlight >= openAt) _open.TrySetResult();
                foreach (var watcher in _watchers.Where(w => _inFlight >= w.Count)) watcher.Reached.TrySetResult();
            }

            try
            {
                await _open.Task.WaitAsync(GateTimeout, cancellationToken);
                return await aws.GrantAsync(entitlement, beforeChange, cancellationToken);
            }
            finally
            {
                lock (_gate) _inFlight--;
            }
        }

        public Task<EntitlementChange> RevokeAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default) =>
            aws.RevokeAsync(entitlement, beforeChange, cancellationToken);

        public Task<bool> IsActiveAsync(Entitlement entitlement, CancellationToken cancellationToken = default) => aws.IsActiveAsync(entitlement, cancellationToken);

        public Task<IReadOnlyList<string>> ListUsersAsync(AccessTarget target, CancellationToken cancellationToken = default) => aws.ListUsersAsync(target, cancellationToken);
    }

    /// <summary>
    /// A store where the commits confirming a grant's entitlements wait until <c>parties</c> of them have arrived (or a
    /// short while has passed): each was decided before any other was written.
    /// </summary>
    public class GrantReadBarrier : System.Reflection.DispatchProxy
    {
        private IStateStore _inner = null!;
        private string _grantId = "";
        private Barrier? _barrier;

        public static IStateStore Wrap(IStateStore inner, string grantId, int parties)
        {
            var store = Create<IStateStore, GrantReadBarrier>();
            var barrier = (GrantReadBarrier)(object)store;
            (barrier._inner, barrier._grantId, barrier._barrier) = (inner, grantId, new Barrier(parties));
            return store;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IStateStore.CommitAsync) && args![0] is StateChange change
                && change.Ledger.Any(e => e.Status == EntitlementStatus.Applied && e.Holders.Contains(_grantId)) && _barrier is { } barrier)
            {
                if (barrier.SignalAndWait(TimeSpan.FromSeconds(2)))
                    _barrier = null; // once: the two confirmations were both decided
                else
                    barrier.RemoveParticipant();
            }

            return targetMethod.Invoke(_inner, args);
        }
    }
}
