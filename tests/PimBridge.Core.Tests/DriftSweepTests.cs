using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Testing;

namespace PimBridge.Core.Tests;

/// <summary>
/// The drift sweep's cost and manners: calls per sweep for a large deployment, its pace on the clock, its call budget
/// and rotating cursor, and one turn per interval among instances. What it finds is judged in the adversarial model
/// (PimBridge.Safety.Tests) and on moto (the CLI's verify tests).
/// </summary>
public sealed class DriftSweepTests
{
    private const int PermissionSets = 10;
    private const int AccountsEach = 10;
    private const int Users = 100;

    private static string PermissionSet(int k) => $"arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-sweep{k:D11}";

    private static string EntraGroup(int k) => $"00000000-0000-4000-8000-{k:D12}";

    /// <summary>
    /// 100 mapped targets (10 permission sets in 10 accounts each) and 1,000 holders (100 users, each holding one mapping's
    /// 10 assignments); the first <paramref name="ended"/> users' grants have ended, leaving fences on their permission sets.
    /// </summary>
    private static async Task<EngineHarness> LargeDeploymentAsync(int ended, Action<PimBridgeOptions>? configure = null)
    {
        var harness = await EngineHarness.StartAsync(options =>
        {
            options.Mappings = Enumerable.Range(0, PermissionSets).Select(k => new MappingOptions
            {
                Name = $"sweep-{k}",
                EntraGroupId = EntraGroup(k),
                AccountAssignments = new() { PermissionSet = PermissionSet(k), Accounts = Enumerable.Range(0, AccountsEach).Select(a => $"{100000000000 + a}").ToList() },
            }).ToList();
            configure?.Invoke(options);
        });
        for (var k = 0; k < PermissionSets; k++) harness.Aws.PermissionSetsByName[$"Sweep{k}"] = PermissionSet(k);
        var activations = new List<string>();
        for (var u = 0; u < Users; u++)
        {
            harness.Aws.Users[$"p-{u}"] = new IdentityCenterUser($"u-{u}", $"user{u}@example.com");
            activations.Add(harness.Activate($"p-{u}", EntraGroup(u % PermissionSets), TimeSpan.FromHours(8)));
        }

        await harness.ReconcileAsync();
        await harness.SettleAsync();
        foreach (var activation in activations.Take(ended)) harness.Deactivate(activation);
        await harness.ReconcileAsync();
        await harness.SettleAsync();
        harness.Advance(DriftSweep.ListingLag);
        return harness;
    }

    private static DriftSweep Sweep(EngineHarness harness, VerifierSettings settings) =>
        new(harness.Store, new IdentityCenterPorts(harness.Aws, harness.Aws, harness.Aws, harness.Aws), harness.Enforcer, settings, harness.Clock);

    [Fact]
    public async Task A_sweep_of_100_targets_and_1000_holders_costs_a_call_per_target_and_two_per_fenced_permission_set()
    {
        await using var harness = await LargeDeploymentAsync(ended: 5); // fences on 5 permission sets
        var listingsBefore = harness.Aws.Writes.Count;

        var report = await Sweep(harness, VerifierSettings.Default with { RequestsPerSecond = double.PositiveInfinity }).RunAsync(repair: false);

        Assert.Equal(PermissionSets * AccountsEach, report.Targets);
        Assert.Equal(5, report.PermissionSetsChecked);
        Assert.Equal(100 + 2 * 5, report.Calls);
        Assert.True(report.Complete);
        Assert.Empty(report.Drifts);
        Assert.Empty(report.Unchecked);
        Assert.Equal(listingsBefore, harness.Aws.Writes.Count); // it only read
    }

