using System.Text.Json;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using static PimBridge.Cli.Tests.PreparedStore;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Cli.Tests;

/// <summary><c>pimbridge fences</c> over a state file the engine wrote: alice's lifted fence and bob's active one.</summary>
public sealed class FencesCommandTests : PreparedStoreTests
{
    [Fact]
    public async Task The_table_shows_each_fence_and_whether_it_is_lifted()
    {
        var run = await RunAsync("fences");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        var rows = Rows(run.Output);
        Assert.Equal(
            [Prepared.Fences[0].Id, Alice, "Admin", $"{Prod}, {Staging}", "2026-11-21T22:00:00Z", "2026-11-22T02:15:00Z", "lifted", "2026-11-21T21:00:00Z", "2026-11-22T02:15:00Z"],
            Cells(rows[0]));
        Assert.Equal(
            [Prepared.Fences[1].Id, Bob, "Admin", Prod, "2026-11-22T07:10:00Z", "2026-11-22T11:25:00Z", "active", "2026-11-22T06:10:00Z", ""],
            Cells(rows[1]));
        Assert.Contains("2 fences: 1 open, 1 lifted.", run.Output);
    }

    [Fact]
    public async Task Open_lists_only_fences_not_yet_lifted()
    {
        var run = await RunAsync("fences", "--open", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var fence = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal(Bob, fence.GetProperty("user").GetString());
        Assert.Equal("active", fence.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Json_has_the_documented_fields_for_each_fence()
    {
        var run = await RunAsync("fences", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var fences = document.RootElement.EnumerateArray().ToList();
        string[] fields = ["id", "user", "userId", "permissionSet", "permissionSetArn", "accounts", "cutoff", "until", "state", "createdAt", "activeSince", "liftedAt"];
        Assert.All(fences, f => Assert.Equal(fields, f.EnumerateObject().Select(p => p.Name)));

        var lifted = fences[0];
        Assert.Equal(Prepared.Fences[0].Id, lifted.GetProperty("id").GetString());
        Assert.Equal(Alice, lifted.GetProperty("user").GetString());
        Assert.Equal("u-alice", lifted.GetProperty("userId").GetString());
        Assert.Equal("Admin", lifted.GetProperty("permissionSet").GetString());
        Assert.Equal(Admin, lifted.GetProperty("permissionSetArn").GetString());
        Assert.Equal([Prod, Staging], lifted.GetProperty("accounts").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("2026-11-21T22:00:00Z", lifted.GetProperty("cutoff").GetString());
        Assert.Equal("2026-11-22T02:15:00Z", lifted.GetProperty("until").GetString());
        Assert.Equal("lifted", lifted.GetProperty("state").GetString());
        Assert.Equal("2026-11-21T21:00:00Z", lifted.GetProperty("createdAt").GetString());
        Assert.Equal("2026-11-21T21:00:00Z", lifted.GetProperty("activeSince").GetString());
        Assert.Equal("2026-11-22T02:15:00Z", lifted.GetProperty("liftedAt").GetString());
        Assert.Equal(JsonValueKind.Null, fences[1].GetProperty("liftedAt").ValueKind);
    }

    [Fact]
    public async Task A_fence_recorded_without_its_permission_set_name_shows_the_ARN()
    {
        var store = await SqliteStateStore.OpenAsync(Prepared.StatePath);
        await using (store)
        {
            var change = new StateChange();
            change.Fences.Add(new SessionFence
            {
                Id = "f-old-build",
                UserId = "u-erin",
                UserName = "erin@example.com",
                PermissionSetArn = ReadOnly,
                Accounts = [Prod],
                Cutoff = CliRun.Now,
                Until = CliRun.Now.AddHours(2),
                CreatedAt = CliRun.Now,
            });
            await store.CommitAsync(change);
        }

        var table = await RunAsync("fences", "--open");
        var json = await RunAsync("fences", "--open", "--json");

        var row = Cells(Assert.Single(Rows(table.Output), r => r.Contains("f-old-build", StringComparison.Ordinal)));
        Assert.Equal(ReadOnly, row[2]);
        Assert.Equal("pending", row[6]);
        using var document = JsonDocument.Parse(json.Output);
        var fence = document.RootElement.EnumerateArray().Single(f => f.GetProperty("id").GetString() == "f-old-build");
        Assert.Equal(JsonValueKind.Null, fence.GetProperty("permissionSet").ValueKind);
        Assert.Equal(JsonValueKind.Null, fence.GetProperty("activeSince").ValueKind);
    }

    [Fact]
    public async Task An_empty_store_prints_a_friendly_line_or_an_empty_array()
    {
        var empty = await Prepared.CreateEmptyAsync();

        var table = await CliRun.RunAsync("fences", "--store", empty, "--open");
        var json = await CliRun.RunAsync("fences", "--store", empty, "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal("No open session fences.", table.Output.Trim());
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("[]", json.Output.Trim());
    }
}
