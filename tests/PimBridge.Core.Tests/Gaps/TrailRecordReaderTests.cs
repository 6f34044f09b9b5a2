using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Gaps;

namespace PimBridge.Core.Tests.Gaps;

public sealed class TrailRecordReaderTests
{
    private static readonly DateTimeOffset T = new(2026, 7, 1, 10, 0, 0, TimeSpan.Zero);
    private const string Account = "950363612855";
    private const string UserId = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";

    private static readonly TrailRecordFilter Alice = new(["AdministratorAccess"], ["aidan.steele@glassechidna.com.au"], [UserId]);

    private static async Task<(IReadOnlyList<TrailRecord> Records, TrailScanStats Stats)> ReadAsync(byte[] file, TrailRecordFilter? filter = null, string origin = "f.json.gz")
    {
        var stats = new TrailScanStats();
        var records = await TrailRecordReader.ReadAsync(new MemoryStream(file), origin, filter ?? TrailRecordFilter.Everything, stats);
        return (records, stats);
    }

    private static byte[] Gz(params JsonNode[] records) => TrailJson.Gzip(TrailJson.File(records));

    [Fact]
    public async Task Reads_every_field_of_the_reference_role_session_record()
    {
        var record = TrailJson.RoleSessionCall("e-1", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au", userId: UserId,
            sessionCreated: T.AddMinutes(-30), eventSource: "sts.amazonaws.com", eventName: "GetCallerIdentity", errorCode: "AccessDenied", errorMessage: "denied");

        var (records, stats) = await ReadAsync(Gz(record));

        var r = Assert.Single(records);
        Assert.Equal("e-1", r.EventId);
        Assert.Equal(T, r.EventTime);
        Assert.Equal("sts.amazonaws.com", r.EventSource);
        Assert.Equal("GetCallerIdentity", r.EventName);
        Assert.Equal("ap-southeast-2", r.AwsRegion);
        Assert.Equal(Account, r.AccountId);
        Assert.Equal("AssumedRole", r.IdentityType);
        Assert.Equal("AWSReservedSSO_AdministratorAccess_7243976e43c75fc5", r.RoleName);
        Assert.Equal("AdministratorAccess", r.PermissionSetName);
        Assert.Equal("aidan.steele@glassechidna.com.au", r.SessionName);
        Assert.Equal(UserId, r.OnBehalfOfUserId);
        Assert.Equal(T.AddMinutes(-30), r.SessionCreatedAt);
        Assert.Equal("AccessDenied", r.ErrorCode);
        Assert.Equal("denied", r.ErrorMessage);
        Assert.Equal("203.0.113.24", r.SourceIpAddress);
        Assert.StartsWith("aws-cli/2.27.49", r.UserAgent);
        Assert.Equal(1, stats.Files);
        Assert.Equal(1, stats.Records);
        Assert.Equal(0, stats.MalformedRecords + stats.DamagedFiles);
        Assert.Equal(TrailJson.File([record]).Length, stats.Bytes);
    }

    [Fact]
    public async Task Reads_get_role_credentials_target_from_service_event_details()
    {
        var (records, _) = await ReadAsync(Gz(TrailJson.GetRoleCredentials("e-2", T, UserId, Account, "AdministratorAccess")), Alice);

        var r = Assert.Single(records);
        Assert.True(r.IsGetRoleCredentials);
        Assert.Equal(Account, r.TargetAccountId);
        Assert.Equal("AdministratorAccess", r.TargetRoleName);
        Assert.Equal(UserId, r.OnBehalfOfUserId);
        Assert.Equal(TrailJson.IdentityCenterAccount, r.AccountId);
    }

