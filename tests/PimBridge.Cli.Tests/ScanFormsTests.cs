using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static PimBridge.Cli.Tests.TrailFolder;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>pimbridge scan</c> over the exports a security team holds instead of a trail bucket: the same events in
/// lookup-events output, JSON Lines with SIEM times and no event ids, and EventBridge events, give the same alerts.
/// </summary>
public sealed class ScanFormsTests : IDisposable
{
    private readonly TrailFolder _folder = new();
    private readonly string _exports;

    public ScanFormsTests() => _exports = Directory.CreateDirectory(Path.Combine(_folder.Root, "exports")).FullName;

    public void Dispose() => _folder.Dispose();

    private static JsonObject[] Events() =>
    [
        TrailJson.RoleSessionCall(AfterExpiry, End.AddMinutes(5), Account, PermissionSet, User, UserId),
        TrailJson.RoleSessionCall(OtherPrincipal, End.AddMinutes(5), Account, PermissionSet, "bob@example.com"),
        TrailJson.AssumeRoleWithSaml(CredentialsMinted, End.AddMinutes(30), Account, PermissionSet, User),
    ];

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_exports, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Theory]
    [InlineData("lookup-events.json")]
    [InlineData("cloudwatch-export.jsonl")]
    [InlineData("eventbridge.ndjson.gz")]
    public async Task Each_export_gives_the_alerts_a_trail_file_would(string name)
    {
        var text = name switch
        {
            "lookup-events.json" => TrailJson.LookupEventsOutput(Events()),
            "cloudwatch-export.jsonl" => TrailJson.JsonLines(Events()),
            _ => TrailJson.JsonLines(Events().Select(TrailJson.EventBridgeEvent)),
        };
        Write(name, name.EndsWith(".gz", StringComparison.Ordinal) ? TrailJson.Gzip(text) : Encoding.UTF8.GetBytes(text));

        var run = await CliRun.RunAsync("scan", _exports, "--grants", _folder.WriteGrants(), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var alerts = document.RootElement.GetProperty("alerts").EnumerateArray().ToList();
        Assert.Equal([AfterExpiry, CredentialsMinted], alerts.Select(a => a.GetProperty("eventId").GetString()));
        Assert.Equal("credentials-after-expiry", alerts[1].GetProperty("class").GetString());
        Assert.Equal("sts", alerts[1].GetProperty("eventSource").GetString()!.Split('.')[0]);
        Assert.Equal(0, document.RootElement.GetProperty("stats").GetProperty("damagedFiles").GetInt64());
    }

    [Fact]
    public async Task A_siem_export_without_event_ids_and_with_its_own_times_is_read_and_counted()
    {
        var records = Events();
        foreach (var record in records)
        {
            record.Remove("eventID");
            record["eventTime"] = record["eventTime"]!.GetValue<string>().Replace('T', ' ').Replace("Z", ".000000000", StringComparison.Ordinal);
        }

        Write("siem.jsonl", Encoding.UTF8.GetBytes(TrailJson.JsonLines(records) + "not json at all\n"));

        var table = await CliRun.RunAsync("scan", _exports, "--grants", _folder.WriteGrants());
        var json = await CliRun.RunAsync("scan", _exports, "--grants", _folder.WriteGrants(), "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("Alerts: 2 (1 critical, 1 warning, 0 info)", table.Output, StringComparison.Ordinal);
        Assert.Contains("Event times normalised (read as UTC): 2", table.Output, StringComparison.Ordinal);
        Assert.Contains("Event ids derived from content: 2", table.Output, StringComparison.Ordinal);
        Assert.Contains("siem.jsonl: line 4 is not valid JSON", table.Output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        var stats = document.RootElement.GetProperty("stats");
        Assert.Equal(2, stats.GetProperty("normalisedTimes").GetInt64());
        Assert.Equal(2, stats.GetProperty("derivedEventIds").GetInt64());
        Assert.Equal(1, stats.GetProperty("malformedRecords").GetInt64());
        Assert.All(document.RootElement.GetProperty("alerts").EnumerateArray(), a => Assert.StartsWith("derived:", a.GetProperty("eventId").GetString()));
    }

    [Fact]
    public async Task A_file_in_no_form_we_read_is_damaged_and_the_summary_says_which_forms_are_read()
    {
        var path = Write("report.json", Encoding.UTF8.GetBytes("{\"findings\": []}"));

        var run = await CliRun.RunAsync("scan", path, "--grants", _folder.WriteGrants());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Damaged files: 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("report.json: no CloudTrail records found: expected a CloudTrail trail file", run.Output, StringComparison.Ordinal);
    }
}
