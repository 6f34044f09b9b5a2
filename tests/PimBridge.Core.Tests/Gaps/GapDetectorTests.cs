using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using PimBridge.Core.Notifications;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests.Gaps;

/// <summary>
/// The gap detector over the real engine and SQLite store on a virtual clock, reading trail files from a folder: the
/// windows come from what the enforcer actually did (grant ended, access removed, fence confirmed).
/// </summary>
public sealed class GapDetectorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-gaps-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Alice activates Ops for an hour; the hour passes; the engine removes her access and fences her sessions.</summary>
    private static async Task<(EngineHarness H, Grant Grant, SessionFence Fence)> EndedGrantAsync(RecordingSink? sink = null)
    {
        var h = await StartAsync();
        if (sink is not null)
            h.Restart(new NotificationOutbox([sink], [new NotificationRoute(sink.Name, new HashSet<NotificationKind> { NotificationKind.Alert }, AlertSeverity.Warning)], TimeSpan.FromMinutes(10)));
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromHours(1));
        await h.SettleAsync();
        var grant = Assert.Single(await h.Store.ListGrantsAsync(false, "u-alice"));
        var fence = Assert.Single(await h.Store.ListFencesAsync(false));
        Assert.Equal(FenceState.Active, fence.State);
        return (h, grant, fence);
    }

    private GapDetector Detector(EngineHarness h, NotificationOutbox? outbox = null, string instance = "detector-1") =>
        new(h.Store, new TrailDirectorySource(_folder), h.Aws, GapSettings.Default, h.Clock, outbox, instance);

    private void WriteTrailFile(string name, params JsonNode[] records)
    {
        var path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, TrailJson.Gzip(TrailJson.File(records)));
    }

    [Fact]
    public async Task Activity_after_expiry_becomes_one_classified_alert_per_event()
    {
        var (h, grant, fence) = await EndedGrantAsync();
        await using var _ = h;
        var end = grant.EndedAt!.Value;
        var session = end.AddHours(-0.5);
        WriteTrailFile("a/111111111111_CloudTrail_eu-west-1_20260701T1010Z_a.json.gz",
            TrailJson.RoleSessionCall("before-end", end.AddMinutes(-5), Prod, "Admin", "alice@example.com", sessionCreated: session),
            TrailJson.RoleSessionCall("after-fence", fence.ActiveSince!.Value.AddMinutes(3), Prod, "Admin", "alice@example.com", sessionCreated: session),
            TrailJson.RoleSessionCall("blocked", end.AddMinutes(20), Staging, "Admin", "ALICE@example.com", sessionCreated: session, errorCode: "AccessDenied"),
            TrailJson.RoleSessionCall("bob", end.AddMinutes(20), Prod, "Admin", "bob@example.com", sessionCreated: session),
            TrailJson.RoleSessionCall("readonly", end.AddMinutes(20), Prod, "AdminReadOnly", "alice@example.com", sessionCreated: session));
        WriteTrailFile("b/111111111111_CloudTrail_eu-west-1_20260701T1020Z_b.json.gz",
            TrailJson.RoleSessionCall("after-fence", fence.ActiveSince!.Value.AddMinutes(3), Prod, "Admin", "alice@example.com", sessionCreated: session), // delivered twice
            TrailJson.RoleSessionCall("new-credentials", end.AddMinutes(30), Prod, "Admin", "alice@example.com", userId: "u-alice", sessionCreated: end.AddMinutes(25)));
        h.Advance(TimeSpan.FromMinutes(40));

        var result = await Detector(h).ScanAsync();

        Assert.Equal(1, result.Windows);
        Assert.Equal(["after-fence", "blocked", "new-credentials"], result.NewAlerts.Select(a => a.EventId).Order());
        var alerts = (await h.Store.ListAlertsAsync(null)).Where(a => a.Kind.StartsWith(GapAlert.KindPrefix, StringComparison.Ordinal)).ToDictionary(a => a.Facts!["eventId"]);
        Assert.Equal("gap.succeeded-after-fence", alerts["after-fence"].Kind);
        Assert.Equal(AlertSeverity.Critical, alerts["after-fence"].Severity);
        Assert.Equal("gap.blocked", alerts["blocked"].Kind);
        Assert.Equal("gap.credentials-after-expiry", alerts["new-credentials"].Kind);
        Assert.Equal(grant.Id, alerts["blocked"].Facts!["grant"]);
        Assert.Equal(7, result.Stats.Records);
        Assert.Null(await h.VerifyAuditAsync());
    }

    [Fact]
    public async Task Reading_the_same_events_again_raises_nothing_new()
    {
        var (h, grant, _) = await EndedGrantAsync();
        await using var _h = h;
        WriteTrailFile("f1.json.gz", TrailJson.RoleSessionCall("e1", grant.EndedAt!.Value.AddMinutes(2), Prod, "Admin", "alice@example.com", sessionCreated: grant.Start));
        h.Advance(TimeSpan.FromMinutes(10));
        Assert.Single((await Detector(h).ScanAsync()).NewAlerts);

        h.Advance(TimeSpan.FromMinutes(5));
        var again = await Detector(h, instance: "detector-2").ScanAsync();

        Assert.Empty(again.NewAlerts);
        Assert.Equal(1, again.Stats.Records);
        Assert.Single(await h.Store.ListAlertsAsync(null), a => a.Kind.StartsWith(GapAlert.KindPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_window_closes_after_the_fence_until_plus_the_delivery_lag()
    {
        var (h, grant, fence) = await EndedGrantAsync();
        await using var _h = h;
        var detector = Detector(h);
        Assert.Single(await detector.WatchWindowsAsync(DateTimeOffset.MinValue));

        h.Advance(fence.Until + GapSettings.Default.DeliveryLag - h.Now + TimeSpan.FromMinutes(1));
        await h.SettleAsync(); // the fence lifts; its window still gets one more read
        Assert.Single(await detector.WatchWindowsAsync(DateTimeOffset.MinValue));
        Assert.Equal(1, (await detector.ScanAsync()).Windows);

        h.Advance(TimeSpan.FromMinutes(5));
        var later = await detector.ScanAsync();

        Assert.Equal(0, later.Windows);
        Assert.Equal(grant.EndedAt, (await detector.WatchWindowsAsync(DateTimeOffset.MinValue)).Single().From);
    }

    [Fact]
    public async Task Damaged_files_are_counted_and_the_scan_goes_on()
    {
        var (h, grant, _) = await EndedGrantAsync();
        await using var _h = h;
        var whole = TrailJson.Gzip(TrailJson.File(Enumerable.Range(0, 500).Select(i => (JsonNode)TrailJson.RoleSessionCall($"t{i}", grant.EndedAt!.Value.AddMinutes(1), Prod, "Admin", "alice@example.com", sessionCreated: grant.Start))));
        File.WriteAllBytes(Path.Combine(_folder, "a-truncated.json.gz"), whole[..(whole.Length / 3)]);
        WriteTrailFile("b-good.json.gz", TrailJson.RoleSessionCall("good", grant.EndedAt!.Value.AddMinutes(2), Prod, "Admin", "alice@example.com", sessionCreated: grant.Start));
        h.Advance(TimeSpan.FromMinutes(10));

        var result = await Detector(h).ScanAsync();

        Assert.Equal(1, result.Stats.DamagedFiles);
        Assert.Equal(2, result.Stats.Files);
        Assert.Contains(result.NewAlerts, a => a.EventId == "good");
        Assert.Contains(result.NewAlerts, a => a.EventId == "t0");
    }

    [Fact]
    public async Task Alerts_reach_the_sinks_through_the_outbox_even_when_a_sink_is_down_at_first()
    {
        var sink = new RecordingSink("security") { FailuresLeft = 2 };
        var (h, grant, _) = await EndedGrantAsync(sink);
        await using var _h = h;
        var outbox = new NotificationOutbox([sink], [new NotificationRoute(sink.Name, new HashSet<NotificationKind> { NotificationKind.Alert }, AlertSeverity.Warning)], TimeSpan.FromMinutes(10));
        WriteTrailFile("f.json.gz",
            TrailJson.RoleSessionCall("crit", grant.EndedAt!.Value.AddMinutes(30), Prod, "Admin", "alice@example.com", sessionCreated: grant.Start),
            TrailJson.RoleSessionCall("info", grant.EndedAt!.Value.AddMinutes(31), Prod, "Admin", "alice@example.com", sessionCreated: grant.Start, errorCode: "AccessDenied"));
        h.Advance(TimeSpan.FromMinutes(40));
        await Detector(h, outbox).ScanAsync();

        for (var i = 0; i < 5 && sink.Sent.Count == 0; i++)
        {
            await h.SettleAsync();
            h.Advance(TimeSpan.FromMinutes(1));
        }

        var sent = Assert.Single(sink.Sent); // the blocked call is Info, below the route's minimum
        Assert.Equal("alert:gap|crit", sent.Id);
        Assert.Equal(AlertSeverity.Critical, sent.Severity);
        Assert.Equal("gap.succeeded-after-fence", sent.AlertKind);
        Assert.Contains(sent.Facts, f => f.Key == "eventId" && f.Value == "crit");
        Assert.Equal(0, sink.FailuresLeft);
    }

    [Fact]
    public async Task No_fenced_grant_means_nothing_to_watch_and_the_source_is_not_read()
    {
        await using var h = await StartAsync();
        var source = new CountingSource();
        var detector = new GapDetector(h.Store, source, h.Aws, GapSettings.Default, h.Clock);

        var result = await detector.ScanAsync();

        Assert.Equal(0, result.Windows);
        Assert.Equal(0, source.Reads);
        Assert.NotNull(await h.Store.GetCheckpointAsync(GapDetector.LastScanCheckpoint));
    }

    [Fact]
    public async Task One_instance_scans_at_a_time()
    {
        var (h, _, _) = await EndedGrantAsync();
        await using var _h = h;
        Assert.True(await h.Store.TryAcquireLeaseAsync(GapDetector.LeaseName, "someone-else", h.Now, TimeSpan.FromMinutes(10)));

        var result = await Detector(h).ScanAsync();

        Assert.True(result.Skipped);
    }

    private sealed class CountingSource : ITrailSource
    {
        public int Reads { get; private set; }
        public string Describe => "counting";

        public async IAsyncEnumerable<TrailBatch> ReadAsync(ActivityQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Reads++;
            await Task.CompletedTask;
            yield break;
        }
    }
}
