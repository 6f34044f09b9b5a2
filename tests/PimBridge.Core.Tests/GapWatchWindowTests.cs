using PimBridge.Core.Domain;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

public sealed class GapWatchWindowTests
{
    [Fact]
    public async Task An_ended_grant_is_watched_from_its_end_until_its_fence_lifts_plus_the_delivery_lag()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();
        var grant = Assert.Single(await h.Store.ListGrantsAsync(false, "u-alice"));
        var fence = Assert.Single(await h.Store.ListFencesAsync(false));

        var window = Assert.Single(GapWatchWindow.For(grant, await h.Store.ListFencesAsync(false), GapWatchWindow.DefaultDeliveryLag, arn => "Ops"));

        Assert.Equal(grant.EndedAt, window.From);
        Assert.Equal(fence.Until + TimeSpan.FromMinutes(15), window.Until);
        Assert.Equal(fence.ActiveSince, window.FencedSince);
        Assert.True(window.Covers(Prod, grant.EndedAt!.Value.AddMinutes(1)));
        Assert.False(window.Covers(Prod, grant.EndedAt!.Value.AddMinutes(-1)));
        Assert.False(window.Covers("999999999999", grant.EndedAt!.Value.AddMinutes(1)));
        Assert.False(window.Covers(Prod, window.Until.AddSeconds(1)));
    }

    [Fact]
    public async Task An_active_grant_has_no_window()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        var grant = Assert.Single((await h.ReconcileAsync()).Plan.NewGrants);

        Assert.Empty(GapWatchWindow.For(grant, [], GapWatchWindow.DefaultDeliveryLag, arn => "Ops"));
    }
}
