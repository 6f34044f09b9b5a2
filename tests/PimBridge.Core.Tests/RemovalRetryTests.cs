using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Testing;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>
/// A removal whose AWS work succeeded but whose confirmation did not (another writer moved a record it wrote: with
/// intents side by side, fifteen removals touch one permission set's fence sync) runs again and finds nothing left.
/// Found in a mass expiry of the burst benchmark: the second run took "nothing there" for a listing lagging behind
/// PimBridge's own creation and waited 15 minutes, and the user's live sessions went unfenced all that time.
/// </summary>
public sealed class RemovalRetryTests
{
    private static readonly Entitlement AliceProd = Entitlement.AccountAssignment("u-alice", Admin, Prod);

    [Fact]
    public async Task A_removal_whose_confirmation_conflicted_after_AWS_removed_the_access_fences_on_its_next_run_without_waiting_for_creations_to_settle()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromMinutes(10)); // Admin in Prod, ending well within the 15 minutes a creation may take to settle
        await h.ReconcileAsync();
        await h.SettleAsync();
        Assert.True(h.Aws.IsActive(AliceProd));

        h.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = h.Store, Aws = new IdentityCenterPorts(new TouchAfterFirstRevoke(h.Aws, h.Store), h.Aws, h.Aws, h.Aws), Mappings = h.Mappings,
            Fences = h.Settings.Fences, Settings = h.Settings.Enforcer, Time = h.Clock, Pim = h,
        });
        var first = await enforcer.TickAsync(); // AWS removed it; the confirmation conflicted: the run decides again at once
        Assert.Equal(0, first.IntentsFailed);
        Assert.False(h.Aws.IsActive(AliceProd));

        h.Advance(TimeSpan.FromSeconds(10)); // nowhere near the settle time
        for (var i = 0; i < 10 && !(await enforcer.TickAsync()).DidNothing; i++) { }

        Assert.Equal(EntitlementStatus.Removed, (await h.Store.GetLedgerEntryAsync(AliceProd.Key))!.Status);
        var fence = Assert.Single(await h.Store.ListFencesAsync(openOnly: true));
        Assert.Equal(("u-alice", FenceState.Active), (fence.UserId, fence.State));
    }

    /// <summary>Another writer touches the ledger entry while AWS carries out the first revoke (after its effect).</summary>
    private sealed class TouchAfterFirstRevoke(SimulatedIdentityCenter aws, IStateStore store) : IEntitlementTarget
    {
        private int _revokes;

        public async Task<EntitlementChange> RevokeAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default)
        {
            var outcome = await aws.RevokeAsync(entitlement, beforeChange, cancellationToken);
            if (Interlocked.Increment(ref _revokes) == 1)
            {
                var touch = new StateChange();
                touch.Ledger.Add((await store.GetLedgerEntryAsync(entitlement.Key, cancellationToken))!);
                await store.CommitAsync(touch, cancellationToken);
            }

            return outcome;
        }

        public Task<EntitlementChange> GrantAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default) =>
            aws.GrantAsync(entitlement, beforeChange, cancellationToken);

        public Task<bool> IsActiveAsync(Entitlement entitlement, CancellationToken cancellationToken = default) => aws.IsActiveAsync(entitlement, cancellationToken);

        public Task<IReadOnlyList<string>> ListUsersAsync(AccessTarget target, CancellationToken cancellationToken = default) => aws.ListUsersAsync(target, cancellationToken);
    }
}
