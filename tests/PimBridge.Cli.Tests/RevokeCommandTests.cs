using System.Text.Json.Nodes;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>revoke</c>: the emergency stop, in-process over the real engine, a real SQLite state file and Identity Center on
/// moto. Each test first grants through <c>reconcile</c>, as PimBridge would have.
/// </summary>
[Collection(EngineCommandCollection.Name)]
public sealed class RevokeCommandTests(EngineCommandWorld world) : IAsyncLifetime
{
    private EngineScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EngineScenario.CreateAsync(world);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private Task GrantAsync() => _scenario.GrantAsync();

    [Fact]
    public async Task Revoke_removes_the_assignment_ends_the_grant_and_fences_live_sessions()
    {
        await GrantAsync();

        var run = await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--reason", "laptop stolen", "--yes");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"Revoked 1 grant of {_scenario.Upn} (reason: laptop stolen):", run.Output);
        Assert.Contains("AWS access (1 entitlement removed of 1):", run.Output);
        Assert.Contains("removed", Assert.Single(run.Output.Split('\n'), l => l.Contains($"permission set {_scenario.PermissionSetName}", StringComparison.Ordinal)));
        var fenceRow = Assert.Single(run.Output.Split('\n'), l => l.Contains(EngineCommandWorld.Account, StringComparison.Ordinal) && l.Contains("active", StringComparison.Ordinal));
        Assert.Contains(_scenario.PermissionSetName, fenceRow);
        Assert.Contains("Done: the access is removed in AWS and the fences are in force.", run.Output);

        Assert.False(await _scenario.AssignedAsync());
        await using var store = await _scenario.OpenStoreAsync();
        var grant = Assert.Single(await store.ListGrantsAsync(activeOnly: false, _scenario.Upn));
        Assert.Equal(GrantState.Ended, grant.State);
        Assert.Equal($"{EndReasons.Revoked}: laptop stolen", grant.EndReason);
        var fence = Assert.Single(await store.ListFencesAsync(openOnly: true), f => f.UserId == _scenario.UserId);
        Assert.Equal(FenceState.Active, fence.State);
        Assert.Equal(_scenario.PermissionSetArn, fence.PermissionSetArn);
        // The Deny is in the permission set's inline policy, naming the user.
        var policy = await world.InlinePolicyAsync(_scenario.PermissionSetArn);
        Assert.NotNull(policy);
        Assert.Contains(_scenario.UserId, policy);
        Assert.Contains("aws:TokenIssueTime", policy);
    }

    [Fact]
    public async Task Without_yes_and_without_a_terminal_nothing_is_revoked()
    {
        await GrantAsync();

        var run = await _scenario.RunAsync("revoke", "--user", _scenario.Upn);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("there is no terminal to ask for confirmation; run it again with --yes", run.Error);
        Assert.Equal("", run.Output);
        Assert.True(await _scenario.AssignedAsync());
        await using var store = await _scenario.OpenStoreAsync();
        Assert.Single(await store.ListGrantsAsync(activeOnly: true, _scenario.Upn));
    }

    [Fact]
    public async Task A_user_without_active_grants_is_told_so_and_succeeds()
    {
        var run = await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes");
        var json = await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"'{_scenario.Upn}' has no active PimBridge grants: nothing to revoke.", run.Output);
        Assert.True(json.ExitCode == ExitCodes.Success, json.ToString());
        var document = JsonNode.Parse(json.Output)!;
        Assert.False(document["revoked"]!.GetValue<bool>());
        Assert.Empty(document["grants"]!.AsArray());
        await using var store = await _scenario.OpenStoreAsync();
        Assert.Null(await store.GetAuditHeadAsync());
    }

    [Fact]
    public async Task The_json_form_lists_the_grant_the_removed_entitlement_and_the_fence()
    {
        await GrantAsync();

        var run = await _scenario.RunAsync("revoke", "--user", _scenario.UserId, "--yes", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var document = JsonNode.Parse(run.Output)!;
        Assert.Equal(_scenario.UserId, document["user"]!.GetValue<string>());
        Assert.Equal("emergency revoke with pimbridge revoke", document["reason"]!.GetValue<string>());
        Assert.True(document["revoked"]!.GetValue<bool>());
        Assert.True(document["complete"]!.GetValue<bool>());
        var grant = Assert.Single(document["grants"]!.AsArray())!;
        Assert.Equal(_scenario.Upn, grant["user"]!.GetValue<string>());
        Assert.NotNull(grant["endedAt"]);
        var entitlement = Assert.Single(document["entitlements"]!.AsArray())!;
        Assert.Equal("account-assignment", entitlement["kind"]!.GetValue<string>());
        Assert.Equal(_scenario.PermissionSetName, entitlement["permissionSet"]!.GetValue<string>());
        Assert.Equal(EngineCommandWorld.Account, entitlement["account"]!.GetValue<string>());
        Assert.Equal("removed", entitlement["status"]!.GetValue<string>());
        var fence = Assert.Single(document["fences"]!.AsArray())!;
        Assert.Equal("active", fence["state"]!.GetValue<string>());
        Assert.Equal(_scenario.PermissionSetArn, fence["permissionSetArn"]!.GetValue<string>());
        Assert.Equal(new[] { EngineCommandWorld.Account }, fence["accounts"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task The_revoke_holds_while_PIM_still_lists_the_activation()
    {
        await GrantAsync();
        Assert.Equal(ExitCodes.Success, (await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes")).ExitCode);

        var run = await _scenario.RunAsync("reconcile");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("held back", Assert.Single(run.Output.Split('\n'), l => l.Contains(_scenario.Upn, StringComparison.Ordinal)));
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task With_wait_0_the_grant_is_ended_and_the_removal_left_to_the_running_PimBridge()
    {
        await GrantAsync();

        var run = await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes", "--wait", "0", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var document = JsonNode.Parse(run.Output)!;
        Assert.False(document["complete"]!.GetValue<bool>());
        Assert.Equal("removing", Assert.Single(document["entitlements"]!.AsArray())!["status"]!.GetValue<string>());
        Assert.Contains("Pending (--wait 0)", run.Error);
        Assert.True(await _scenario.AssignedAsync()); // not yet: the next tick removes it
        await using var store = await _scenario.OpenStoreAsync();
        Assert.Empty(await store.ListGrantsAsync(activeOnly: true, _scenario.Upn));
        // The removal is queued durably, for the running PimBridge's next tick.
        var key = $"aa|{_scenario.UserId}|{_scenario.PermissionSetArn}|{EngineCommandWorld.Account}";
        Assert.Equal(EntitlementStatus.Removing, (await store.GetLedgerEntryAsync(key))!.Status);
        Assert.Single(await store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, key));
    }

    [Fact]
    public async Task A_wait_that_is_not_a_duration_is_refused()
    {
        var run = await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes", "--wait", "soon");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("--wait 'soon' is not a duration", run.Error);
    }
}
