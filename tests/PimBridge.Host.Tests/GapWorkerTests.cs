using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The host runs the gap detector when a CloudTrail source is configured, and does nothing without one.</summary>
public sealed class GapWorkerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-host-gaps-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Activity_after_the_grant_ended_becomes_an_alert_through_the_host()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Worker:PollInterval"] = "00:00:30" }, trailFolder: _folder);
        h.Pim.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd));
        h.Clock.Advance(TimeSpan.FromHours(1));
        await h.StepUntilAsync(() => !h.Aws.IsActive(AliceOpsProd));
        await h.StepUntilAsync(() => h.Store.ListFencesAsync(true).Result.Any(f => f.State == FenceState.Active));
        var grant = Assert.Single(await h.Store.ListGrantsAsync(false, "u-alice"));
        File.WriteAllBytes(Path.Combine(_folder, $"{Prod}_CloudTrail_eu-west-1_20260701T1030Z_x.json.gz"), TrailJson.Gzip(TrailJson.File(
        [
            TrailJson.RoleSessionCall("late-call", grant.EndedAt!.Value.AddMinutes(20), Prod, "Admin", "alice@example.com", sessionCreated: grant.Start),
        ])));
        h.Clock.Advance(TimeSpan.FromMinutes(30));

        var result = await h.GapWorker.RunOnceAsync();

        Assert.Equal("late-call", Assert.Single(result!.NewAlerts).EventId);
        Assert.Equal(GapClass.SucceededAfterFence, result.NewAlerts[0].Class);
        Assert.NotNull(await h.Store.GetAlertAsync(GapAlert.AlertId("late-call")));
    }

    [Fact]
    public async Task Without_a_source_there_is_no_scan()
    {
        await using var h = await StartAsync();

        Assert.Null(await h.GapWorker.RunOnceAsync());
    }
}
