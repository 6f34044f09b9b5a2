using PimBridge.Core.Domain;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The host's drift sweep: its turn comes once an interval, and what it repairs the worker's ticks carry out.</summary>
public sealed class DriftSweepWorkerTests
{
    [Fact]
    public async Task Access_another_hand_deleted_is_restored_through_the_hosts_sweep_and_ticks()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Worker:PollInterval"] = "00:00:30" });
        Assert.NotNull(await h.DriftSweepWorker.RunOnceAsync()); // the first turn, with nothing to find
        h.Pim.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(2));
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd));
        h.Aws.RemoveForeign(AliceOpsProd);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        var early = await h.DriftSweepWorker.RunOnceAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(3));

        var report = await h.DriftSweepWorker.RunOnceAsync();
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd));

        Assert.Null(early); // not its turn yet: one sweep per interval
        var drift = Assert.Single(report!.Drifts);
        Assert.Equal((DriftKind.MissingAccess, AliceOpsProd.Key, true), (drift.Kind, drift.Subject, drift.Repaired));
        Assert.Single(await h.Store.ListAlertsAsync(null), a => a.Kind == "access-missing");
    }
}
