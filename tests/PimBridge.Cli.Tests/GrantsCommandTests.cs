using System.Text.Json;
using static PimBridge.Cli.Tests.PreparedStore;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Cli.Tests;

/// <summary><c>pimbridge grants</c> over a state file the engine wrote.</summary>
public sealed class GrantsCommandTests : PreparedStoreTests
{
    [Fact]
    public async Task The_table_lists_every_grant_with_how_it_ended()
    {
        var run = await RunAsync("grants");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        var rows = Rows(run.Output);
        Assert.Equal(Prepared.Grants.Select(g => g.Id), rows.Select(r => Cells(r)[0]));
        Assert.Equal(4, rows.Count);
        Assert.Equal(
            [Prepared.Grants[0].Id, Alice, "ops-admin", OpsGroup, "member", "ended", "2026-11-21T20:00:00Z", "2026-11-21T21:00:00Z",
             "2026-11-21T21:00:00Z (expired)", "2026-11-21T20:00:09Z", "4s"], // seen at :05, access confirmed at :09
            Cells(rows[0]));
        var revoked = Assert.Single(rows, r => r.Contains(Bob, StringComparison.Ordinal));
        Assert.Equal($"2026-11-22T06:10:00Z (revoked: {RevokeReason})", Cells(revoked)[8]);
        Assert.Equal(["ended", "ended", "active", "active"], rows.Select(r => Cells(r)[5]));
        Assert.Contains("4 grants: 2 active, 2 ended.", run.Output);
    }

    [Fact]
    public async Task Active_and_user_narrow_the_listing()
    {
        var run = await RunAsync("grants", "--active", "--user", "ALICE@example.com");

        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = Rows(run.Output);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Contains(Alice, r));
        Assert.Contains(rows, r => r.Contains("platform", StringComparison.Ordinal) && r.Contains(PlatformGroup, StringComparison.Ordinal));
        Assert.Contains("2 grants: 2 active, 0 ended.", run.Output);
    }

    [Fact]
    public async Task Json_has_the_documented_fields_for_each_grant()
    {
        var run = await RunAsync("grants", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var grants = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(Prepared.Grants.Select(g => g.Id), grants.Select(g => g.GetProperty("id").GetString()));
        string[] fields =
        [
            "id", "user", "userId", "principal", "principalId", "mapping", "group", "access", "state", "start", "end", "endedAt",
            "endReason", "activationId", "firstSeenAt", "accessConfirmedAt", "processingSeconds",
        ];
        Assert.All(grants, g => Assert.Equal(fields, g.EnumerateObject().Select(p => p.Name)));

        var expired = grants[0];
        Assert.Equal(Alice, expired.GetProperty("user").GetString());
        Assert.Equal("u-alice", expired.GetProperty("userId").GetString());
        Assert.Equal("alice-entra@contoso.com", expired.GetProperty("principal").GetString());
        Assert.Equal("alice-entra", expired.GetProperty("principalId").GetString());
        Assert.Equal("ops-admin", expired.GetProperty("mapping").GetString());
        Assert.Equal(OpsGroup, expired.GetProperty("group").GetString());
        Assert.Equal("member", expired.GetProperty("access").GetString());
        Assert.Equal("ended", expired.GetProperty("state").GetString());
        Assert.Equal("2026-11-21T20:00:00Z", expired.GetProperty("start").GetString());
        Assert.Equal("2026-11-21T21:00:00Z", expired.GetProperty("end").GetString());
        Assert.Equal("2026-11-21T21:00:00Z", expired.GetProperty("endedAt").GetString());
        Assert.Equal("expired", expired.GetProperty("endReason").GetString());
        Assert.Equal("2026-11-21T20:00:05Z", expired.GetProperty("firstSeenAt").GetString());
        Assert.Equal("2026-11-21T20:00:09Z", expired.GetProperty("accessConfirmedAt").GetString());
        Assert.Equal(4.0, expired.GetProperty("processingSeconds").GetDouble());

        var revoked = grants.Single(g => g.GetProperty("user").GetString() == Bob);
        Assert.Equal($"revoked: {RevokeReason}", revoked.GetProperty("endReason").GetString());
        Assert.Equal("2026-11-22T07:00:00Z", revoked.GetProperty("end").GetString()); // PIM's end, not the revocation
        Assert.Equal("2026-11-22T06:10:00Z", revoked.GetProperty("endedAt").GetString());

        var active = grants.Where(g => g.GetProperty("state").GetString() == "active").ToList();
        Assert.Equal(2, active.Count);
        Assert.All(active, g => Assert.Equal(JsonValueKind.Null, g.GetProperty("endedAt").ValueKind));
        Assert.All(active, g => Assert.Equal(JsonValueKind.Null, g.GetProperty("endReason").ValueKind));
    }

    [Fact]
    public async Task An_empty_result_is_a_friendly_line_or_an_empty_array()
    {
        var table = await RunAsync("grants", "--user", "nobody@example.com");
        var json = await RunAsync("grants", "--user", "nobody@example.com", "--active", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal("No grants of nobody@example.com.", table.Output.Trim());
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("[]", json.Output.Trim());
    }

    [Fact]
    public async Task A_state_file_that_does_not_exist_exits_2_with_one_line_and_is_not_created()
    {
        var missing = Path.Combine(Prepared.Root, "missing.db");

        var run = await CliRun.RunAsync("grants", "--store", missing);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.StartsWith($"error: No PimBridge state file at '{missing}' yet.", ErrorLine(run));
        Assert.Contains($"`pimbridge reconcile --store {missing}` creates it", ErrorLine(run));
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task Two_stores_at_once_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("grants", "--store", Prepared.StatePath, "--dynamodb-table", "pimbridge");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--store and --dynamodb-table cannot be used together", ErrorLine(run));
    }
}
