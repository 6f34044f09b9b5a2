using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;
using PimBridge.Testing;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>
/// A permission set whose inline policy is full (IAM Identity Center's 10,240 characters): fences wait for room, each
/// with its alert at once, and the policy is not read again for a fence that cannot fit.
/// </summary>
public sealed class FullPolicyTests
{
    [Fact]
    public async Task A_policy_found_full_is_not_read_again_for_each_fence_that_cannot_fit_and_each_alert_is_raised_at_once()
    {
        // A mass expiry: once the policy was full, every further removal still ran the sync (two policy reads and a
        // listing of its accounts) only to find it full again: a tenth of the request budget the removals needed.
        await using var h = await StartAsync();
        h.Aws.Users["carol-entra"] = new IdentityCenterUser("u-carol", "carol@example.com");
        h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(4)); // no user id fits, let alone a statement
        var policies = new CountedPolicies(h.Aws);
        var enforcer = Enforcer(h, policies);
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1)); // Admin in Prod
        h.Activate("bob-entra", AuditGroup, TimeSpan.FromHours(1) + TimeSpan.FromSeconds(10));
        h.Activate("carol-entra", AuditGroup, TimeSpan.FromHours(1) + TimeSpan.FromSeconds(20));
        await enforcer.ReconcileAsync(h.Snapshot());
        await SettleAsync(enforcer);

        h.Advance(TimeSpan.FromHours(1));
        await SettleAsync(enforcer); // Alice's removal; her fence's sync finds the policy full
        var reads = policies.Reads;
        Assert.True(reads > 0);
        var waiting = Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin));
        var bobEnds = h.Now + TimeSpan.FromSeconds(10);
        h.Advance(TimeSpan.FromSeconds(10));
        await SettleAsync(enforcer);
        h.Advance(TimeSpan.FromSeconds(10));
        await SettleAsync(enforcer);

        Assert.Empty(h.Aws.ActiveKeys);
        Assert.Equal(reads, policies.Reads);
        Assert.Equal(waiting.Id, Assert.Single(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin)).Id);
        var fences = await h.Store.ListFencesAsync(openOnly: true);
        Assert.Equal(["u-alice", "u-bob", "u-carol"], fences.Select(f => f.UserId).Order());
        Assert.All(fences, f => Assert.Equal(FenceState.Pending, f.State));
        var alerts = (await h.Store.ListAlertsAsync(null)).Where(a => a.Kind == "fence-capacity-exhausted").ToList();
        Assert.Equal(fences.Select(f => f.Id).Order(), alerts.Select(a => a.Facts!["fence"]).Order());
        Assert.Equal(bobEnds, alerts.Single(a => a.Facts!["user"] == "u-bob").At);

        // Five minutes on, the waiting sync looks again: one read of the policy for all three, still full.
        h.Advance(h.Settings.Enforcer.RetryMaxDelay);
        await SettleAsync(enforcer);
        Assert.InRange(policies.Reads - reads, 1, 2);
        Assert.Equal(3, (await h.Store.ListAlertsAsync(null)).Count(a => a.Kind == "fence-capacity-exhausted"));
    }

    [Fact]
    public async Task A_sync_that_makes_room_while_a_new_fence_waited_against_the_old_room_queues_a_sync_that_writes_it()
    {
        // The removal judged Bob's fence against the room the last sync found, while a sync at work (the waiting one,
        // looking again) was about to find more: without a look after it, his fence would wait with no sync to write it.
        await using var h = await StartAsync();
        h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(4));
        var policies = new CountedPolicies(h.Aws);
        var enforcer = Enforcer(h, policies);
        var other = Enforcer(h, h.Aws, "other-instance");
        await AliceFenceWaitsAsync(h, enforcer, enforcer, h.Settings.Enforcer.RetryMaxDelay + TimeSpan.FromSeconds(1));

        policies.BeforeNextRead(async () =>
        {
            h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(2_000)); // the customer trims the policy
            h.Advance(TimeSpan.FromSeconds(1));
            await SettleAsync(other); // Bob's removal, on another instance, while the waiting sync looks again
            Assert.False(h.Aws.IsActive(Entitlement.AccountAssignment("u-bob", Admin, Prod)));
        });
        h.Advance(h.Settings.Enforcer.RetryMaxDelay);
        await SettleAsync(enforcer);

        var fences = await h.Store.ListFencesAsync(openOnly: true);
        Assert.Equal(["u-alice", "u-bob"], fences.Select(f => f.UserId).Order());
        Assert.All(fences, f => Assert.Equal(FenceState.Active, f.State));
        Assert.All(fences, f => Assert.True(FencePolicy.Carries(h.Aws.ProvisionedPolicy(Admin), f)));
        Assert.Empty(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin));
    }

    [Fact]
    public async Task A_fence_left_waiting_with_no_sync_to_write_it_gets_one_from_the_next_sweep()
    {
        // The sync that made room died (or its store failed) between its commit and its look for fences left waiting
        // against the old room: the periodic sweep queues a sync for a permission set whose fences wait with none.
        await using var h = await StartAsync();
        h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(4));
        var failing = LookAfterSyncFails.Wrap(h.Store);
        var policies = new CountedPolicies(h.Aws);
        var enforcer = Enforcer(h, policies, store: failing);
        var other = Enforcer(h, h.Aws, "other-instance");
        await AliceFenceWaitsAsync(h, enforcer, other, h.Settings.Enforcer.RetryMaxDelay + TimeSpan.FromSeconds(1));
        policies.BeforeNextRead(async () =>
        {
            h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(2_000));
            h.Advance(TimeSpan.FromSeconds(1));
            await SettleAsync(other); // Bob's removal leaves his fence waiting while the sync makes room
        });
        ((LookAfterSyncFails)(object)failing).Arm();
        h.Advance(h.Settings.Enforcer.RetryMaxDelay);
        await SettleAsync(enforcer);
        Assert.Empty(await h.Store.GetPendingIntentsAsync(IntentKind.SyncFences, Admin));
        Assert.Contains(await h.Store.ListFencesAsync(openOnly: true), f => f is { UserId: "u-bob", State: FenceState.Pending });

        h.Advance(DriftSweep.ListingLag);
        await new DriftSweep(h.Store, new IdentityCenterPorts(h.Aws, h.Aws, h.Aws, h.Aws), other, VerifierSettings.Default with { RequestsPerSecond = double.PositiveInfinity }, h.Clock).RunAsync(repair: true);
        await SettleAsync(other);

        var fences = await h.Store.ListFencesAsync(openOnly: true);
        Assert.Equal(["u-alice", "u-bob"], fences.Select(f => f.UserId).Order());
        Assert.All(fences, f => Assert.Equal(FenceState.Active, f.State));
    }

    [Fact]
    public async Task A_removal_that_judged_its_fence_against_room_a_sync_has_since_changed_decides_again()
    {
        // The other order of the same race: the removal read the room before the sync made more, and commits after the
        // sync has looked for fences left waiting. Its commit checks the room record it judged by, so it decides again.
        await using var h = await StartAsync();
        h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(4));
        var enforcer = Enforcer(h, h.Aws);
        var hooked = FullJudgedHook.Wrap(h.Store);
        var other = Enforcer(h, h.Aws, "other-instance", hooked);
        await AliceFenceWaitsAsync(h, enforcer, enforcer, h.Settings.Enforcer.RetryMaxDelay - TimeSpan.FromSeconds(1));
        h.Aws.SetPolicy(Admin, CustomerPolicyWithRoom(2_000)); // the customer trims the policy

        h.Advance(h.Settings.Enforcer.RetryMaxDelay - TimeSpan.FromSeconds(1)); // Bob's end, a second before the waiting sync looks again
        ((FullJudgedHook)(object)hooked).BeforeCommit(async () =>
        {
            h.Advance(TimeSpan.FromSeconds(1));
            await SettleAsync(enforcer); // the waiting sync makes room between Bob's removal judging the policy full and committing
            Assert.Equal(FenceState.Active, Assert.Single(await h.Store.ListFencesAsync(openOnly: true)).State);
        });
        await SettleAsync(other);
        await SettleAsync(enforcer);

        Assert.False(h.Aws.IsActive(Entitlement.AccountAssignment("u-bob", Admin, Prod)));
        var fences = await h.Store.ListFencesAsync(openOnly: true);
        Assert.Equal(["u-alice", "u-bob"], fences.Select(f => f.UserId).Order());
        Assert.All(fences, f => Assert.Equal(FenceState.Active, f.State));
        Assert.All(fences, f => Assert.True(FencePolicy.Carries(h.Aws.ProvisionedPolicy(Admin), f)));
    }

    /// <summary>A policy of customer statements alone, <paramref name="room"/> non-whitespace characters short of the limit.</summary>
    private static string CustomerPolicyWithRoom(int room)
    {
        static string Policy(IEnumerable<string> statements) => $$"""{"Version":"2012-10-17","Statement":[{{string.Join(",", statements)}}]}""";
        static string Statement(int i, string resource) => $$"""{"Sid":"Customer{{i}}","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::{{resource}}"}""";
        var target = FencePolicy.MaxNonWhitespace - room;
        var statements = new List<string>();
        while (Policy(statements.Append(Statement(statements.Count, "")).Append(Statement(statements.Count + 1, ""))).Length < target)
            statements.Add(Statement(statements.Count, $"bucket-{statements.Count}"));
        var padding = target - Policy(statements.Append(Statement(statements.Count, ""))).Length;
        var policy = Policy(statements.Append(Statement(statements.Count, new string('p', padding))));
        Assert.Equal(target, policy.Length);
        return policy;
    }

    private static Enforcer Enforcer(EngineHarness h, IPermissionSetPolicies policies, string instance = "first-instance", IStateStore? store = null) => new(new EnforcerSetup
    {
        Store = store ?? h.Store, Aws = new IdentityCenterPorts(h.Aws, policies, h.Aws, h.Aws), Mappings = h.Mappings,
        Fences = h.Settings.Fences, Settings = h.Settings.Enforcer, Time = h.Clock, Pim = h, InstanceId = instance,
    });

    /// <summary>Alice's access (Admin in Prod) ends first and her fence waits for room; Bob's ends <paramref name="bobLater"/> after hers.</summary>
    private static async Task AliceFenceWaitsAsync(EngineHarness h, Enforcer granting, Enforcer removing, TimeSpan bobLater)
    {
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        h.Activate("bob-entra", AuditGroup, TimeSpan.FromHours(1) + bobLater);
        await granting.ReconcileAsync(h.Snapshot());
        await SettleAsync(granting);
        h.Advance(TimeSpan.FromHours(1));
        await SettleAsync(removing);
        Assert.Equal(FenceState.Pending, Assert.Single(await h.Store.ListFencesAsync(openOnly: true)).State);
    }

    private static async Task SettleAsync(Enforcer enforcer)
    {
        for (var i = 0; i < 20; i++)
        {
            if ((await enforcer.TickAsync()).DidNothing) return;
        }
    }

    /// <summary>The simulated policies, counting how often the policy is read, with something to do before the next read.</summary>
    private sealed class CountedPolicies(SimulatedIdentityCenter aws) : IPermissionSetPolicies
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        private Func<Task>? _before;

        public void BeforeNextRead(Func<Task> action) => _before = action;

        public async Task<string?> GetInlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            if (Interlocked.Exchange(ref _before, null) is { } before)
                await before();
            return await aws.GetInlinePolicyAsync(permissionSetArn, cancellationToken);
        }

        public Task WriteInlinePolicyAsync(string permissionSetArn, string? policy, CancellationToken cancellationToken = default) =>
            aws.WriteInlinePolicyAsync(permissionSetArn, policy, cancellationToken);

        public Task<bool> ProvisionWhereStaleAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.ProvisionWhereStaleAsync(permissionSetArn, cancellationToken);

        public Task<IReadOnlyList<string>?> ListStaleAccountsAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
            aws.ListStaleAccountsAsync(permissionSetArn, cancellationToken);
    }

    /// <summary>A store that, once armed, does something before committing the first change that leaves a fence waiting for room.</summary>
    public class FullJudgedHook : System.Reflection.DispatchProxy
    {
        private IStateStore _inner = null!;
        private Func<Task>? _before;

        public static IStateStore Wrap(IStateStore inner)
        {
            var store = Create<IStateStore, FullJudgedHook>();
            ((FullJudgedHook)(object)store)._inner = inner;
            return store;
        }

        public void BeforeCommit(Func<Task> action) => _before = action;

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IStateStore.CommitAsync) && args![0] is StateChange { Unchanged.Count: > 0 } or StateChange { Alerts: [{ Kind: "fence-capacity-exhausted" }, ..] }
                && Interlocked.Exchange(ref _before, null) is { } before)
                return ThenAsync(before, () => (Task)targetMethod.Invoke(_inner, args)!);
            return targetMethod.Invoke(_inner, args);
        }

        private static async Task ThenAsync(Func<Task> first, Func<Task> then)
        {
            await first();
            await then();
        }
    }

    /// <summary>A store that, once armed, fails the first read of a permission set's open fences after a sync's commit.</summary>
    public class LookAfterSyncFails : System.Reflection.DispatchProxy
    {
        private IStateStore _inner = null!;
        private int _state; // 0 idle, 1 armed, 2 a sync committed, 3 done

        public static IStateStore Wrap(IStateStore inner)
        {
            var store = Create<IStateStore, LookAfterSyncFails>();
            ((LookAfterSyncFails)(object)store)._inner = inner;
            return store;
        }

        public void Arm() => _state = 1;

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IStateStore.CommitAsync) && args![0] is StateChange change
                && change.Checkpoints.Any(c => c.Name.StartsWith("fence-room|", StringComparison.Ordinal)))
                Interlocked.CompareExchange(ref _state, 2, 1);
            else if (targetMethod.Name == nameof(IStateStore.GetOpenFencesForPermissionSetAsync) && Interlocked.CompareExchange(ref _state, 3, 2) == 2)
                return Task.FromException<IReadOnlyList<SessionFence>>(new InvalidOperationException("the store went away"));
            return targetMethod.Invoke(_inner, args);
        }
    }
}
