using Amazon.SecurityToken;
using PimBridge.Aws.Tests.Wire;
using PimBridge.Aws.Trails;
using PimBridge.Core.Gaps;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>
/// The LookupEvents source through the real STS SDK client and the real CloudTrail client, both answered by wire stubs,
/// on a clock that only moves when the rate limiter or backoff waits.
/// </summary>
public sealed class LookupEventsTrailSourceTests
{
    private const string Member = "950363612855";
    private const string Second = "111122223333";
    private const string IdentityCenter = TrailJson.IdentityCenterAccount;
    private const string Region = "ap-southeast-2";
    private const string OtherRegion = "eu-west-1";
    private const string User = "aidan.steele@glassechidna.com.au";
    private const string OtherUser = "jdoe@example.com";
    private const string UserId = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TrailRecordFilter Watching = new(["AdministratorAccess"], [User, OtherUser], [UserId]);

    private sealed class Rig : IDisposable
    {
        public required ManualTimeProvider Time { get; init; }
        public required StsStub Sts { get; init; }
        public required LookupEventsStub Trail { get; init; }
        public required AmazonSecurityTokenServiceClient StsClient { get; init; }
        public required LookupEventsTrailSource Source { get; init; }

        public void Dispose()
        {
            Source.Dispose();
            StsClient.Dispose();
        }
    }

    private static Rig Create(Action<LookupEventsTrailSourceOptions>? configure = null)
    {
        var time = new ManualTimeProvider(Now) { AutoAdvance = true };
        var sts = new StsStub(time);
        var trail = new LookupEventsStub(time);
        var stsClient = sts.Client();
        var options = new LookupEventsTrailSourceOptions
        {
            Regions = [Region],
            AuditRole = "PimBridgeAudit",
            SecurityTokenService = stsClient,
            TimeProvider = time,
            MaxConcurrency = 1,
            ConfigureCloudTrail = trail.Configure,
        };
        configure?.Invoke(options);
        return new Rig { Time = time, Sts = sts, Trail = trail, StsClient = stsClient, Source = new LookupEventsTrailSource(options) };
    }

    private static ActivityQuery Query(DateTimeOffset from, DateTimeOffset until, string[] accounts, params string[] users) =>
        new(accounts, from, until, Watching, NoTrailCursors.Instance) { UserNames = users };

    private static long Epoch(int hour, int minute, int second = 0) => new DateTimeOffset(2026, 7, 1, hour, minute, second, TimeSpan.Zero).ToUnixTimeSeconds();

