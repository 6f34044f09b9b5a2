using System.Text.Json;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using static PimBridge.Cli.Tests.TrailFolder;

namespace PimBridge.Cli.Tests;

/// <summary><c>scan --store</c>: the windows come from a PimBridge state file's ended grants and their session fences.</summary>
public sealed class ScanStoreTests : IDisposable
{
    private const string PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-6804a1b2c3d4e5f6/ps-0a1b2c3d4e5f6a7b";

    private readonly TrailFolder _trails = new();

    public void Dispose() => _trails.Dispose();

    private string StatePath => Path.Combine(_trails.Root, "state", "pimbridge.db");

    /// <summary>Alice's Admin grant, ended at <see cref="End"/>; its removal planned a fence at <see cref="RemovedAt"/>, confirmed at <see cref="FencedAt"/>.</summary>
    private async Task WriteStateAsync(string? permissionSetName)
    {
        var store = await SqliteStateStore.OpenAsync(StatePath);
        await using (store)
        {
            var change = new StateChange();
            change.Grants.Add(new Grant
            {
                Id = "grant-alice-admin",
                Mapping = "aws-admins",
                Principal = new EntraPrincipal("6f1d2c3b-4a59-4e8f-9d7c-1b2a3c4d5e6f", User, User),
                GroupId = "0c9a8b7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
                Access = PimAccess.Member,
                User = new IdentityCenterUser(UserId, User),
                ActivationId = "activation-1",
                Start = End.AddHours(-4),
                End = End,
                EntitlementKeys = [$"aa|{UserId}|{Account}|{PermissionSetArn}"],
                State = GrantState.Ended,
                EndedAt = End,
                EndReason = EndReasons.Expired,
            });
            change.Fences.Add(new SessionFence
            {
                Id = "fence-alice-admin",
                UserId = UserId,
                UserName = User,
                PermissionSetArn = PermissionSetArn,
                PermissionSetName = permissionSetName,
                Accounts = [Account],
                Cutoff = RemovedAt,
                Until = RemovedAt.AddHours(12),
                State = FenceState.Active,
                CreatedAt = RemovedAt,
                ActiveSince = FencedAt,
            });
            await store.CommitAsync(change);
        }
    }

    [Fact]
    public async Task Scans_the_ended_grants_of_a_state_file()
    {
        await WriteStateAsync(permissionSetName: PermissionSet);

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--store", StatePath, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var alerts = document.RootElement.GetProperty("alerts").EnumerateArray().ToList();
        Assert.Equal(ExpectedAlerts, alerts.Select(a => a.GetProperty("eventId").GetString()));
        var afterFence = alerts.Single(a => a.GetProperty("eventId").GetString() == AfterFence);
        Assert.Equal("succeeded-after-fence", afterFence.GetProperty("class").GetString());
        Assert.Equal("critical", afterFence.GetProperty("severity").GetString());
        Assert.Equal("grant-alice-admin", afterFence.GetProperty("grant").GetString());
        Assert.Equal(UserId, afterFence.GetProperty("userId").GetString());
        Assert.Equal("2026-11-20T14:00:00Z", afterFence.GetProperty("expiredAt").GetString());
        Assert.Equal(1, document.RootElement.GetProperty("stats").GetProperty("windows").GetInt32());
    }

    [Fact]
    public async Task Since_after_the_window_closed_finds_nothing_to_scan()
    {
        await WriteStateAsync(permissionSetName: PermissionSet);

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--store", StatePath, "--since", "1h");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("No grant windows to check", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fence_without_its_permission_set_name_exits_2_pointing_at_grants()
    {
        await WriteStateAsync(permissionSetName: null);

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--store", StatePath);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("fence-alice-admin", run.Error, StringComparison.Ordinal);
        Assert.Contains("--grants", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_file_that_does_not_exist_exits_2_and_is_not_created()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--store", StatePath);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"The state file '{StatePath}' does not exist", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(StatePath));
    }

    [Fact]
    public async Task A_file_that_is_not_a_state_file_exits_2()
    {
        var grants = _trails.WriteGrants();

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--store", grants);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("could not be opened as a PimBridge state file", run.Error, StringComparison.Ordinal);
    }
}
