using System.Text.Json;
using static PimBridge.Cli.Tests.PreparedStore;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>pimbridge alerts</c> over a state file with one alert of each severity raised in the last day (a critical gap
/// alert, bob's blocked call, carol's unmapped user) and an info alert four days old. The CLI's clock reads
/// <see cref="CliRun.Now"/>.
/// </summary>
public sealed class AlertsCommandTests : PreparedStoreTests
{
    [Fact]
    public async Task The_table_lists_every_alert_oldest_first()
    {
        var run = await RunAsync("alerts");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        var rows = Rows(run.Output).Select(Cells).ToList();
        Assert.Equal(
            [
                ["2026-11-18T10:05:00Z", "info", "gap.blocked", "dave@example.com"],
                ["2026-11-21T23:20:00Z", "critical", "gap.succeeded-after-fence", Alice],
                ["2026-11-22T06:45:00Z", "info", "gap.blocked", Bob],
                ["2026-11-22T08:00:00Z", "warning", "unmapped-user", "carol-entra@contoso.com"],
            ],
            rows.Select(r => r[..4]));
        Assert.StartsWith("alice@example.com's Admin session in 111111111111 called s3:GetObject 2h 10m after PIM access ended", rows[1][4]);
        Assert.Contains("4 alerts: 1 critical, 1 warning, 2 info.", run.Output);
    }

    [Theory]
    [InlineData("24h", 3)]
    [InlineData("7d", 4)]
    [InlineData("2026-11-22T00:00:00Z", 2)]
    [InlineData("2026-11-22T08:00:00+00:00", 1)] // at or after
    public async Task Since_takes_an_age_or_a_time(string since, int expected)
    {
        var run = await RunAsync("alerts", "--since", since, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal(expected, document.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Severity_is_the_lowest_shown()
    {
        var run = await RunAsync("alerts", "--severity", "WARNING");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["critical", "warning"], Rows(run.Output).Select(r => Cells(r)[1]));
        Assert.Contains("2 alerts: 1 critical, 1 warning, 0 info.", run.Output);
    }

    [Theory]
    [InlineData("gap.*", 3)]
    [InlineData("GAP.BLOCKED", 2)]
    [InlineData("unmapped-user", 1)]
    [InlineData("gap", 0)]
    public async Task Kind_matches_a_kind_or_a_family(string kind, int expected)
    {
        var run = await RunAsync("alerts", "--kind", kind, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal(expected, document.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Json_has_the_documented_fields_and_the_facts()
    {
        var run = await RunAsync("alerts", "--json", "--since", "24h");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var alerts = document.RootElement.EnumerateArray().ToList();
        Assert.All(alerts, a => Assert.Equal(["id", "at", "severity", "kind", "subject", "message", "facts"], a.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(Prepared.Alerts.Skip(1).Select(a => a.Id), alerts.Select(a => a.GetProperty("id").GetString()));

        var critical = alerts[0];
        Assert.Equal($"gap|{CriticalEvent}", critical.GetProperty("id").GetString());
        Assert.Equal("2026-11-21T23:20:00Z", critical.GetProperty("at").GetString());
        Assert.Equal("critical", critical.GetProperty("severity").GetString());
        Assert.Equal("gap.succeeded-after-fence", critical.GetProperty("kind").GetString());
        Assert.Equal(Alice, critical.GetProperty("subject").GetString());
        var facts = critical.GetProperty("facts");
        Assert.Equal("succeeded-after-fence", facts.GetProperty("class").GetString());
        Assert.Equal(CriticalEvent, facts.GetProperty("eventId").GetString());
        Assert.Equal(Prepared.Fences[0].Id, facts.GetProperty("fence").GetString());
        Assert.Equal("aws-cli/2.27.49 Python/3.13.4 \"quoted\", with a comma", facts.GetProperty("userAgent").GetString());

        var unmapped = alerts[2];
        Assert.Equal("warning", unmapped.GetProperty("severity").GetString());
        Assert.Equal("carol-entra", unmapped.GetProperty("facts").GetProperty("principal").GetString());
        Assert.Equal("ops-admin", unmapped.GetProperty("facts").GetProperty("mapping").GetString());
    }

    [Fact]
    public async Task Nothing_left_after_the_filters_is_a_friendly_line_or_an_empty_array()
    {
        var table = await RunAsync("alerts", "--since", "30m", "--severity", "critical", "--kind", "gap.*");
        var json = await RunAsync("alerts", "--since", "30m", "--severity", "critical", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal("No alerts since 2026-11-22T08:30:00Z, at critical or above, of kind gap.*.", table.Output.Trim());
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("[]", json.Output.Trim());
    }

    [Fact]
    public async Task An_unknown_severity_exits_2_with_one_line()
    {
        var run = await RunAsync("alerts", "--severity", "high");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal("error: --severity 'high' is not a severity; use info, warning or critical. Run 'pimbridge alerts --help' for usage.", ErrorLine(run));
    }

    [Fact]
    public async Task A_since_that_is_neither_a_time_nor_an_age_exits_2_with_one_line()
    {
        var run = await RunAsync("alerts", "--since", "yesterday");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal("error: --since 'yesterday' is neither a time nor an age; give one like 2026-11-20T14:00:00Z or 7d.", ErrorLine(run));
    }

    [Fact]
    public async Task A_missing_state_file_exits_2_with_one_line()
    {
        var missing = Path.Combine(Prepared.Root, "nope", "pimbridge.db");

        var run = await CliRun.RunAsync("alerts", "--store", missing, "--json");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.StartsWith($"error: No PimBridge state file at '{missing}' yet.", ErrorLine(run));
    }
}
