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
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));
        h.Activate("bob-entra", AuditGroup, TimeSpan.FromHours(1) + h.Settings.Enforcer.RetryMaxDelay + TimeSpan.FromSeconds(1));
        await enforcer.ReconcileAsync(h.Snapshot());
        await SettleAsync(enforcer);
        h.Advance(TimeSpan.FromHours(1));
        await SettleAsync(enforcer); // Alice's fence waits for room
        Assert.Equal(FenceState.Pending, Assert.Single(await h.Store.ListFencesAsync(openOnly: true)).State);

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

    private static Enforcer Enforcer(EngineHarness h, IPermissionSetPolicies policies, string instance = "first-instance") => new(new EnforcerSetup
    {
        Store = h.Store, Aws = new IdentityCenterPorts(h.Aws, policies, h.Aws, h.Aws), Mappings = h.Mappings,
        Fences = h.Settings.Fences, Settings = h.Settings.Enforcer, Time = h.Clock, Pim = h, InstanceId = instance,
    });

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
}
