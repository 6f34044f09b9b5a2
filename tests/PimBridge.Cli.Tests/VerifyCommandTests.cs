using System.Text.Json.Nodes;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>verify</c>: each drift kind made by another hand in Identity Center on moto, over the real engine and a real
/// SQLite state file. Each test first grants through <c>reconcile</c>, as PimBridge would have.
/// </summary>
[Collection(EngineCommandCollection.Name)]
public sealed class VerifyCommandTests(EngineCommandWorld world) : IAsyncLifetime
{
    private EngineScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EngineScenario.CreateAsync(world);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private Task GrantAsync() => _scenario.GrantAsync();

    private AccountAssignmentRequest Assignment(string userId) => new()
    {
        InstanceArn = world.InstanceArn, TargetId = EngineCommandWorld.Account, PermissionSetArn = _scenario.PermissionSetArn, PrincipalType = "USER", PrincipalId = userId,
    };

    private static JsonNode SingleDrift(CliRun run, string kind)
    {
        var drifts = JsonNode.Parse(run.Output)!["drifts"]!.AsArray();
        return Assert.Single(drifts, d => d!["kind"]!.GetValue<string>() == kind)!;
    }

    [Fact]
    public async Task Without_a_state_file_verify_says_which_command_creates_it_and_creates_nothing()
    {
        var missing = Path.Combine(_scenario.Folder, "first.db");

        var run = await _scenario.RunWithoutStoreAsync("verify", "--store", missing);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains($"No PimBridge state file at '{missing}' yet.", run.Error);
        Assert.Contains($"`pimbridge reconcile --store {missing}` creates it", run.Error);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task With_nothing_changed_verify_finds_no_drift_and_succeeds()
    {
        await GrantAsync();

        var run = await _scenario.RunAsync("verify");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Verified 1 of 1 mapped target", run.Output);
        Assert.Contains("No drift: Identity Center matches what PimBridge confirmed.", run.Output);
    }

    [Fact]
    public async Task An_assignment_another_hand_deleted_is_reported_then_restored_with_repair()
    {
        await GrantAsync();
        await world.SsoAdmin.DeleteAccountAssignmentAndWaitAsync(Assignment(_scenario.UserId));
        await using (var store = await _scenario.OpenStoreAsync())
        {
            // Confirmed long enough ago that a listing must show it (the sweep allows for Identity Store's lag).
            var key = Entitlement.AccountAssignment(_scenario.UserId, _scenario.PermissionSetArn, EngineCommandWorld.Account).Key;
            var entry = (await store.GetLedgerEntryAsync(key))!;
            var change = new StateChange();
            change.Ledger.Add(entry with { AppliedAt = entry.AppliedAt - DriftSweep.ListingLag });
            await store.CommitAsync(change);
        }

        var report = await _scenario.RunAsync("verify", "--json");
        Assert.False(await _scenario.AssignedAsync());
        var repair = await _scenario.RunAsync("verify", "--repair");
        var after = await _scenario.RunAsync("verify");

        Assert.True(report.ExitCode == ExitCodes.DriftFound, report.ToString());
        var drift = SingleDrift(report, "missing-access");
        Assert.Equal(_scenario.UserId, drift["userId"]!.GetValue<string>());
        Assert.Null(drift["repaired"]);
        Assert.True(repair.ExitCode == ExitCodes.DriftFound, repair.ToString());
        Assert.Contains("recorded", Assert.Single(repair.Output.Split('\n'), l => l.Contains("missing-access", StringComparison.Ordinal)));
        Assert.True(await _scenario.AssignedAsync());
        Assert.True(after.ExitCode == ExitCodes.Success, after.ToString());
        await using var check = await _scenario.OpenStoreAsync();
        Assert.Single(await check.ListAlertsAsync(null), a => a.Kind == "access-missing");
    }

    [Fact]
    public async Task A_fence_another_hand_dropped_from_the_policy_is_reported_then_written_again_with_repair()
    {
        await GrantAsync();
        Assert.Equal(ExitCodes.Success, (await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes")).ExitCode);
        Assert.Contains(_scenario.UserId, await world.InlinePolicyAsync(_scenario.PermissionSetArn));
        await world.SsoAdmin.PutInlinePolicyToPermissionSetAsync(new PutInlinePolicyToPermissionSetRequest
        {
            InstanceArn = world.InstanceArn, PermissionSetArn = _scenario.PermissionSetArn,
            InlinePolicy = """{"Version":"2012-10-17","Statement":[{"Sid":"Terraform","Effect":"Deny","Action":"organizations:*","Resource":"*"}]}""",
        });

        var report = await _scenario.RunAsync("verify", "--json");
        var repair = await _scenario.RunAsync("verify", "--repair", "--json");

        Assert.True(report.ExitCode == ExitCodes.DriftFound, report.ToString());
        Assert.Contains("statement is missing", SingleDrift(report, "missing-fence")["finding"]!.GetValue<string>());
        Assert.True(SingleDrift(repair, "missing-fence")["repaired"]!.GetValue<bool>());
        var policy = await world.InlinePolicyAsync(_scenario.PermissionSetArn);
        Assert.Contains(_scenario.UserId, policy);
        Assert.Contains("\"Sid\":\"Terraform\"", policy);
        await using var store = await _scenario.OpenStoreAsync();
        Assert.Equal(FenceState.Active, Assert.Single(await store.ListFencesAsync(openOnly: true)).State);
        Assert.Equal(AlertSeverity.Critical, Assert.Single(await store.ListAlertsAsync(null), a => a.Kind == "fence-missing").Severity);
        // moto lists every account under both provisioning statuses, so only the policy could be compared; verify says so.
        Assert.Contains("warning:", report.Error);
        Assert.Contains("provisioning-status filter", report.Error);
    }

    [Fact]
    public async Task Access_PimBridge_made_whose_removal_was_lost_is_removed_and_fenced_with_repair()
    {
        await GrantAsync();
        Assert.Equal(ExitCodes.Success, (await _scenario.RunAsync("revoke", "--user", _scenario.Upn, "--yes", "--wait", "0")).ExitCode);
        await using (var store = await _scenario.OpenStoreAsync())
        {
            var key = Entitlement.AccountAssignment(_scenario.UserId, _scenario.PermissionSetArn, EngineCommandWorld.Account).Key;
            var change = new StateChange();
            foreach (var intent in await store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, key))
                change.Intents.Add(intent with { State = IntentState.Superseded, CompletedAt = DateTimeOffset.UtcNow });
            Assert.NotEmpty(change.Intents);
            await store.CommitAsync(change);
        }

        var report = await _scenario.RunAsync("verify", "--json");
        Assert.True(await _scenario.AssignedAsync());
        var repair = await _scenario.RunAsync("verify", "--repair");

        Assert.True(report.ExitCode == ExitCodes.DriftFound, report.ToString());
        Assert.Equal(_scenario.UserId, SingleDrift(report, "orphan")["userId"]!.GetValue<string>());
        Assert.True(repair.ExitCode == ExitCodes.DriftFound, repair.ToString());
        Assert.False(await _scenario.AssignedAsync());
        Assert.Contains(_scenario.UserId, await world.InlinePolicyAsync(_scenario.PermissionSetArn));
        await using var check = await _scenario.OpenStoreAsync();
        Assert.Single(await check.ListAlertsAsync(null), a => a.Kind == "orphaned-access");
    }

    [Fact]
    public async Task Standing_access_another_hand_made_is_reported_recorded_once_and_left_in_place()
    {
        await GrantAsync();
        var other = await world.CreateUserAsync($"standing-{Guid.NewGuid():N}@contoso.com");
        await world.SsoAdmin.CreateAccountAssignmentAndWaitAsync(Assignment(other));

        var report = await _scenario.RunAsync("verify", "--json");
        var first = await _scenario.RunAsync("verify", "--repair", "--json");
        var second = await _scenario.RunAsync("verify", "--repair", "--json");

        Assert.True(report.ExitCode == ExitCodes.Success, report.ToString());
        Assert.Equal(other, SingleDrift(report, "standing-access")["userId"]!.GetValue<string>());
        Assert.True(SingleDrift(first, "standing-access")["new"]!.GetValue<bool>());
        Assert.False(SingleDrift(second, "standing-access")["new"]!.GetValue<bool>());
        Assert.True(await world.AssignedAsync(_scenario.PermissionSetArn, other));
        Assert.True(await _scenario.AssignedAsync());
        await using var store = await _scenario.OpenStoreAsync();
        Assert.Equal(AlertSeverity.Info, Assert.Single(await store.ListAlertsAsync(null), a => a.Kind == "standing-access").Severity);
    }
}
