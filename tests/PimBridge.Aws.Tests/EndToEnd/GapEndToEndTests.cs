using PimBridge.Aws.Tests.Integration;
using PimBridge.Aws.Tests.Trails;
using PimBridge.Aws.Trails;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.EndToEnd;

/// <summary>
/// The gap detector over an S3 organization trail on moto and a SQLite state file: alerts are raised once, and a
/// restarted detector resumes after the files it already recorded, without re-reading or re-alerting.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class GapEndToEndTests(MotoFixture moto) : IAsyncLifetime
{
    private const string Member = "111122223333";
    private const string Region = "ap-southeast-2";
    private static readonly DateTimeOffset End = new(2026, 7, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pimbridge-gaps-{Guid.NewGuid():N}.db");
    private readonly ManualTimeProvider _clock = new(End.AddMinutes(30));
    private TrailBucket _bucket = null!;

    public async Task InitializeAsync()
    {
        _bucket = await TrailBucket.CreateAsync(moto);
        await using var store = await SqliteStateStore.OpenAsync(_file);
        var change = new StateChange();
        change.Grants.Add(new Grant
        {
            Id = "g-alice", Mapping = "prod-admin", Principal = new EntraPrincipal("alice-entra", "alice@contoso.com"), GroupId = "11111111-1111-1111-1111-111111111111",
            Access = PimAccess.Member, User = new IdentityCenterUser("u-alice", "alice@example.com"), ActivationId = "act-1",
            Start = End.AddHours(-2), End = End, EntitlementKeys = ["aa|u-alice|ps-admin|111122223333"], State = GrantState.Ended, EndedAt = End, EndReason = EndReasons.Expired,
        });
        change.Fences.Add(new SessionFence
        {
            Id = "f-alice", UserId = "u-alice", UserName = "alice@example.com", PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", PermissionSetName = "Admin",
            Accounts = [Member], Cutoff = End.AddMinutes(61), Until = End.AddHours(6), CreatedAt = End.AddSeconds(3), State = FenceState.Active, ActiveSince = End.AddSeconds(30),
        });
        await store.CommitAsync(change);
    }

    public Task DisposeAsync()
    {
        _bucket.Dispose();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_file + suffix);
        return Task.CompletedTask;
    }

    /// <summary>A new process: a new store connection, a new source, a new detector.</summary>
    private async Task<GapScanResult> ScanAsync()
    {
        await using var store = await SqliteStateStore.OpenAsync(_file);
        using var source = new S3TrailSource(_bucket.Client, _bucket.Options(_clock, o => o.Regions = [Region]));
        var detector = new GapDetector(store, source, new SimulatedIdentityCenter(), GapSettings.Default, _clock, instanceId: Guid.NewGuid().ToString("N"));
        return await detector.ScanAsync();
    }

    [Fact]
    public async Task A_restarted_detector_reads_only_new_trail_files_and_never_alerts_twice()
    {
        var session = End.AddHours(-1);
        await _bucket.PutTrailFileAsync(Member, Region, End.AddMinutes(10), "Mu0KsOhtH1ar15ZZ",
            TrailJson.RoleSessionCall("before", End.AddMinutes(-2), Member, "Admin", "alice@example.com", sessionCreated: session),
            TrailJson.RoleSessionCall("late-1", End.AddMinutes(5), Member, "Admin", "alice@example.com", sessionCreated: session));
        await _bucket.PutTrailFileAsync(Member, Region, End.AddMinutes(15), "b0000000000000aa",
            TrailJson.RoleSessionCall("denied-1", End.AddMinutes(12), Member, "Admin", "Alice@Example.com", sessionCreated: session, errorCode: "AccessDenied"),
            TrailJson.RoleSessionCall("other", End.AddMinutes(12), Member, "AdminReadOnly", "alice@example.com", sessionCreated: session));

        var first = await ScanAsync();

        Assert.Equal(["denied-1", "late-1"], first.NewAlerts.Select(a => a.EventId).Order());
        Assert.Equal(2, first.Stats.Files);

        // Delivered later, in the same minute as the newest file read, with a name that sorts before it.
        _clock.Advance(TimeSpan.FromMinutes(10));
        await _bucket.PutTrailFileAsync(Member, Region, End.AddMinutes(15), "a0000000000000aa",
            TrailJson.RoleSessionCall("late-1", End.AddMinutes(5), Member, "Admin", "alice@example.com", sessionCreated: session), // a duplicate delivery
            TrailJson.RoleSessionCall("late-2", End.AddMinutes(14), Member, "Admin", "alice@example.com", userId: "u-alice", sessionCreated: session));

        var second = await ScanAsync();

        Assert.Equal(["late-2"], second.NewAlerts.Select(a => a.EventId));
        Assert.Equal(1, second.Stats.Files);
        Assert.Equal(GapClass.SucceededAfterFence, second.NewAlerts[0].Class);

        _clock.Advance(TimeSpan.FromMinutes(5));
        var third = await ScanAsync();

        Assert.Empty(third.NewAlerts);
        Assert.Equal(0, third.Stats.Files);
        await using var store = await SqliteStateStore.OpenAsync(_file);
        Assert.Equal(3, (await store.ListAlertsAsync(null)).Count(a => a.Kind.StartsWith(GapAlert.KindPrefix, StringComparison.Ordinal)));
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
    }

    [Fact]
    public async Task A_window_that_opens_after_its_files_were_read_reads_them_again_once()
    {
        // Bob's grant ended with Alice's, but his removal is confirmed only 35 minutes later (throttled, or the engine was down).
        var session = End.AddHours(-1);
        await using (var setup = await SqliteStateStore.OpenAsync(_file))
        {
            var change = new StateChange();
            change.Grants.Add(new Grant
            {
                Id = "g-bob", Mapping = "prod-admin", Principal = new EntraPrincipal("bob-entra", "bob@contoso.com"), GroupId = "11111111-1111-1111-1111-111111111111",
                Access = PimAccess.Member, User = new IdentityCenterUser("u-bob", "bob@example.com"), ActivationId = "act-2",
                Start = End.AddHours(-2), End = End, EntitlementKeys = ["aa|u-bob|arn:aws:sso:::permissionSet/ssoins-1/ps-admin|111122223333"], State = GrantState.Ended, EndedAt = End, EndReason = EndReasons.Expired,
            });
            await setup.CommitAsync(change);
        }

        await _bucket.PutTrailFileAsync(Member, Region, End.AddMinutes(10), "Mu0KsOhtH1ar15ZZ",
            TrailJson.RoleSessionCall("bob-late", End.AddMinutes(5), Member, "Admin", "bob@example.com", sessionCreated: session),
            TrailJson.RoleSessionCall("alice-late", End.AddMinutes(6), Member, "Admin", "alice@example.com", sessionCreated: session));

        var first = await ScanAsync();
        Assert.Equal(["alice-late"], first.NewAlerts.Select(a => a.EventId));

        _clock.Advance(TimeSpan.FromMinutes(10));
        await using (var setup = await SqliteStateStore.OpenAsync(_file))
        {
            var change = new StateChange();
            change.Fences.Add(new SessionFence
            {
                Id = "f-bob", UserId = "u-bob", UserName = "bob@example.com", PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", PermissionSetName = "Admin",
                Accounts = [Member], Cutoff = End.AddMinutes(36), Until = End.AddHours(6), CreatedAt = End.AddMinutes(35), State = FenceState.Active, ActiveSince = End.AddMinutes(36),
            });
            await setup.CommitAsync(change);
        }

        var second = await ScanAsync();

        var bob = Assert.Single(second.NewAlerts);
        Assert.Equal(("bob-late", "g-bob", GapClass.SucceededBeforeFence), (bob.EventId, bob.GrantId, bob.Class));
        Assert.Equal(1, second.Stats.Files);

        _clock.Advance(TimeSpan.FromMinutes(5));
        var third = await ScanAsync();

        Assert.Empty(third.NewAlerts);
        Assert.Equal(0, third.Stats.Files);
    }
}
