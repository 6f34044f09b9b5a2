using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Gaps;

namespace PimBridge.Core.Tests.Gaps;

/// <summary>
/// The forms in which security teams hold CloudTrail, told apart by content (never by file name), gzip or plain:
/// trail files, <c>aws cloudtrail lookup-events</c> output, JSON Lines, EventBridge events, and SIEM-normalised times.
/// </summary>
public sealed class TrailFormTests
{
    private static readonly DateTimeOffset T = new(2026, 7, 1, 10, 0, 0, TimeSpan.Zero);
    private const string Account = "950363612855";
    private const string UserId = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    private const string User = "aidan.steele@glassechidna.com.au";

    private static readonly TrailRecordFilter Alice = new(["AdministratorAccess"], [User], [UserId]);

    private static JsonObject[] Sample() =>
    [
        TrailJson.RoleSessionCall("a-1", T, Account, "AdministratorAccess", User, userId: UserId),
        TrailJson.RoleSessionCall("bob-1", T, Account, "AdministratorAccess", "bob@example.com"),
        TrailJson.GetRoleCredentials("a-2", T.AddMinutes(1), UserId, Account, "AdministratorAccess"),
        TrailJson.AssumeRoleWithSaml("a-3", T.AddMinutes(2), Account, "AdministratorAccess", User),
    ];

    private static async Task<(IReadOnlyList<TrailRecord> Records, TrailScanStats Stats)> ReadAsync(byte[] content)
    {
        var stats = new TrailScanStats();
        var records = await TrailRecordReader.ReadAsync(new MemoryStream(content), "export", Alice, stats);
        return (records, stats);
    }

    public static TheoryData<string, bool> Forms() => new()
    {
        { "trail", false }, { "trail", true },
        { "lookup-events", false }, { "lookup-events", true },
        { "json-lines", false }, { "json-lines", true },
        { "cloudwatch-export", false }, { "cloudwatch-export", true },
        { "athena-lines", false },
        { "eventbridge-lines", false }, { "eventbridge-lines", true },
        { "eventbridge-array", false },
        { "record-array", false },
    };

    private static string Write(string form, IEnumerable<JsonObject> records) => form switch
    {
        "trail" => TrailJson.File(records),
        "lookup-events" => TrailJson.LookupEventsOutput(records),
        "json-lines" => TrailJson.JsonLines(records),
        // A CloudWatch Logs export to S3: "<timestamp> <message>" per line.
        "cloudwatch-export" => string.Concat(records.Select(r => $"{r["eventTime"]!.GetValue<string>()[..19]}.000Z {r.ToJsonString()}\n")),
        "eventbridge-lines" => TrailJson.JsonLines(records.Select(TrailJson.EventBridgeEvent)),
        "athena-lines" => TrailJson.JsonLines(records.Select(Athena)),
        "eventbridge-array" => new JsonArray(records.Select(r => (JsonNode?)TrailJson.EventBridgeEvent(r)).ToArray()).ToJsonString(),
        "record-array" => new JsonArray(records.Select(r => (JsonNode?)r.DeepClone()).ToArray()).ToJsonString(),
        _ => throw new ArgumentOutOfRangeException(nameof(form)),
    };

