using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using PimBridge.Testing;
using Xunit.Abstractions;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>
/// Random interleavings of activations, extensions, deactivations, expiries, AWS faults and crashes (in AWS calls and
/// around store commits). After the dust settles the invariants must hold. A failure names its seed; rerun one seed with
/// <see cref="RunSeedAsync"/> to debug it.
/// </summary>
public sealed class RandomizedConvergenceTests(ITestOutputHelper output)
{
    public const int Seeds = 1000;
    private const string CustomerPolicy = """{"Version":"2012-10-17","Statement":[{"Sid":"KeepMe","Effect":"Deny","Action":"organizations:*","Resource":"*"},{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}""";
    private static readonly string[] Principals = ["alice-entra", "bob-entra"];
    private static readonly string[] Groups = [OpsGroup, AuditGroup, PlatformGroup];
    private static readonly string[] Operations = ["Grant", "Revoke", "GetPolicy", "WritePolicy"];

    [Fact]
    public async Task Every_seed_converges_to_access_exactly_as_PIM_justifies_with_fences_and_an_intact_audit()
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(1, Seeds), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (seed, _) =>
        {
            try
            {
                await RunSeedAsync(seed);
            }
            catch (Exception ex)
            {
                failures.Add($"seed {seed}: {ex.GetType().Name}: {ex.Message}");
            }
        });

        foreach (var failure in failures.Order()) output.WriteLine(failure);
        Assert.True(failures.IsEmpty, $"{failures.Count} of {Seeds} seeds failed; first: {failures.Order().FirstOrDefault()}");
    }

    internal static async Task RunSeedAsync(int seed)
    {
        var random = new Random(seed);
        await using var h = await StartAsync();
        h.Aws.SetPolicy(Admin, CustomerPolicy);

        for (var step = 0; step < 40; step++)
        {
            try
            {
                await StepAsync(h, random);
            }
            catch (SimulatedCrash)
            {
                h.Restart();
            }
        }

        // Final ticks: no more faults; let claims and backoffs run out, with PIM reconciled as the loops would.
        h.Aws.ClearFaults();
        h.ProcessStore.CommitsUntilCrash = -1;
        for (var round = 0; round < 4; round++)
        {
            await h.ReconcileAsync();
            await h.SettleAsync();
            h.Advance(h.Settings.Enforcer.ClaimTimeout + h.Settings.Enforcer.RetryMaxDelay);
        }

        await h.ReconcileAsync();
        await h.SettleAsync();
        await AssertInvariantsAsync(h);
    }

    private static async Task StepAsync(EngineHarness h, Random random)
    {
        switch (random.Next(10))
        {
            case 0 or 1:
                h.Activate(Principals[random.Next(Principals.Length)], Groups[random.Next(Groups.Length)], TimeSpan.FromMinutes(random.Next(10, 180)));
                await h.ReconcileAsync();
                break;
            case 2 when h.ActivationIds.Count > 0:
                h.Extend(h.ActivationIds[random.Next(h.ActivationIds.Count)], TimeSpan.FromMinutes(random.Next(5, 60)));
                await h.ReconcileAsync();
                break;
            case 3 when h.ActivationIds.Count > 0:
                h.Deactivate(h.ActivationIds[random.Next(h.ActivationIds.Count)]);
                await h.ReconcileAsync();
                break;
            case 4:
                h.Aws.FailNext(Operations[random.Next(Operations.Length)], () => new SimulatedAwsFault(random.Next(2) == 0 ? "ThrottlingException" : "ConflictException"));
                await h.TickAsync();
                break;
            case 5:
                h.Aws.CrashNext(Operations[random.Next(Operations.Length)], afterEffect: random.Next(2) == 0);
                await h.TickAsync();
                break;
            case 6:
                h.ProcessStore.CommitsUntilCrash = random.Next(1, 4);
                h.ProcessStore.CrashAfterCommit = random.Next(2) == 0;
                if (random.Next(2) == 0) await h.ReconcileAsync(); else await h.TickAsync();
                break;
            default:
                h.Advance(TimeSpan.FromMinutes(random.Next(1, 90)));
                await h.TickAsync();
                break;
        }
    }

    private static async Task AssertInvariantsAsync(EngineHarness h)
    {
        var grants = await h.Store.ListGrantsAsync(activeOnly: false, user: null);
        var live = grants.Where(g => g.State == GrantState.Active).ToDictionary(g => g.Id);

        // Access exists exactly while a live grant holds it.
        var justified = new HashSet<string>(live.Values.SelectMany(g => g.EntitlementKeys), StringComparer.Ordinal);
        foreach (var key in h.Aws.ActiveKeys)
            Check(justified.Contains(key), $"entitlement {key} is active in AWS without a live grant holding it");
        foreach (var key in justified)
            Check(h.Aws.ActiveKeys.Contains(key), $"entitlement {key} is held by a live grant but not active in AWS");
        foreach (var grant in live.Values)
            Check(grant.End is null || grant.End > h.Now, $"grant {grant.Id} is active past its end {grant.End}");

        // A live grant is never blocked: sessions issued from its start on pass every fence.
        foreach (var grant in live.Values)
        {
            foreach (var key in grant.EntitlementKeys)
            {
                foreach (var reach in await ReachAsync(h, key))
                {
                    foreach (var issuedAt in new[] { grant.Start, h.Now })
                        Check(!h.Aws.Denies(reach.PermissionSetArn, grant.User.UserId, reach.AccountId, issuedAt),
                            $"live grant {grant.Id} is blocked on {reach} for sessions issued at {issuedAt:O}");
                }
            }
        }

        // Every ended grant whose access AWS confirmed is fenced on everything it reached and nobody still holds, until
        // the fence's until. (A grant that ended before PimBridge created its access left no session to fence; the
        // safety oracle in PimBridge.Safety.Tests judges every session, whatever the grant.)
        var held = new HashSet<PermissionSetAccount>();
        foreach (var key in justified) held.UnionWith(await ReachAsync(h, key));
        var fences = await h.Store.ListFencesAsync(openOnly: false);
        foreach (var grant in grants.Where(g => g.State == GrantState.Ended && g.EndedAt is not null && g.AccessConfirmedAt is not null))
        {
            foreach (var key in grant.EntitlementKeys)
            {
                foreach (var reach in await ReachAsync(h, key))
                {
                    if (held.Contains(reach)) continue;
                    var user = grant.User.UserId;
                    var covering = fences.Where(f => f.UserId == user && f.PermissionSetArn == reach.PermissionSetArn && f.Accounts.Contains(reach.AccountId) && f.CreatedAt >= grant.EndedAt).ToList();
                    Check(covering.Count > 0, $"ended grant {grant.Id} ({grant.EndReason}) has no fence on {reach}");
                    var stillNeeded = covering.Where(f => f.Until > h.Now).ToList();
                    foreach (var fence in stillNeeded)
                    {
                        Check(fence.State == FenceState.Active, $"fence {fence.Id} on {reach} is {fence.State} before its until");
                        Check(h.Aws.Denies(reach.PermissionSetArn, user, reach.AccountId, fence.Cutoff - TimeSpan.FromSeconds(1)),
                            $"fence {fence.Id} is not in force in the provisioned policy of {reach.PermissionSetArn}");
                    }
                }
            }
        }

        foreach (var fence in fences.Where(f => f.State != FenceState.Lifted && f.Until <= h.Now))
            Check(false, $"fence {fence.Id} outlived its until {fence.Until} ({fence.State})");

        // Customer statements are never altered.
        Check(Same(FencePolicy.CustomerStatements(CustomerPolicy), FencePolicy.CustomerStatements(h.Aws.Policy(Admin))),
            $"customer statements changed: {h.Aws.Policy(Admin)}");

        // Nothing is left pending, and the audit chain holds.
        Check((await h.Store.GetDueIntentsAsync(h.Now + TimeSpan.FromDays(365), 10)).Count == 0, "intents are still pending after the final ticks");
        var broken = await h.VerifyAuditAsync();
        Check(broken is null, $"audit chain broken at {broken?.Seq}: {broken?.Reason}");
    }

    private static async Task<IReadOnlyList<PermissionSetAccount>> ReachAsync(EngineHarness h, string key)
    {
        var parts = key.Split('|');
        return parts[0] == "aa" ? [new PermissionSetAccount(parts[2], parts[3])] : await h.Aws.GetGroupAssignmentsAsync(parts[2]);
    }

    private static bool Same(IReadOnlyList<JsonNode?> a, IReadOnlyList<JsonNode?> b) =>
        a.Count == b.Count && a.Zip(b).All(p => JsonNode.DeepEquals(p.First, p.Second));

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }
}