    private static DateTimeOffset At(int hour, int minute, int second = 0) => new(2026, 7, 1, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public async Task Asks_per_user_with_one_Username_attribute_per_window_and_pages_with_the_same_parameters()
    {
        using var rig = Create();
        rig.Trail.PageSize = 2;
        for (var i = 0; i < 5; i++)
            rig.Trail.Add(Member, Region, User, TrailJson.RoleSessionCall($"w1-{i}", At(9, 40 + i), Member, "AdministratorAccess", User));
        rig.Trail.Add(Member, Region, User, TrailJson.RoleSessionCall("w1-other-permission-set", At(9, 50), Member, "ReadOnly", User));
        rig.Trail.Add(Member, Region, User, TrailJson.RoleSessionCall("w3-0", At(11, 45), Member, "AdministratorAccess", User, eventName: "DeleteBucket"));
        rig.Trail.Add(Member, Region, OtherUser, TrailJson.RoleSessionCall("w2-0", At(10, 30), Member, "AdministratorAccess", OtherUser));

        // Until is in the future: the range ends now, 12:00, and is cut into hour-long runs from 09:30.
        var batches = await rig.Source.ReadAsync(Query(At(9, 30), At(13, 0), [Member], User, OtherUser)).ToListAsync();

        var windows = new[] { (Epoch(9, 30), Epoch(10, 29, 59)), (Epoch(10, 30), Epoch(11, 29, 59)), (Epoch(11, 30), Epoch(12, 0)) };
        var calls = rig.Trail.Calls;
        Assert.All(calls, c =>
        {
            Assert.Equal(1, c.Json.GetProperty("LookupAttributes").GetArrayLength());
            Assert.Equal("Username", c.AttributeKey);
            Assert.Equal(50, c.Json.GetProperty("MaxResults").GetInt32());
        });
        Assert.Equal(
            [(User, windows[0], null), (User, windows[0], "p"), (User, windows[0], "p"), (User, windows[1], null), (User, windows[2], null),
             (OtherUser, windows[0], null), (OtherUser, windows[1], null), (OtherUser, windows[2], null)],
            calls.Select(c => (c.AttributeValue, (c.StartTime, c.EndTime), c.NextToken is null ? null : "p")));

        Assert.Equal(6, batches.Count);
        Assert.All(batches, b => Assert.Null(b.Cursor));
        Assert.Equal(["w1-0", "w1-1", "w1-2", "w1-3", "w1-4"], batches[0].Records.Select(r => r.EventId));
        Assert.Equal(6, batches[0].Stats.Records);
        Assert.Equal(5, batches[0].Stats.Candidates);
        Assert.Contains($"lookup-events:{Member}/{Region} Username={User} 2026-07-01T09:30:00Z..2026-07-01T10:29:59Z", batches[0].Origin);
        Assert.Empty(batches[1].Records);
        Assert.Equal(["w3-0"], batches[2].Records.Select(r => r.EventId));
        Assert.Equal(["w2-0"], batches[4].Records.Select(r => r.EventId));
        Assert.All(batches.SelectMany(b => b.Records), r => Assert.Equal("AdministratorAccess", r.PermissionSetName));
    }

    [Fact]
    public async Task A_throttled_call_is_retried_with_the_same_request()
    {
        using var rig = Create();
        rig.Trail.Add(Member, Region, User, TrailJson.RoleSessionCall("e-1", At(11, 40), Member, "AdministratorAccess", User));
        rig.Trail.Throttle(1);

        var batch = Assert.Single(await rig.Source.ReadAsync(Query(At(11, 30), Now, [Member], User)).ToListAsync());

        var calls = rig.Trail.Calls;
        Assert.Equal(2, calls.Count);
        Assert.Equal(calls[0].Body, calls[1].Body);
        Assert.Equal(["e-1"], batch.Records.Select(r => r.EventId));
    }

    [Fact]
    public async Task Malformed_CloudTrailEvent_strings_are_counted_not_thrown()
    {
        using var rig = Create();
        rig.Trail.AddRaw(Member, Region, User, "ListBuckets", At(11, 31), "bad-1", "not json at all");
        rig.Trail.AddRaw(Member, Region, User, "ListBuckets", At(11, 32), "bad-2", """{"eventVersion":"1.08","eventName":"ListBuckets"}""");
        rig.Trail.AddRaw(Member, Region, User, "ListBuckets", At(11, 33), "bad-3", """{"eventVersion":"1.08","eventID":"bad-3","userIdentity":{"type":"Assum""");
        rig.Trail.AddRaw(Member, Region, User, "ListBuckets", At(11, 34), "bad-4", "[1,2]");
        rig.Trail.Add(Member, Region, User, TrailJson.RoleSessionCall("good", At(11, 35), Member, "AdministratorAccess", User));

        var batch = Assert.Single(await rig.Source.ReadAsync(Query(At(11, 30), Now, [Member], User)).ToListAsync());

        Assert.Equal(["good"], batch.Records.Select(r => r.EventId));
        Assert.Equal(5, batch.Stats.Records);
        Assert.Equal(4, batch.Stats.MalformedRecords);
    }

    [Fact]
    public async Task Calls_to_one_account_and_Region_are_spaced_at_two_per_second_and_each_pair_has_its_own_limit()
    {
        using var rig = Create();

        await rig.Source.ReadAsync(Query(At(11, 30), Now, [Member, Second], User, OtherUser)).ToListAsync();

        // One run per user in each account: the second call to an account waits its 500 ms slot; the first call to the
        // other account does not wait for the first account's limiter.
        var calls = rig.Trail.Calls;
        Assert.Equal([(Member, Now), (Member, Now.AddMilliseconds(500)), (Second, Now.AddMilliseconds(500)), (Second, Now.AddMilliseconds(1000))],
            calls.Select(c => (c.Account, c.At)));
        Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500)], rig.Time.Delays);
    }

    [Fact]
    public async Task Reading_pairs_concurrently_yields_the_same_batches()
    {
        using var sequential = Create(o => o.Regions = [Region, OtherRegion]);
        using var concurrent = Create(o => { o.Regions = [Region, OtherRegion]; o.MaxConcurrency = 4; });
        foreach (var rig in new[] { sequential, concurrent })
            foreach (var account in new[] { Member, Second })
                foreach (var region in new[] { Region, OtherRegion })
                    rig.Trail.Add(account, region, User, TrailJson.RoleSessionCall($"{account}-{region}", At(11, 40), account, "AdministratorAccess", User, region: region));

        var query = Query(At(10, 30), Now, [Member, Second], User, OtherUser);
        var one = await sequential.Source.ReadAsync(query).ToListAsync();
        var four = await concurrent.Source.ReadAsync(query).ToListAsync();

        Assert.Equal(16, one.Count);
        Assert.Equal(one.Select(b => b.Origin).Order(), four.Select(b => b.Origin).Order());
        Assert.Equal(one.SelectMany(b => b.Records).Select(r => r.EventId).Order(), four.SelectMany(b => b.Records).Select(r => r.EventId).Order());
        Assert.Equal(4, four.SelectMany(b => b.Records).Count());
    }

    [Fact]
    public void Windows_cover_the_range_in_whole_seconds_end_at_now_and_start_within_the_90_day_history()
    {
        var now = Now.AddMilliseconds(700);

        var clipped = LookupEventsTrailSource.Windows(now.AddDays(-100), now.AddHours(5), now, TimeSpan.FromHours(1), TimeSpan.FromDays(90));

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(now.AddDays(-90).ToUnixTimeSeconds()), clipped[0].Start);
        Assert.Equal(Now, clipped[^1].End);
        Assert.All(clipped.Zip(clipped.Skip(1)), pair => Assert.Equal(pair.First.End.AddSeconds(1), pair.Second.Start));
        Assert.All(clipped, w => Assert.True(w.End - w.Start <= TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1)));
        Assert.Equal(90 * 24 + 1, clipped.Count);

        var short1 = LookupEventsTrailSource.Windows(Now.AddMinutes(-90), Now, Now, TimeSpan.FromMinutes(30), TimeSpan.FromDays(90));
        Assert.Equal([(Now.AddMinutes(-90), Now.AddMinutes(-60).AddSeconds(-1)), (Now.AddMinutes(-60), Now.AddMinutes(-30).AddSeconds(-1)), (Now.AddMinutes(-30), Now.AddSeconds(-1)), (Now, Now)], short1);

        Assert.Empty(LookupEventsTrailSource.Windows(Now.AddMinutes(1), Now.AddHours(1), Now, TimeSpan.FromHours(1), TimeSpan.FromDays(90)));
        Assert.Empty(LookupEventsTrailSource.Windows(Now.AddDays(-120), Now.AddDays(-100), Now, TimeSpan.FromHours(1), TimeSpan.FromDays(90)));
    }

    [Fact]
    public async Task GetRoleCredentials_is_looked_up_in_the_Identity_Center_account_and_Region()
    {
        using var rig = Create(o => { o.Regions = [Region, OtherRegion]; o.IdentityCenterAccountId = IdentityCenter; });
        rig.Trail.Add(IdentityCenter, Region, "", TrailJson.GetRoleCredentials("grc-watched", At(11, 40), UserId, Member, "AdministratorAccess"));
        rig.Trail.Add(IdentityCenter, Region, "", TrailJson.GetRoleCredentials("grc-other", At(11, 41), "976710cc5d-00000000-0000-0000-0000-000000000000", Member, "AdministratorAccess"));

        var batches = await rig.Source.ReadAsync(Query(At(11, 30), Now, [Member], User)).ToListAsync();

        Assert.Equal([(Member, Region, "Username"), (Member, OtherRegion, "Username"), (IdentityCenter, Region, "EventName")],
            rig.Trail.Calls.Select(c => (c.Account, c.Region, c.AttributeKey)));
        Assert.Equal("GetRoleCredentials", rig.Trail.Calls[2].AttributeValue);
        var credentials = Assert.Single(batches[2].Records);
        Assert.Equal("grc-watched", credentials.EventId);
        Assert.True(credentials.IsGetRoleCredentials);
        Assert.Equal(Member, credentials.TargetAccountId);
    }

    [Fact]
    public async Task Calls_are_signed_with_the_assumed_audit_role_which_is_reused_until_near_expiry()
    {
        using var rig = Create(o => o.ExternalId = "pimbridge-7f3a");
        var query = Query(At(11, 30), Now, [Member, Second], User);

        await rig.Source.ReadAsync(query).ToListAsync();
        await rig.Source.ReadAsync(query).ToListAsync();

        var assumed = rig.Sts.Requests;
        Assert.Equal(2, assumed.Count);
        Assert.Equal($"arn:aws:iam::{Member}:role/PimBridgeAudit", assumed[0]["RoleArn"]);
        Assert.Equal($"arn:aws:iam::{Second}:role/PimBridgeAudit", assumed[1]["RoleArn"]);
        Assert.All(assumed, r => Assert.Equal("pimbridge-gap-detector", r["RoleSessionName"]));
        Assert.All(assumed, r => Assert.Equal("pimbridge-7f3a", r["ExternalId"]));
        Assert.All(rig.Trail.Calls, c => Assert.Equal(StsStub.KeyFor(c.Account, c.Account == Member ? 1 : 2), c.AccessKeyId));
        Assert.All(rig.Trail.Calls, c => Assert.Equal($"token-{c.Account}-{(c.Account == Member ? 1 : 2)}", c.SecurityToken));

        // Credentials last an hour and are replaced five minutes before they expire.
        rig.Time.Advance(TimeSpan.FromMinutes(56));
        var before = rig.Trail.Calls.Count;
        await rig.Source.ReadAsync(query with { Until = rig.Time.GetUtcNow() }).ToListAsync();

        Assert.Equal(4, rig.Sts.Requests.Count);
        Assert.Equal(StsStub.KeyFor(Member, 3), rig.Trail.Calls[before].AccessKeyId);
    }

    [Fact]
    public async Task An_ARN_template_names_the_role_in_each_account()
    {
        using var rig = Create(o => o.AuditRole = "arn:aws-us-gov:iam::{account}:role/audit/PimBridgeAudit");

        await rig.Source.ReadAsync(Query(At(11, 30), Now, [Member], User)).ToListAsync();

        Assert.Equal($"arn:aws-us-gov:iam::{Member}:role/audit/PimBridgeAudit", Assert.Single(rig.Sts.Requests)["RoleArn"]);
        Assert.Equal("arn:aws:iam::111122223333:role/audit/Reader", LookupEventsTrailSource.RoleArn("/audit/Reader", Second));
    }

    [Fact]
    public async Task A_refused_AssumeRole_skips_that_account_reads_the_others_then_names_the_role_and_what_it_needs()
    {
        using var rig = Create(o => { o.Regions = [Region, OtherRegion]; o.ExternalId = "pimbridge-7f3a"; });
        rig.Sts.Deny.Add(Second);
        rig.Trail.Add(Member, OtherRegion, User, TrailJson.RoleSessionCall("e-1", At(11, 40), Member, "AdministratorAccess", User, region: OtherRegion));

        var batches = new List<TrailBatch>();
        var error = await Assert.ThrowsAsync<AuditRoleAccessException>(async () =>
        {
            await foreach (var batch in rig.Source.ReadAsync(Query(At(11, 30), Now, [Second, Member], User)))
                batches.Add(batch);
        });

        Assert.Equal([Member, Member], batches.Select(b => b.Origin.Split(':')[1].Split('/')[0]));
        Assert.Equal(["e-1"], batches.SelectMany(b => b.Records).Select(r => r.EventId));
        var denial = Assert.Single(error.Denials);
        Assert.Equal((Second, (string?)null, "arn:aws:iam::111122223333:role/PimBridgeAudit", AuditRoleDenial.AssumeRole), (denial.AccountId, denial.Region, denial.RoleArn, denial.Operation));
        Assert.Contains("arn:aws:iam::111122223333:role/PimBridgeAudit", error.Message);
        Assert.Contains("trust policy must allow sts:AssumeRole", error.Message);
        Assert.Contains("sts:ExternalId = \"pimbridge-7f3a\"", error.Message);
        Assert.Contains("NOT checked", error.Message);
        // Refused once: the second Region of the same account does not ask again.
        Assert.Single(rig.Sts.Requests, r => r["RoleArn"].Contains(Second, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_LookupEvents_names_the_account_Region_and_the_permission_to_add()
    {
        using var rig = Create();
        rig.Trail.Deny.Add(Second);

        var error = await Assert.ThrowsAsync<AuditRoleAccessException>(() => rig.Source.ReadAsync(Query(At(11, 30), Now, [Second, Member], User)).ToListAsync());

        var denial = Assert.Single(error.Denials);
        Assert.Equal((Second, Region, AuditRoleDenial.LookupEvents), (denial.AccountId, denial.Region, denial.Operation));
        Assert.Contains("allowing cloudtrail:LookupEvents", error.Message);
        Assert.Contains(Member, rig.Trail.Calls[^1].Account);
    }
}
