using System.Text.Json.Nodes;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using static PimBridge.Aws.Tests.EndToEnd.MotoEngine;

namespace PimBridge.Aws.Tests.EndToEnd;

/// <summary>
/// The real engine, the real Identity Center adapters and the real SQLite store against the real moto emulator: PIM
/// activations become assignments and memberships in moto, their end removes them and writes session fences into the
/// permission sets' inline policies, and the fences are lifted again. Every outcome is read back from moto.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class EngineEndToEndTests(MotoFixture moto)
{
    private const string Account = MotoSeed.AccountId;
    private const string Other = MotoSeed.OtherAccountId;

    private readonly MotoSeed _seed = new(moto);

    [Fact]
    public async Task An_activation_becomes_assignments_in_moto_and_its_expiry_removes_them_fences_and_later_lifts_the_fence()
    {
        var (userName, userId) = await NewUserAsync("e2e-aa");
        var permissionSetName = MotoSeed.Unique("e2e-aa");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        await _seed.ProvisionAsync(permissionSet); // moto does not provision on assignment; AWS would have
        await using var e = await StartAsync(moto, AssignmentMapping("ops", permissionSetName, Account, Other));

        e.Activate(userName, "ops", TimeSpan.FromHours(2));
        var grant = Assert.Single((await e.ReconcileAsync()).Plan.NewGrants);
        Assert.Equal(new IdentityCenterUser(userId, userName), grant.User);
        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Account)); // reconcile only records; the tick acts
        await e.SettleAsync();

        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Other));
        Assert.Null(await e.InlinePolicyAsync(permissionSet));

        // 11:00: the activation ends.
        e.Advance(TimeSpan.FromHours(2));
        await e.SettleAsync();

        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Other));
        var fence = Assert.Single(await e.Store.ListFencesAsync(openOnly: true));
        Assert.Equal(FenceState.Active, fence.State);
        Assert.Equal(Epoch + TimeSpan.FromHours(3), fence.Cutoff); // removal confirmed at 11:00, plus the 60-minute margin
        Assert.Equal(fence.Cutoff + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(15), fence.Until); // PT1H sessions, 15-minute margin
        var statement = Assert.Single(await e.FenceStatementsAsync(permissionSet));
        AssertFence(statement, [userId], [Account, Other], "2026-07-01T12:00:00Z");
        AssertProvisionedEverywhere(e.ProvisionsAfterLastWrite(permissionSet, "PutInlinePolicyToPermissionSet"), permissionSet);

        // A minute before the fence's until, sessions issued before the cutoff could still be alive: it stays.
        e.AdvanceTo(fence.Until - TimeSpan.FromMinutes(1));
        await e.SettleAsync();
        Assert.Single(await e.FenceStatementsAsync(permissionSet));

        e.Advance(TimeSpan.FromMinutes(1));
        await e.SettleAsync();

        Assert.Empty(await e.Store.ListFencesAsync(openOnly: true));
        Assert.Equal(FenceState.Lifted, (await e.Store.GetFenceAsync(fence.Id))!.State);
        Assert.Null(await e.InlinePolicyAsync(permissionSet)); // nothing else was in it, so the inline policy is gone
        AssertProvisionedEverywhere(e.ProvisionsAfterLastWrite(permissionSet, "DeleteInlinePolicyFromPermissionSet"), permissionSet);
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task A_customer_inline_policy_survives_fencing_and_lifting()
    {
        const string customer = """
            {
              "Version": "2012-10-17",
              "Id": "customer-guardrails",
              "Statement": [
                { "Sid": "DenyBilling", "Effect": "Deny", "Action": ["aws-portal:*", "budgets:Modify*"], "Resource": "*" },
                {
                  "Effect": "Allow",
                  "Action": "logs:Get*",
                  "Resource": "arn:aws:logs:*:*:log-group:/app/*",
                  "Condition": { "StringEquals": { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } }
                }
              ]
            }
            """;
        var (userName, userId) = await NewUserAsync("e2e-cust");
        var permissionSetName = MotoSeed.Unique("e2e-cust");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT2H");
        var instanceArn = await _seed.InstanceArnAsync();
        await moto.SsoAdmin.PutInlinePolicyToPermissionSetAsync(new PutInlinePolicyToPermissionSetRequest
        {
            InstanceArn = instanceArn, PermissionSetArn = permissionSet, InlinePolicy = customer,
        });
        await _seed.ProvisionAsync(permissionSet);
        await using var e = await StartAsync(moto, AssignmentMapping("cust", permissionSetName, Account));

        e.Activate(userName, "cust", TimeSpan.FromHours(1));
        await e.ReconcileAsync();
        await e.SettleAsync();
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Equal(customer, await e.InlinePolicyAsync(permissionSet)); // granting does not touch the policy

        e.Advance(TimeSpan.FromHours(1));
        await e.SettleAsync();

        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Account));
        var fenced = await e.InlinePolicyAsync(permissionSet);
        AssertFence(Assert.Single(FenceStatements(fenced)), [userId], [Account], "2026-07-01T11:00:00Z");
        AssertSameCustomerContent(customer, fenced);
        AssertProvisionedEverywhere(e.ProvisionsAfterLastWrite(permissionSet, "PutInlinePolicyToPermissionSet"), permissionSet);

        var fence = Assert.Single(await e.Store.ListFencesAsync(openOnly: true));
        Assert.Equal(fence.Cutoff + TimeSpan.FromHours(2) + TimeSpan.FromMinutes(15), fence.Until);
        e.AdvanceTo(fence.Until);
        await e.SettleAsync();

        var lifted = await e.InlinePolicyAsync(permissionSet);
        Assert.Empty(FenceStatements(lifted));
        AssertSameCustomerContent(customer, lifted);
        Assert.True(FencePolicy.AreEquivalent(customer, lifted), $"moto holds {lifted}");
        Assert.Empty(e.Recorder.Of("DeleteInlinePolicyFromPermissionSet")); // the customer's policy was never deleted
        AssertProvisionedEverywhere(e.ProvisionsAfterLastWrite(permissionSet, "PutInlinePolicyToPermissionSet"), permissionSet);
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task An_Identity_Center_group_mapping_becomes_a_membership_and_its_expiry_fences_every_permission_set_the_group_is_assigned()
    {
        var (userName, userId) = await NewUserAsync("e2e-grp");
        var groupName = MotoSeed.Unique("e2e-grp");
        var groupId = await _seed.CreateGroupAsync(groupName);
        var unrelatedGroup = await _seed.CreateGroupAsync(MotoSeed.Unique("e2e-other"));
        await _seed.AddToGroupAsync(unrelatedGroup, userId); // a standing membership PimBridge must leave alone
        var admin = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("e2e-grp-adm"), "PT4H");
        var readOnly = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("e2e-grp-ro"), "PT1H");
        await _seed.AssignAsync(admin, PrincipalTypes.Group, groupId, Account);
        await _seed.AssignAsync(admin, PrincipalTypes.Group, groupId, Other);
        await _seed.AssignAsync(readOnly, PrincipalTypes.Group, groupId, Other);
        await _seed.ProvisionAsync(admin);
        await _seed.ProvisionAsync(readOnly);
        await using var e = await StartAsync(moto, GroupMapping("platform", groupName));
        Assert.Equal(groupId, Assert.Single(e.Mappings).IdentityCenterGroupId); // resolved by display name through GetGroupId

        e.Activate(userName, "platform", TimeSpan.FromHours(1));
        await e.ReconcileAsync();
        await e.SettleAsync();

        Assert.Equal(new[] { groupId, unrelatedGroup }.Order(StringComparer.Ordinal), (await e.GroupsOfAsync(userId)).Order(StringComparer.Ordinal));
        Assert.Empty(await e.AssignedUsersAsync(admin, Account)); // access comes through the group, not a direct assignment

        e.Advance(TimeSpan.FromHours(1));
        await e.SettleAsync();

        Assert.Equal([unrelatedGroup], await e.GroupsOfAsync(userId));
        var fences = await e.Store.ListFencesAsync(openOnly: true);
        Assert.Equal(2, fences.Count);
        Assert.All(fences, f => Assert.Equal(FenceState.Active, f.State));
        var adminFence = Assert.Single(fences, f => f.PermissionSetArn == admin);
        var readOnlyFence = Assert.Single(fences, f => f.PermissionSetArn == readOnly);
        Assert.Equal([Account, Other], adminFence.Accounts);
        Assert.Equal([Other], readOnlyFence.Accounts);
        Assert.Equal(adminFence.Cutoff + TimeSpan.FromHours(4) + TimeSpan.FromMinutes(15), adminFence.Until);
        Assert.Equal(readOnlyFence.Cutoff + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(15), readOnlyFence.Until);
        AssertFence(Assert.Single(await e.FenceStatementsAsync(admin)), [userId], [Account, Other], "2026-07-01T11:00:00Z");
        AssertFence(Assert.Single(await e.FenceStatementsAsync(readOnly)), [userId], [Other], "2026-07-01T11:00:00Z");
        AssertProvisionedEverywhere(e.ProvisionsAfterLastWrite(admin, "PutInlinePolicyToPermissionSet"), admin);
        AssertProvisionedEverywhere(e.ProvisionsAfterLastWrite(readOnly, "PutInlinePolicyToPermissionSet"), readOnly);
        // The group's own assignments are the customer's: untouched.
        Assert.Equal([groupId], (await e.AssignmentsAsync(admin, Account)).Select(a => a.PrincipalId));
        Assert.Equal([groupId], (await e.AssignmentsAsync(readOnly, Other)).Select(a => a.PrincipalId));

        // The short-lived permission set's fence lifts first; the other stays until its own until.
        e.AdvanceTo(readOnlyFence.Until);
        await e.SettleAsync();
        Assert.Null(await e.InlinePolicyAsync(readOnly));
        Assert.Single(await e.FenceStatementsAsync(admin));

        e.AdvanceTo(adminFence.Until);
        await e.SettleAsync();
        Assert.Null(await e.InlinePolicyAsync(admin));
        Assert.Empty(await e.Store.ListFencesAsync(openOnly: true));
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task Overlapping_mappings_keep_a_shared_assignment_in_moto_until_the_last_grant_ends()
    {
        var (userName, userId) = await NewUserAsync("e2e-ovl");
        var permissionSetName = MotoSeed.Unique("e2e-ovl");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        await _seed.ProvisionAsync(permissionSet);
        await using var e = await StartAsync(moto,
            AssignmentMapping("wide", permissionSetName, Account, Other), // by name
            AssignmentMapping("narrow", permissionSet, Account));         // by ARN: the same assignment in Account

        e.Activate(userName, "wide", TimeSpan.FromHours(1));   // ends 10:00
        e.Activate(userName, "narrow", TimeSpan.FromHours(3)); // ends 12:00
        Assert.Equal(2, (await e.ReconcileAsync()).Plan.NewGrants.Count);
        await e.SettleAsync();

        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Other));
        Assert.Single(e.Calls("CreateAccountAssignment", permissionSet, Account)); // shared: created once

        // 10:00: the wide grant ends. Account is still held by the narrow grant.
        e.Advance(TimeSpan.FromHours(1));
        await e.SettleAsync();

        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Other));
        Assert.Empty(e.Calls("DeleteAccountAssignment", permissionSet, Account));
        var first = Assert.Single(await e.FenceStatementsAsync(permissionSet));
        AssertFence(first, [userId], [Other], "2026-07-01T11:00:00Z"); // never fence an account the user still holds

        // 12:00: the narrow grant ends too (the first fence lasts until 12:15).
        e.Advance(TimeSpan.FromHours(2));
        await e.SettleAsync();

        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Single(e.Calls("DeleteAccountAssignment", permissionSet, Account));
        var statements = await e.FenceStatementsAsync(permissionSet);
        Assert.Equal(2, statements.Count);
        AssertFence(Assert.Single(statements, s => s["Sid"]!.GetValue<string>() == first["Sid"]!.GetValue<string>()), [userId], [Other], "2026-07-01T11:00:00Z");
        AssertFence(Assert.Single(statements, s => s["Sid"]!.GetValue<string>() != first["Sid"]!.GetValue<string>()), [userId], [Account], "2026-07-01T13:00:00Z");
        Assert.All(await e.Store.ListGrantsAsync(activeOnly: false, userId), g => Assert.Equal(EndReasons.Expired, g.EndReason));
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task A_group_membership_ending_does_not_fence_an_account_the_user_still_reaches_through_a_direct_assignment()
    {
        var (userName, userId) = await NewUserAsync("e2e-ovg");
        var groupName = MotoSeed.Unique("e2e-ovg");
        var groupId = await _seed.CreateGroupAsync(groupName);
        var permissionSetName = MotoSeed.Unique("e2e-ovg");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        await _seed.AssignAsync(permissionSet, PrincipalTypes.Group, groupId, Account);
        await _seed.AssignAsync(permissionSet, PrincipalTypes.Group, groupId, Other);
        await _seed.ProvisionAsync(permissionSet);
        await using var e = await StartAsync(moto, GroupMapping("viaGroup", groupName), AssignmentMapping("direct", permissionSetName, Account));

        e.Activate(userName, "viaGroup", TimeSpan.FromHours(1)); // ends 10:00
        e.Activate(userName, "direct", TimeSpan.FromHours(3));   // ends 12:00
        await e.ReconcileAsync();
        await e.SettleAsync();
        Assert.Equal([groupId], await e.GroupsOfAsync(userId));
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));

        // 10:00: the membership ends; the permission set still reaches Account through the direct assignment.
        e.Advance(TimeSpan.FromHours(1));
        await e.SettleAsync();

        Assert.Empty(await e.GroupsOfAsync(userId));
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));
        AssertFence(Assert.Single(await e.FenceStatementsAsync(permissionSet)), [userId], [Other], "2026-07-01T11:00:00Z");

        // 12:00: the direct assignment ends too.
        e.Advance(TimeSpan.FromHours(2));
        await e.SettleAsync();

        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Account));
        var statements = await e.FenceStatementsAsync(permissionSet);
        Assert.Equal(2, statements.Count);
        Assert.Single(statements, s => Strings(s["Condition"]!["StringEquals"]!["aws:PrincipalAccount"]).SequenceEqual([Other]));
        AssertFence(Assert.Single(statements, s => Strings(s["Condition"]!["StringEquals"]!["aws:PrincipalAccount"]).SequenceEqual([Account])),
            [userId], [Account], "2026-07-01T13:00:00Z");
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task Early_deactivation_removes_access_in_moto_at_the_next_reconcile_and_tick()
    {
        var (userName, userId) = await NewUserAsync("e2e-deact");
        var permissionSetName = MotoSeed.Unique("e2e-deact");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        var groupName = MotoSeed.Unique("e2e-deact-g");
        var groupId = await _seed.CreateGroupAsync(groupName);
        var groupPermissionSet = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("e2e-deact-gps"), "PT1H");
        await _seed.AssignAsync(groupPermissionSet, PrincipalTypes.Group, groupId, Other);
        await _seed.ProvisionAsync(permissionSet);
        await _seed.ProvisionAsync(groupPermissionSet);
        await using var e = await StartAsync(moto, AssignmentMapping("direct", permissionSetName, Account), GroupMapping("viaGroup", groupName));

        var direct = e.Activate(userName, "direct", TimeSpan.FromHours(4));
        var viaGroup = e.Activate(userName, "viaGroup", TimeSpan.FromHours(4));
        await e.ReconcileAsync();
        await e.SettleAsync();
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Equal([groupId], await e.GroupsOfAsync(userId));

        // 09:20: PIM no longer lists either activation.
        e.Advance(TimeSpan.FromMinutes(20));
        e.Deactivate(direct);
        e.Deactivate(viaGroup);
        var stops = (await e.ReconcileAsync()).Plan.Stops;

        Assert.Equal(2, stops.Count);
        Assert.All(stops, s => Assert.Equal(EndReasons.Deactivated, s.Reason));
        Assert.Equal([userId], await e.AssignedUsersAsync(permissionSet, Account)); // reconcile records; the tick removes
        Assert.Equal([groupId], await e.GroupsOfAsync(userId));

        var tick = await e.TickAsync();

        Assert.Equal((2, 0), (tick.IntentsDone, tick.IntentsFailed));
        Assert.Empty(await e.AssignedUsersAsync(permissionSet, Account));
        Assert.Empty(await e.GroupsOfAsync(userId));

        await e.SettleAsync();
        var grants = await e.Store.ListGrantsAsync(activeOnly: false, userId);
        Assert.Equal(2, grants.Count);
        Assert.All(grants, g => Assert.Equal((GrantState.Ended, EndReasons.Deactivated, (DateTimeOffset?)e.Now), (g.State, g.EndReason, g.EndedAt)));
        AssertFence(Assert.Single(await e.FenceStatementsAsync(permissionSet)), [userId], [Account], "2026-07-01T10:20:00Z");
        AssertFence(Assert.Single(await e.FenceStatementsAsync(groupPermissionSet)), [userId], [Other], "2026-07-01T10:20:00Z");
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task An_emergency_revoke_by_user_name_removes_the_users_access_in_moto_and_leaves_others()
    {
        var (aliceName, aliceId) = await NewUserAsync("e2e-rv-a");
        var (bobName, bobId) = await NewUserAsync("e2e-rv-b");
        var permissionSetName = MotoSeed.Unique("e2e-rv");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        await _seed.ProvisionAsync(permissionSet);
        await using var e = await StartAsync(moto, AssignmentMapping("ops", permissionSetName, Account));
        e.Activate(aliceName, "ops", TimeSpan.FromHours(4));
        e.Activate(bobName, "ops", TimeSpan.FromHours(4));
        await e.ReconcileAsync();
        await e.SettleAsync();
        Assert.Equal(new[] { aliceId, bobId }.Order(StringComparer.Ordinal), (await e.AssignedUsersAsync(permissionSet, Account)).Order(StringComparer.Ordinal));

        var revoked = await e.Enforcer.RevokeUserAsync(aliceName, "laptop stolen");
        await e.SettleAsync();

        Assert.Single(revoked);
        Assert.Equal([bobId], await e.AssignedUsersAsync(permissionSet, Account));
        AssertFence(Assert.Single(await e.FenceStatementsAsync(permissionSet)), [aliceId], [Account], "2026-07-01T10:00:00Z");
        Assert.Equal(EndReasons.Revoked + ": laptop stolen", Assert.Single(await e.Store.ListGrantsAsync(activeOnly: false, aliceId)).EndReason);
        Assert.Null(await e.VerifyAuditAsync());
    }

    [Fact]
    public async Task A_principal_without_an_Identity_Center_user_gets_nothing_in_moto_and_raises_an_alert()
    {
        var permissionSetName = MotoSeed.Unique("e2e-unm");
        var permissionSet = await _seed.CreatePermissionSetAsync(permissionSetName, "PT1H");
        await using var e = await StartAsync(moto, AssignmentMapping("ops", permissionSetName, Account));
        var nobody = MotoSeed.Unique("e2e-nobody") + "@example.com";

        e.Activate(nobody, "ops", TimeSpan.FromHours(1));
        var plan = (await e.ReconcileAsync()).Plan;
        await e.SettleAsync();

        Assert.Empty(plan.NewGrants);
        Assert.Equal("entra-" + nobody, Assert.Single(plan.Unmapped).Principal.Id);
        Assert.Equal("unmapped-user", Assert.Single(await e.Store.ListAlertsAsync(null)).Kind);
        Assert.Empty(await e.AssignmentsAsync(permissionSet, Account));
        Assert.Empty(e.Recorder.Of("CreateAccountAssignment"));
        Assert.Null(await e.VerifyAuditAsync());
    }

    // ---------------------------------------------------------------- helpers

    private async Task<(string UserName, string UserId)> NewUserAsync(string prefix)
    {
        var userName = MotoSeed.Unique(prefix) + "@example.com";
        return (userName, await _seed.CreateUserAsync(userName));
    }

    /// <summary>A PimBridge fence statement, exactly: Deny everything to these users' sessions in these accounts issued before the cutoff.</summary>
    private static void AssertFence(JsonObject statement, string[] users, string[] accounts, string cutoff)
    {
        Assert.StartsWith(FencePolicy.SidPrefix, statement["Sid"]!.GetValue<string>());
        AssertKeys(statement, "Sid", "Effect", "Action", "Resource", "Condition");
        Assert.Equal("Deny", statement["Effect"]!.GetValue<string>());
        Assert.Equal("*", statement["Action"]!.GetValue<string>());
        Assert.Equal("*", statement["Resource"]!.GetValue<string>());
        var condition = statement["Condition"]!.AsObject();
        AssertKeys(condition, "StringEquals", "DateLessThan");
        var equals = condition["StringEquals"]!.AsObject();
        AssertKeys(equals, "identitystore:userId", "aws:PrincipalAccount");
        Assert.Equal(users, Strings(equals["identitystore:userId"]));
        Assert.Equal(accounts, Strings(equals["aws:PrincipalAccount"]));
        var dates = condition["DateLessThan"]!.AsObject();
        AssertKeys(dates, "aws:TokenIssueTime");
        Assert.Equal(cutoff, dates["aws:TokenIssueTime"]!.GetValue<string>());
    }

    /// <summary>The object has exactly these members, in any order.</summary>
    private static void AssertKeys(JsonObject node, params string[] keys) =>
        Assert.Equal(keys.Order(StringComparer.Ordinal), node.Select(p => p.Key).Order(StringComparer.Ordinal));

    private static IReadOnlyList<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(n => n!.GetValue<string>()).ToList(),
        JsonValue value => [value.GetValue<string>()],
        _ => throw new Xunit.Sdk.XunitException($"expected a string or an array of strings, got {node?.ToJsonString() ?? "nothing"}"),
    };

    /// <summary>The customer's statements and top-level members are in <paramref name="actual"/>, semantically unchanged and in order.</summary>
    private static void AssertSameCustomerContent(string customer, string? actual)
    {
        Assert.NotNull(actual);
        var expected = FencePolicy.CustomerStatements(customer);
        var kept = FencePolicy.CustomerStatements(actual);
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.Count, kept.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(JsonNode.DeepEquals(expected[i], kept[i]), $"customer statement {i} changed: {expected[i]!.ToJsonString()} became {kept[i]!.ToJsonString()}");
        var expectedDocument = JsonNode.Parse(customer)!.AsObject();
        var actualDocument = JsonNode.Parse(actual)!.AsObject();
        foreach (var (key, value) in expectedDocument.Where(p => p.Key != "Statement"))
            Assert.True(JsonNode.DeepEquals(value, actualDocument[key]), $"top-level {key} changed");
    }

    /// <summary>At least one provisioning of the permission set to every account it is provisioned in, which moto reports done.</summary>
    private static void AssertProvisionedEverywhere(IReadOnlyList<MotoExchange> provisions, string permissionSet)
    {
        Assert.NotEmpty(provisions);
        Assert.All(provisions, p =>
        {
            Assert.Equal(200, p.Status);
            Assert.Equal(permissionSet, p.Request.GetProperty("PermissionSetArn").GetString());
            Assert.Equal(ProvisionTargetTypes.AllProvisionedAccounts, p.Request.GetProperty("TargetType").GetString());
        });
        Assert.Equal(OperationStatuses.Succeeded,
            provisions[^1].Response.GetProperty("PermissionSetProvisioningStatus").GetProperty("Status").GetString());
    }
}
