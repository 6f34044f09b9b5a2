using System.Text.Json;
using System.Text.Json.Nodes;
using static PimBridge.Cli.Tests.TrailFolder;

namespace PimBridge.Cli.Tests;

/// <summary><c>pimbridge scan</c> run in-process over realistic trail files, with a grants file.</summary>
public sealed class ScanCommandTests : IDisposable
{
    private readonly TrailFolder _trails = new();

    public void Dispose() => _trails.Dispose();

    private static string LineWith(string text, string eventId) =>
        text.Split('\n').Single(line => line.Contains(eventId, StringComparison.Ordinal));

    [Fact]
    public async Task Table_lists_each_alert_once_in_event_time_order_with_its_class_and_a_summary()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants());

        Assert.True(run.ExitCode == 0, run.ToString());
        var positions = ExpectedAlerts.Select(id => run.Output.IndexOf(id, StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0, run.ToString()));
        Assert.Equal(positions.Order(), positions);
        foreach (var id in ExpectedAlerts)
            Assert.Equal(1, CountOf(run.Output, id));
        foreach (var id in NotAlerts)
            Assert.DoesNotContain(id, run.Output, StringComparison.Ordinal);

        var afterFence = LineWith(run.Output, AfterFence);
        foreach (var cell in (string[])["2026-11-20T14:20:00Z", "critical", "succeeded-after-fence", User, PermissionSet, Account, "ap-southeast-2", "s3:GetObject", "20m 00s", "198.51.100.7"])
            Assert.Contains(cell, afterFence, StringComparison.Ordinal);
        Assert.Contains("succeeded-before-fence", LineWith(run.Output, AfterExpiry), StringComparison.Ordinal);
        Assert.Contains("ec2:DescribeInstances", LineWith(run.Output, AfterExpiry), StringComparison.Ordinal);
        Assert.Contains("succeeded-before-fence", LineWith(run.Output, NameInOtherCase), StringComparison.Ordinal);
        Assert.Contains("blocked", LineWith(run.Output, DeniedByFence), StringComparison.Ordinal);
        Assert.Contains("info", LineWith(run.Output, DeniedByFence), StringComparison.Ordinal);
        Assert.Contains("credentials-after-expiry", LineWith(run.Output, CredentialsMinted), StringComparison.Ordinal);
        Assert.Contains("sso:GetRoleCredentials", LineWith(run.Output, CredentialsMinted), StringComparison.Ordinal);

        Assert.Contains($"Scanned {FileCount} files (", run.Output, StringComparison.Ordinal);
        Assert.Contains("Damaged files: 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("broken.json.gz: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("Malformed records: 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("Alerts: 5 (2 critical, 2 warning, 1 info): blocked 1, succeeded-before-fence 2, succeeded-after-fence 1, credentials-after-expiry 1", run.Output, StringComparison.Ordinal);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Json_document_holds_the_alerts_with_the_documented_fields_and_the_stats()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output); // all of standard output is the document
        var alerts = document.RootElement.GetProperty("alerts").EnumerateArray().ToList();
        Assert.Equal(ExpectedAlerts, alerts.Select(a => a.GetProperty("eventId").GetString()));

        var afterFence = JsonNode.Parse(alerts[2].GetRawText())!;
        var expected = JsonNode.Parse($$"""
            {
              "class": "succeeded-after-fence",
              "severity": "critical",
              "user": "{{User}}",
              "userId": "{{UserId}}",
              "grant": "pim-alice-admin",
              "permissionSet": "Admin",
              "account": "{{Account}}",
              "region": "ap-southeast-2",
              "eventSource": "s3.amazonaws.com",
              "eventName": "GetObject",
              "eventTime": "2026-11-20T14:20:00Z",
              "expiredAt": "2026-11-20T14:00:00Z",
              "afterExpirySeconds": 1200,
              "sourceIp": "198.51.100.7",
              "userAgent": "aws-cli/2.27.49 md/awscrt#0.26.1 ua/2.1 os/linux#6.8 md/arch#x86_64",
              "errorCode": null,
              "outcome": "succeeded",
              "eventId": "{{AfterFence}}"
            }
            """);
        Assert.True(JsonNode.DeepEquals(expected, afterFence), afterFence.ToJsonString());

        var denied = alerts[3];
        Assert.Equal("blocked", denied.GetProperty("class").GetString());
        Assert.Equal("info", denied.GetProperty("severity").GetString());
        Assert.Equal("AccessDenied", denied.GetProperty("errorCode").GetString());
        Assert.Equal("blocked", denied.GetProperty("outcome").GetString());
        var minted = alerts[4];
        Assert.Equal("credentials-after-expiry", minted.GetProperty("class").GetString());
        Assert.Equal("critical", minted.GetProperty("severity").GetString());
        Assert.Equal("sso.amazonaws.com", minted.GetProperty("eventSource").GetString());
        Assert.Equal(Account, minted.GetProperty("account").GetString());

        var stats = document.RootElement.GetProperty("stats");
        Assert.Equal(1, stats.GetProperty("windows").GetInt32());
        Assert.Equal(FileCount, stats.GetProperty("files").GetInt64());
        Assert.True(stats.GetProperty("records").GetInt64() >= 12, stats.ToString());
        Assert.True(stats.GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(1, stats.GetProperty("malformedRecords").GetInt64());
        Assert.Equal(1, stats.GetProperty("damagedFiles").GetInt64());
        Assert.EndsWith("broken.json.gz", stats.GetProperty("problems")[0].GetString()!.Split(": ")[0], StringComparison.Ordinal);
        Assert.Equal(5, stats.GetProperty("alerts").GetInt32());
        Assert.Equal(5, stats.GetProperty("alertsShown").GetInt32());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"blocked":1,"succeeded-before-fence":2,"succeeded-after-fence":1,"credentials-after-expiry":1}"""),
            JsonNode.Parse(stats.GetProperty("byClass").GetRawText())));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"info":1,"warning":2,"critical":2}"""),
            JsonNode.Parse(stats.GetProperty("bySeverity").GetRawText())));
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Severity_hides_lower_alerts_but_the_stats_still_count_them()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--json", "--severity", "warning");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal([AfterExpiry, NameInOtherCase, AfterFence, CredentialsMinted],
            document.RootElement.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("eventId").GetString()));
        Assert.Equal(5, document.RootElement.GetProperty("stats").GetProperty("alerts").GetInt32());
        Assert.Equal(4, document.RootElement.GetProperty("stats").GetProperty("alertsShown").GetInt32());
    }

    [Fact]
    public async Task No_alerts_exits_0_even_with_fail_on()
    {
        var grants = _trails.WriteGrants(g =>
        {
            g["user"] = "bob@example.com";
            g.Remove("userId");
        });

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", grants, "--fail-on", "info");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("No AWS activity after PIM access ended was found.", run.Output, StringComparison.Ordinal);
        Assert.Contains("Alerts: 0 ", run.Output, StringComparison.Ordinal);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Fail_on_critical_exits_3_when_a_critical_alert_is_found()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--fail-on", "critical");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains(AfterFence, run.Output, StringComparison.Ordinal);
        Assert.Contains("Found 2 alerts at critical or above", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fail_on_compares_severities_at_or_above_the_threshold()
    {
        // Without the fence time and the user id, the same events are warnings and infos only: no fence was
        // confirmed, and GetRoleCredentials records (which name the user by id) cannot be matched.
        var grants = _trails.WriteGrants(g =>
        {
            g.Remove("fencedAt");
            g.Remove("userId");
        });

        var critical = await CliRun.RunAsync("scan", _trails.Trails, "--grants", grants, "--fail-on", "critical");
        var warning = await CliRun.RunAsync("scan", _trails.Trails, "--grants", grants, "--fail-on", "warning");

        Assert.True(critical.ExitCode == 0, critical.ToString());
        Assert.Contains("Alerts: 4 (0 critical, 3 warning, 1 info)", critical.Output, StringComparison.Ordinal);
        Assert.True(warning.ExitCode == 3, warning.ToString());
    }

    [Fact]
    public async Task A_file_given_with_its_folder_is_read_once()
    {
        var file = Directory.EnumerateFiles(_trails.Trails, "*_Qx7LmPz2Vb9Tn4Rs.json.gz", SearchOption.AllDirectories).Single();

        var both = await CliRun.RunAsync("scan", file, _trails.Trails, "--grants", _trails.WriteGrants(), "--json");
        var alone = await CliRun.RunAsync("scan", file, "--grants", _trails.WriteGrants(), "--json");

        Assert.True(both.ExitCode == 0, both.ToString());
        Assert.Equal(FileCount, JsonDocument.Parse(both.Output).RootElement.GetProperty("stats").GetProperty("files").GetInt64());
        using var single = JsonDocument.Parse(alone.Output);
        Assert.Equal(1, single.RootElement.GetProperty("stats").GetProperty("files").GetInt64());
        Assert.Equal([AfterExpiry, AfterFence, DeniedByFence], single.RootElement.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("eventId").GetString()));
    }

    [Fact]
    public async Task A_missing_path_exits_2_with_one_line_saying_which()
    {
        var missing = Path.Combine(_trails.Root, "no-such-folder");

        var run = await CliRun.RunAsync("scan", _trails.Trails, missing, "--grants", _trails.WriteGrants());

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains($"'{missing}' does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_re_grant_in_the_grants_file_explains_the_credentials_minted_after_it()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(g => g["regrantedAt"] = TrailJson.Iso(End.AddMinutes(28))), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var ids = document.RootElement.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("eventId").GetString()).ToList();
        Assert.DoesNotContain(CredentialsMinted, ids);   // minted at End+30, after the re-grant
        Assert.Contains(AfterFence, ids);                 // End+20, before it
        Assert.Contains(DeniedByFence, ids);              // End+25, a session issued before the end
    }

    [Fact]
    public async Task Verbose_adds_the_stack_trace()
    {
        var run = await CliRun.RunAsync("scan", Path.Combine(_trails.Root, "no-such-folder"), "--grants", _trails.WriteGrants(), "--verbose");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("   at ", run.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string, string[]> InvalidGrants => new()
    {
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z"}, {"permissionSet": "Admin", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z"}]""", ["entry [1]", "field \"user\"", "is missing"] },
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": ["111122223333", "1111-2222"], "end": "2026-11-20T14:00:00Z"}]""", ["entry [0] (alice@example.com)", "field \"accounts[1]\"", "\"1111-2222\" is not a 12-digit AWS account id"] },
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": [111122223333], "end": "2026-11-20T14:00:00Z"}]""", ["entry [0]", "field \"accounts[0]\"", "quoted strings"] },
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": ["111122223333"], "end": "2026-11-20 14:00"}]""", ["entry [0]", "field \"end\"", "ISO 8601"] },
        { """[{"user": "alice@example.com", "permissionSet": "", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z"}]""", ["entry [0]", "field \"permissionSet\"", "is empty"] },
        { """[{"user": "alice@example.com", "permissionSets": [], "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z"}]""", ["entry [0]", "field \"permissionSets\"", "is empty"] },
        { """[{"user": "alice@example.com", "permissionSet": "AWSReservedSSO_Admin_7243976e43c75fc5", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z"}]""", ["entry [0]", "is a role name", "\"Admin\""] },
        { """[{"user": "alice@example.com", "PermissionSet": "Admin", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z"}]""", ["entry [0]", "field \"PermissionSet\"", "write \"permissionSet\""] },
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z", "fencedAt": "2026-11-20T13:00:00Z"}]""", ["entry [0]", "field \"fencedAt\"", "before \"end\""] },
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": ["111122223333"], "end": "2026-11-20T14:00:00Z", "regrantedAt": "2026-11-20T14:00:00Z"}]""", ["entry [0]", "field \"regrantedAt\"", "not after \"end\""] },
        { """[{"user": "alice@example.com", "permissionSet": "Admin", "accounts": ["111122223333"] "end": "2026-11-20T14:00:00Z"}]""", ["is not valid JSON at line 1"] },
        { """{"user": "alice@example.com"}""", ["must hold a JSON array"] },
        { "[]", ["lists no grants"] },
    };

    [Theory]
    [MemberData(nameof(InvalidGrants))]
    public async Task An_invalid_grants_file_exits_2_naming_the_entry_and_field(string grants, string[] expected)
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrantsText(grants));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("error: The grants file '", line, StringComparison.Ordinal);
        foreach (var text in expected)
            Assert.Contains(text, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grants_file_that_does_not_exist_exits_2()
    {
        var missing = Path.Combine(_trails.Root, "grants-missing.json");

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", missing);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"The grants file '{missing}' does not exist", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grants_and_store_together_exit_2()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--store", Path.Combine(_trails.Root, "state.db"));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.Contains("--grants and --store cannot be used together", line, StringComparison.Ordinal);
        Assert.Contains("Run 'pimbridge scan --help' for usage.", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "scan", "{trails}" }, "--grants FILE")]
    [InlineData(new[] { "scan", "--grants", "{grants}" }, "Required argument 'path' missing")]
    [InlineData(new[] { "scan", "{trails}", "--grants", "{grants}", "--fail-on", "severe" }, "severe")]
    [InlineData(new[] { "scan", "{trails}", "--grants", "{grants}", "--delivery-lag", "soon" }, "--delivery-lag 'soon' is not a duration")]
    [InlineData(new[] { "scan", "{trails}", "--grants", "{grants}", "--since", "last tuesday" }, "--since 'last tuesday'")]
    [InlineData(new[] { "sacn" }, "sacn")]
    public async Task Usage_errors_exit_2(string[] args, string message)
    {
        var grants = _trails.WriteGrants();
        var run = await CliRun.RunAsync(args.Select(a => a.Replace("{trails}", _trails.Trails, StringComparison.Ordinal).Replace("{grants}", grants, StringComparison.Ordinal)).ToArray());

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Since_after_every_window_reads_nothing_and_says_so()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--since", "2026-11-21T12:00:00Z", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("No grant windows to check", run.Error, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(run.Output);
        Assert.Empty(document.RootElement.GetProperty("alerts").EnumerateArray());
        Assert.Equal(0, document.RootElement.GetProperty("stats").GetProperty("files").GetInt64());
    }

    [Fact]
    public async Task No_arguments_prints_the_commands()
    {
        var run = await CliRun.RunAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("scan", run.Output, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