    [Fact]
    public async Task A_sweep_sends_no_faster_than_its_share_of_the_quota()
    {
        await using var harness = await LargeDeploymentAsync(ended: 0);
        var sweep = Sweep(harness, VerifierSettings.Default); // 5 requests a second
        var start = harness.Now;

        var running = sweep.RunAsync(repair: false);
        while (!running.IsCompleted)
        {
            harness.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        var report = await running;
        Assert.Equal(100, report.Calls);
        // 100 calls at 5 a second: the first goes at once, each later one 200 ms after the one before.
        Assert.InRange(harness.Now - start, TimeSpan.FromSeconds(99 * 0.2), TimeSpan.FromSeconds(99 * 0.2 + 5));
    }

    [Fact]
    public async Task A_sweep_stops_at_its_call_budget_and_the_next_goes_on_from_there()
    {
        // A 20-second interval at 1 request a second: a budget of 10 calls per sweep.
        await using var harness = await LargeDeploymentAsync(ended: 0);
        var budgeted = new VerifierSettings(TimeSpan.FromSeconds(20), 1);
        Assert.Equal(10, budgeted.CallBudget);
        var sweep = Sweep(harness, budgeted);

        var seen = 0;
        var reports = new List<DriftReport>();
        for (var turn = 0; turn < 10; turn++)
        {
            var running = sweep.RunIfDueAsync();
            while (!running.IsCompleted)
            {
                harness.Advance(TimeSpan.FromMilliseconds(250));
                await Task.Delay(1);
            }

            var report = Assert.IsType<DriftReport>(await running);
            reports.Add(report);
            seen += report.TargetsChecked;
            harness.Advance(TimeSpan.FromSeconds(20));
        }

        Assert.All(reports, r => Assert.Equal((10, false), (r.TargetsChecked, r.Complete)));
        Assert.Equal(100, seen);
        var cursor = await harness.Store.GetCheckpointAsync(DriftSweep.CursorCheckpoint);
        Assert.Equal("0", cursor!.Value); // round the whole list, back at the start
    }

    [Fact]
    public async Task Instances_on_one_store_sweep_once_per_interval_between_them()
    {
        await using var harness = await LargeDeploymentAsync(ended: 0);
        var settings = VerifierSettings.Default with { RequestsPerSecond = double.PositiveInfinity };
        var a = Sweep(harness, settings);
        var b = Sweep(harness, settings);

        var first = await a.RunIfDueAsync();
        var sameTurn = await b.RunIfDueAsync();
        harness.Advance(settings.Interval - TimeSpan.FromSeconds(1));
        var early = await a.RunIfDueAsync();
        harness.Advance(TimeSpan.FromSeconds(1));
        var next = await b.RunIfDueAsync();

        Assert.NotNull(first);
        Assert.Null(sameTurn);
        Assert.Null(early);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Access_found_where_a_grant_ended_before_PimBridge_sent_anything_is_standing_not_an_orphan()
    {
        await using var harness = await EngineHarness.StartAsync();
        var activation = harness.Activate("alice-entra", ExampleDeployment.AuditGroup, TimeSpan.FromHours(1)); // Admin in Prod
        await harness.ReconcileAsync(); // granted, not applied yet
        var entitlement = Entitlement.AccountAssignment("u-alice", ExampleDeployment.Admin, ExampleDeployment.Prod);
        harness.Aws.AddForeign(entitlement); // an administrator assigns it meanwhile
        harness.Deactivate(activation);
        await harness.ReconcileAsync();
        await harness.SettleAsync(); // released: PimBridge never created it

        var report = await Sweep(harness, VerifierSettings.Default with { RequestsPerSecond = double.PositiveInfinity }).RunAsync(repair: true);
        await harness.SettleAsync();

        var drift = Assert.Single(report.Drifts);
        Assert.Equal((DriftKind.StandingAccess, entitlement.Key), (drift.Kind, drift.Subject));
        Assert.True(harness.Aws.IsActive(entitlement));
        Assert.Empty(await harness.Store.ListFencesAsync(openOnly: true));
    }

    [Theory]
    [InlineData(0, "Verifier.RequestsPerSecond: 0 must be above 0 and below Identity Center's quota of 20")]
    [InlineData(20, "Verifier.RequestsPerSecond: 20 must be above 0 and below Identity Center's quota of 20")]
    [InlineData(double.NaN, "Verifier.RequestsPerSecond: NaN must be above 0")]
    public void A_sweep_rate_outside_Identity_Centers_quota_is_refused_with_the_setting_named(double rate, string problem)
    {
        var options = ExampleDeployment.Options(new() { Id = ExampleDeployment.IdcPlatformGroup });
        options.Verifier.RequestsPerSecond = rate;

        var error = Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Validate(options));

        Assert.Contains(error.Problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void A_sweep_interval_that_is_not_a_duration_is_refused_with_the_setting_named()
    {
        var options = ExampleDeployment.Options(new() { Id = ExampleDeployment.IdcPlatformGroup });
        options.Verifier.Interval = "often";

        var error = Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Validate(options));

        Assert.Contains(error.Problems, p => p.StartsWith("Verifier.Interval:", StringComparison.Ordinal));
    }
}