    [Fact]
    public async Task The_filter_keeps_only_watched_permission_sets_and_users()
    {
        var file = Gz(
            TrailJson.RoleSessionCall("keep-by-name", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au"),
            TrailJson.RoleSessionCall("keep-by-case", T, Account, "AdministratorAccess", "Aidan.Steele@GlassEchidna.com.au"),
            TrailJson.RoleSessionCall("keep-by-id", T, Account, "AdministratorAccess", "renamed@example.com", userId: UserId),
            TrailJson.RoleSessionCall("other-user", T, Account, "AdministratorAccess", "bob@example.com", userId: "other-id"),
            TrailJson.RoleSessionCall("similar-name", T, Account, "AdministratorAccessReadOnly", "aidan.steele@glassechidna.com.au"),
            TrailJson.RoleSessionCall("prefix-name", T, Account, "Administrator", "aidan.steele@glassechidna.com.au"),
            TrailJson.OtherRoleCall("service-role", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au"),
            TrailJson.AssumeRoleWithSaml("saml", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au"),
            TrailJson.GetRoleCredentials("grc", T, UserId, Account, "AdministratorAccess"),
            TrailJson.GetRoleCredentials("grc-other", T, "other-id", Account, "AdministratorAccess"));

        var (records, stats) = await ReadAsync(file, Alice);

        Assert.Equal(["keep-by-name", "keep-by-case", "keep-by-id", "saml", "grc"], records.Select(r => r.EventId));
        Assert.Equal(10, stats.Records);
        Assert.Equal(5, stats.Candidates);
    }

    [Fact]
    public async Task Permission_set_names_with_underscores_are_anchored_at_the_hash()
    {
        var filter = new TrailRecordFilter(["Data_Admin_EU"], ["alice@example.com"], []);
        var (records, _) = await ReadAsync(Gz(TrailJson.RoleSessionCall("e", T, Account, "Data_Admin_EU", "alice@example.com", roleHash: "0123456789abcdef")), filter);

        Assert.Equal("Data_Admin_EU", Assert.Single(records).PermissionSetName);
        Assert.Null(TrailRecord.PermissionSetNameOf("AWSReservedSSO_Admin_0123456789ABCDEF")); // upper-case hex is not Identity Center's
        Assert.Null(TrailRecord.PermissionSetNameOf("AWSReservedSSO_Admin_0123456789abcde"));
        Assert.Null(TrailRecord.PermissionSetNameOf("MyAWSReservedSSO_Admin_0123456789abcdef"));
    }

    [Fact]
    public async Task A_record_without_onBehalfOf_falls_back_to_the_session_name_in_the_arn()
    {
        var record = TrailJson.RoleSessionCall("e", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        record["userIdentity"]!.AsObject().Remove("principalId");

        var (records, _) = await ReadAsync(Gz(record), Alice);

        Assert.Equal("aidan.steele@glassechidna.com.au", Assert.Single(records).SessionName);
        Assert.Null(records[0].OnBehalfOfUserId);
    }

    [Fact]
    public async Task Escaped_strings_are_decoded()
    {
        var json = TrailJson.File([TrailJson.RoleSessionCall("e-\u00e9", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au", userAgent: "agent \"quoted\"")])
            .Replace("AdministratorAccess_", "Administrator\\u0041ccess_", StringComparison.Ordinal);

        var (records, _) = await ReadAsync(Encoding.UTF8.GetBytes(json), Alice);

        var r = Assert.Single(records);
        Assert.Equal("AdministratorAccess", r.PermissionSetName);
        Assert.Equal("agent \"quoted\"", r.UserAgent);
        Assert.Equal("e-\u00e9", r.EventId);
    }

    [Fact]
    public async Task Malformed_records_are_counted_and_skipped_and_a_missing_event_id_is_derived()
    {
        var good = TrailJson.RoleSessionCall("good", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        var noId = TrailJson.RoleSessionCall("x", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        noId.Remove("eventID");
        var badTime = TrailJson.RoleSessionCall("bad-time", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        badTime["eventTime"] = "yesterday";
        var identityString = TrailJson.RoleSessionCall("identity-string", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        identityString["userIdentity"] = "AssumedRole";
        var numberId = TrailJson.RoleSessionCall("n", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        numberId["eventID"] = 42;

        var (records, stats) = await ReadAsync(Gz(noId, badTime, identityString, numberId, JsonValue.Create("not a record")!, good), Alice);

        Assert.StartsWith("derived:", records[0].EventId);
        Assert.Equal(["good"], records.Skip(1).Select(r => r.EventId));
        Assert.Equal(6, stats.Records);
        Assert.Equal(4, stats.MalformedRecords);
        Assert.Equal(1, stats.DerivedEventIds);
        Assert.Equal(0, stats.DamagedFiles);
    }

    [Fact]
    public async Task A_truncated_gzip_file_keeps_the_records_before_the_damage()
    {
        var records = Enumerable.Range(0, 2000).Select(i => (JsonNode)TrailJson.RoleSessionCall($"e-{i}", T.AddSeconds(i), Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au")).ToArray();
        var whole = Gz(records);
        var truncated = whole[..(whole.Length / 2)];

        var (read, stats) = await ReadAsync(truncated, Alice, "111122223333_CloudTrail_ap-southeast-2_20260701T1000Z_abc.json.gz");

        Assert.Equal(1, stats.DamagedFiles);
        Assert.InRange(read.Count, 100, 1999);
        Assert.Equal(Enumerable.Range(0, read.Count).Select(i => $"e-{i}"), read.Select(r => r.EventId));
        Assert.Contains("111122223333_CloudTrail_ap-southeast-2_20260701T1000Z_abc.json.gz", Assert.Single(stats.Problems));
    }

    [Fact]
    public async Task Invalid_json_and_non_trail_documents_are_damaged_files_not_exceptions()
    {
        var good = TrailJson.File([TrailJson.RoleSessionCall("good", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au")]);
        var broken = good[..^2] + ",{\"eventID\": nope}]}";

        var (read, stats) = await ReadAsync(Encoding.UTF8.GetBytes(broken), Alice);
        var (_, notTrail) = await ReadAsync(Encoding.UTF8.GetBytes("{\"digestPublicKeyFingerprint\":\"abc\"}"), Alice);
        var (_, garbage) = await ReadAsync([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03], Alice);

        Assert.Equal("good", Assert.Single(read).EventId);
        Assert.Equal(1, stats.DamagedFiles);
        Assert.Equal(1, notTrail.DamagedFiles);
        Assert.Contains("no CloudTrail records found", Assert.Single(notTrail.Problems));
        Assert.Equal(1, garbage.DamagedFiles);
    }

    [Fact]
    public async Task Records_larger_than_the_buffer_and_split_across_reads_are_read_whole()
    {
        var big = TrailJson.RoleSessionCall("big", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        big["responseElements"] = new JsonObject { ["blob"] = new string('x', 600_000) };
        var records = new JsonNode[] { TrailJson.RoleSessionCall("a", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au"), big, TrailJson.RoleSessionCall("b", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au") };

        var stats = new TrailScanStats();
        var read = await TrailRecordReader.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(TrailJson.File(records)), 997), "f.json", Alice, stats);

        Assert.Equal(["a", "big", "b"], read.Select(r => r.EventId));
        Assert.Equal(0, stats.DamagedFiles + stats.MalformedRecords);
    }

    [Fact]
    public void A_lookup_events_string_parses_like_a_file_record()
    {
        var stats = new TrailScanStats();
        var json = TrailJson.RoleSessionCall("e", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au", userId: UserId).ToJsonString();

        var record = TrailRecordReader.ParseEvent(json, Alice, stats);
        var rejected = TrailRecordReader.ParseEvent(TrailJson.RoleSessionCall("o", T, Account, "Other", "x@example.com").ToJsonString(), Alice, stats);
        var malformed = TrailRecordReader.ParseEvent("{\"eventID\":", Alice, stats);
        var trailing = TrailRecordReader.ParseEvent(json + " {}", Alice, stats);

        Assert.Equal(UserId, record!.OnBehalfOfUserId);
        Assert.Null(rejected);
        Assert.Null(malformed);
        Assert.Null(trailing);
        Assert.Equal(4, stats.Records);
        Assert.Equal(2, stats.MalformedRecords);
    }

    [Fact]
    public async Task A_failing_download_is_the_callers_error_not_a_damaged_file()
    {
        var records = Enumerable.Range(0, 3000).Select(i => (JsonNode)TrailJson.RoleSessionCall($"e-{i}", T, Account, "AdministratorAccess", "aidan.steele@glassechidna.com.au")).ToArray();
        var gz = Gz(records);
        var plain = Encoding.UTF8.GetBytes(TrailJson.File(records));
        var stats = new TrailScanStats();

        await Assert.ThrowsAsync<IOException>(() => TrailRecordReader.ReadAsync(new BrokenStream(gz, gz.Length / 2), "f.json.gz", Alice, stats));
        await Assert.ThrowsAsync<IOException>(() => TrailRecordReader.ReadAsync(new BrokenStream(plain, plain.Length / 2), "f.json", Alice, stats));
        await Assert.ThrowsAsync<IOException>(() => TrailRecordReader.ReadAsync(new BrokenStream(gz, 0), "f.json.gz", Alice, stats));

        Assert.Equal(0, stats.DamagedFiles);
    }

    /// <summary>A body whose connection drops after <c>failAt</c> bytes.</summary>
    private sealed class BrokenStream(byte[] data, int failAt) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAt) throw new IOException("The response ended prematurely.");
            return base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAt - Position)], cancellationToken);
        }
    }

    /// <summary>Hands out at most a few bytes per read, as a slow network body would.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