    /// <summary>
    /// A record as Athena's CloudTrail table gives it back (UNLOAD to JSON, or a query result exported as JSON Lines):
    /// lower-case names, and the request and response as JSON strings.
    /// </summary>
    private static JsonObject Athena(JsonObject record)
    {
        static JsonNode? Lower(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key.ToLowerInvariant(), Lower(p.Value)))),
            JsonArray a => new JsonArray(a.Select(Lower).ToArray()),
            _ => node?.DeepClone(),
        };

        var athena = (JsonObject)Lower(record)!;
        foreach (var text in (string[])["requestparameters", "responseelements"])
            if (athena[text] is JsonObject value) athena[text] = value.ToJsonString();
        return athena;
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Every_form_gives_the_same_records(string form, bool gzip)
    {
        var text = Write(form, Sample());
        var (records, stats) = await ReadAsync(gzip ? TrailJson.Gzip(text) : Encoding.UTF8.GetBytes(text));

        Assert.Equal(["a-1", "a-2", "a-3"], records.Select(r => r.EventId));
        Assert.Equal(4, stats.Records);
        Assert.Equal(0, stats.MalformedRecords + stats.DamagedFiles);
        Assert.Equal(T, records[0].EventTime);
        Assert.Equal(UserId, records[0].OnBehalfOfUserId);
        Assert.Equal("AdministratorAccess", records[1].TargetRoleName);
        Assert.Equal("AdministratorAccess", records[2].PermissionSetName);
    }

    [Theory]
    [InlineData("trail")]
    [InlineData("lookup-events")]
    [InlineData("json-lines")]
    [InlineData("cloudwatch-export")]
    [InlineData("eventbridge-lines")]
    public async Task A_damaged_file_of_each_form_keeps_what_came_before_and_says_what_is_wrong(string form)
    {
        var text = Write(form, Sample());
        var cut = Encoding.UTF8.GetBytes(text)[..(text.Length * 2 / 3)];

        var (plain, plainStats) = await ReadAsync(cut);
        var (gzip, gzipStats) = await ReadAsync(TrailJson.Gzip(text)[..^20]);

        Assert.Equal(["a-1"], plain.Select(r => r.EventId).Take(1));
        Assert.Equal(1, plainStats.DamagedFiles);
        Assert.Contains("export: ", Assert.Single(plainStats.Problems));
        Assert.Equal(1, gzipStats.DamagedFiles);
        Assert.NotEmpty(gzip);
    }

    [Fact]
    public async Task A_bad_line_in_json_lines_is_a_malformed_record_and_the_lines_after_it_are_read()
    {
        var records = Sample();
        var text = records[0].ToJsonString() + "\n{\"eventID\": \"broken\", \"eventTime\": \n" + string.Concat(records[2..].Select(r => r.ToJsonString() + "\n"));

        var (read, stats) = await ReadAsync(Encoding.UTF8.GetBytes(text));

        Assert.Equal(["a-1", "a-2", "a-3"], read.Select(r => r.EventId));
        Assert.Equal(1, stats.MalformedRecords);
        Assert.Equal(0, stats.DamagedFiles);
        Assert.Contains("line 2", Assert.Single(stats.Problems));
    }

    [Fact]
    public async Task A_lookup_event_whose_cloud_trail_event_is_not_a_record_is_malformed()
    {
        var text = TrailJson.LookupEventsOutput(Sample()[..1]);
        var damaged = JsonNode.Parse(text)!;
        damaged["Events"]!.AsArray().Add(new JsonObject { ["EventId"] = "x", ["CloudTrailEvent"] = "{\"eventID\": \"x\", " });
        damaged["Events"]!.AsArray().Add(new JsonObject { ["EventId"] = "y" });

        var (read, stats) = await ReadAsync(Encoding.UTF8.GetBytes(damaged.ToJsonString()));

        Assert.Equal(["a-1"], read.Select(r => r.EventId));
        Assert.Equal(2, stats.MalformedRecords);
        Assert.Equal(0, stats.DamagedFiles);
    }

    [Theory]
    [InlineData("2026-07-01 10:00:00.000000000", 0)]
    [InlineData("2026-07-01 10:00:00.123456789", 1234567)]
    [InlineData("2026-07-01 10:00:00", 0)]
    [InlineData("2026-07-01T10:00:00.000Z", 0)]
    [InlineData("2026-07-01T12:00:00+02:00", 0)]
    public async Task Siem_normalised_event_times_are_read_as_utc_and_counted(string time, long ticks)
    {
        var record = TrailJson.RoleSessionCall("a-1", T, Account, "AdministratorAccess", User);
        record["eventTime"] = time;
        record["userIdentity"]!["sessionContext"]!["attributes"]!["creationDate"] = "2026-07-01 09:40:00.000000000";

        var (read, stats) = await ReadAsync(Encoding.UTF8.GetBytes(TrailJson.JsonLines([record])));

        var r = Assert.Single(read);
        Assert.Equal(T.AddTicks(ticks), r.EventTime); // nine digits: .NET keeps seven
        Assert.Equal(T.AddMinutes(-20), r.SessionCreatedAt);
        Assert.Equal(time.Contains('T', StringComparison.Ordinal) && time.EndsWith('Z') ? 0 : 1, stats.NormalisedTimes);
    }

    [Theory]
    [InlineData("eventTime,eventName\n2026-07-01T10:00:00Z,ListBuckets\n", "not JSON")]
    [InlineData("{\"results\": [1, 2, 3]}", "no CloudTrail records")]
    [InlineData("", "empty")]
    [InlineData("[\"a\", \"b\"]", "no CloudTrail records")]
    public async Task Anything_else_is_a_damaged_file_that_says_which_forms_are_read(string content, string says)
    {
        var (read, stats) = await ReadAsync(Encoding.UTF8.GetBytes(content));

        Assert.Empty(read);
        Assert.Equal(1, stats.DamagedFiles);
        var problem = Assert.Single(stats.Problems);
        Assert.Contains(says, problem, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("lookup-events", problem, StringComparison.Ordinal);
    }
}
