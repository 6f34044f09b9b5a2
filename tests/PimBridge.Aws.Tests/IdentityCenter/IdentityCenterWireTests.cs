using System.Net;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Tests.Wire;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.IdentityCenter;

/// <summary>
/// The adapters against scripted AWS answers, for what moto cannot produce: uniqueness conflicts, settling conflicts,
/// IN_PROGRESS operations, paging of the reads the adapter does not size, and AWS's own error forms.
/// </summary>
public sealed class IdentityCenterWireTests : IDisposable
{
    private const string Instance = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
    private const string Store = "d-1234567890";
    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";
    private const string Account = "111111111111";
    private const string User = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    private const string Group = "a1b2c3d4e5-11111111-2222-3333-4444-555555555555";
    private const string OperationId = "0f9d1c2e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

    private static readonly IdentityCenterAdapterOptions Options = new() { InstanceArn = Instance, IdentityStoreId = Store };

    private static readonly Entitlement Membership = Entitlement.GroupMembership(User, Group);
    private static readonly Entitlement Assignment = Entitlement.AccountAssignment(User, PermissionSet, Account);

    private readonly List<IDisposable> _clients = [];

    public void Dispose() => _clients.ForEach(c => c.Dispose());

    // ---- group memberships ----

    [Fact]
    public async Task A_uniqueness_conflict_on_CreateGroupMembership_is_success()
    {
        var store = new RecordingHandler()
            .Respond("""{"GroupMemberships":[]}""")
            .RespondError(HttpStatusCode.Conflict,
                """{"__type":"ConflictException","Message":"Membership already exists","RequestId":"r-1","Reason":"UNIQUENESS_CONSTRAINT_VIOLATION"}""");
        var target = Entitlements(new RecordingHandler(), store);

        await target.GrantAsync(Membership);

        Assert.Equal(["AWSIdentityStore.ListGroupMembershipsForMember", "AWSIdentityStore.CreateGroupMembership"],
            store.Requests.Select(r => r.Target));
        var create = store.Requests[1].Json;
        Assert.Equal(Store, create.GetProperty("IdentityStoreId").GetString());
        Assert.Equal(Group, create.GetProperty("GroupId").GetString());
        Assert.Equal(User, create.GetProperty("MemberId").GetProperty("UserId").GetString());
    }

    [Theory]
    [InlineData("USER")]
    [InlineData("GROUP")]
    public async Task Revoking_a_membership_of_a_user_or_group_that_no_longer_exists_is_success(string resourceType)
    {
        var store = new RecordingHandler().RespondError(HttpStatusCode.BadRequest,
            $$"""{"__type":"ResourceNotFoundException","Message":"{{resourceType}} not found.","ResourceType":"{{resourceType}}"}""");

        await Entitlements(new RecordingHandler(), store).RevokeAsync(Membership);

        Assert.Single(store.Requests);
    }

    [Fact]
    public async Task Revoking_against_a_missing_identity_store_fails_rather_than_claiming_the_access_is_gone()
    {
        var store = new RecordingHandler().RespondError(HttpStatusCode.BadRequest,
            """{"__type":"ResourceNotFoundException","Message":"IDENTITY_STORE not found.","ResourceType":"IDENTITY_STORE"}""");

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => Entitlements(new RecordingHandler(), store).RevokeAsync(Membership));

        Assert.Equal("IDENTITY_STORE", failure.ResourceType);
    }

    [Fact]
    public async Task A_conflict_without_the_uniqueness_reason_propagates()
    {
        var store = new RecordingHandler()
            .Respond("""{"GroupMemberships":[]}""")
            .RespondError(HttpStatusCode.Conflict, """{"__type":"ConflictException","Message":"conflict","Reason":null}""");
        var target = Entitlements(new RecordingHandler(), store);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => target.GrantAsync(Membership));

        Assert.Equal("ConflictException", failure.ErrorCode);
        Assert.Equal(2, store.Requests.Count);
    }

    [Fact]
    public async Task The_membership_is_found_on_a_later_page_and_revoked_by_its_id()
    {
        var store = new RecordingHandler()
            .Respond(MembershipPage(("m-other", "g-other"), nextToken: "page-2"))
            .Respond(MembershipPage(("m-wanted", Group), nextToken: null))
            .Respond(MembershipPage(("m-other", "g-other"), nextToken: "page-2"))
            .Respond(MembershipPage(("m-wanted", Group), nextToken: null))
            .Respond("{}");
        var target = Entitlements(new RecordingHandler(), store);

        var active = await target.IsActiveAsync(Membership);
        await target.RevokeAsync(Membership);

        Assert.True(active);
        var requests = store.Requests;
        Assert.False(requests[0].Json.TryGetProperty("NextToken", out _));
        Assert.Equal("page-2", requests[1].Json.GetProperty("NextToken").GetString());
        Assert.Equal("AWSIdentityStore.DeleteGroupMembership", requests[4].Target);
        Assert.Equal("""{"IdentityStoreId":"d-1234567890","MembershipId":"m-wanted"}""", requests[4].Body);
    }

    [Fact]
    public async Task A_membership_already_deleted_when_DeleteGroupMembership_runs_is_success()
    {
        var store = new RecordingHandler()
            .Respond(MembershipPage(("m-wanted", Group), nextToken: null))
            .RespondError(HttpStatusCode.BadRequest,
                """{"__type":"ResourceNotFoundException","Message":"GROUP_MEMBERSHIP not found.","ResourceType":"GROUP_MEMBERSHIP"}""");
        var target = Entitlements(new RecordingHandler(), store);

        await target.RevokeAsync(Membership);

        Assert.Equal(2, store.Requests.Count);
    }

    [Fact]
    public async Task Other_identitystore_errors_propagate()
    {
        var store = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"AccessDeniedException","Message":"no"}""");
        var target = Entitlements(new RecordingHandler(), store);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => target.GrantAsync(Membership));

        Assert.True(failure.IsAccessDenied);
        Assert.Single(store.Requests);
    }

    // ---- account assignments ----

    [Fact]
    public async Task Grant_waits_for_an_IN_PROGRESS_assignment_to_succeed()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "SUCCEEDED"));
        var target = Entitlements(sso, new RecordingHandler(), time);

        await target.GrantAsync(Assignment);

        Assert.Equal(
            ["SWBExternalService.ListAccountAssignmentsForPrincipal", "SWBExternalService.CreateAccountAssignment", "SWBExternalService.DescribeAccountAssignmentCreationStatus"],
            sso.Requests.Select(r => r.Target));
        Assert.Equal(
            $$"""{"InstanceArn":"{{Instance}}","TargetId":"{{Account}}","TargetType":"AWS_ACCOUNT","PermissionSetArn":"{{PermissionSet}}","PrincipalType":"USER","PrincipalId":"{{User}}"}""",
            sso.Requests[1].Body);
        Assert.Contains(TimeSpan.FromSeconds(1), time.Delays); // the first poll pause
    }

    [Fact]
    public async Task An_assignment_seen_IN_PROGRESS_at_its_first_look_makes_the_next_first_look_come_just_after_that()
    {
        // AWS's usual IN_PROGRESS time, learned: one Describe per operation instead of two, and a slot (of 15) held
        // about as long as AWS runs the operation rather than until a doubled pause ends.
        var (firstLook, sso) = await SecondGrantsFirstLookAsync(TimeSpan.Zero);

        Assert.InRange(firstLook, TimeSpan.FromSeconds(1.1), TimeSpan.FromSeconds(1.5)); // just after the 1 s look that found it running
        Assert.Single(sso.Requests.Skip(4), r => r.Target.EndsWith("DescribeAccountAssignmentCreationStatus", StringComparison.Ordinal)); // one Describe for the second
    }

    [Fact]
    public async Task An_assignment_still_IN_PROGRESS_at_its_first_look_is_looked_at_again_a_moment_later_then_when_the_doubling_pauses_would_have()
    {
        // The first look comes about when AWS usually finishes: one still running then is most likely about to end,
        // and each second it waits keeps one of the 15 operation slots from the next grant. The looks after it keep the
        // doubling schedule's times (1 s, 3 s, ...), so an operation the pace has not learned is seen done no later.
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"));
        var target = Entitlements(sso, new RecordingHandler(), time, configureSso: o => o.Retry.MaxAttempts = 1);

        await Assert.ThrowsAsync<OperationInProgressException>(() => target.GrantAsync(Assignment)); // still running when the wait ends

        Assert.Equal([TimeSpan.FromSeconds(1), OperationPaceMargin, TimeSpan.FromSeconds(2) - OperationPaceMargin], time.Delays.Where(d => d >= TimeSpan.FromMilliseconds(200)));
    }

    private static readonly TimeSpan OperationPaceMargin = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task The_learned_first_look_eases_back_toward_the_configured_pause_as_time_passes()
    {
        var (firstLook, _) = await SecondGrantsFirstLookAsync(TimeSpan.FromMinutes(10)); // AWS may have become quicker since

        Assert.InRange(firstLook, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1));
    }

    /// <summary>
    /// Two grants: the first's creation still running at its 1 s look and done at the next, then, <paramref name="between"/>
    /// later, the second's done at its first look. Returns the pause before that first look.
    /// </summary>
    private async Task<(TimeSpan FirstLook, RecordingHandler Sso)> SecondGrantsFirstLookAsync(TimeSpan between)
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "SUCCEEDED"))
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "SUCCEEDED"));
        var target = Entitlements(sso, new RecordingHandler(), time);

        await target.GrantAsync(Assignment);
        time.Advance(between);
        var before = time.Delays.Count;
        await target.GrantAsync(Entitlement.AccountAssignment(User, PermissionSet, "222222222222"));

        return (time.Delays.Skip(before).Where(d => d >= TimeSpan.FromMilliseconds(500)).First(), sso);
    }

    [Fact]
    public async Task A_creation_still_in_progress_after_the_wait_is_handed_back_and_the_next_grant_waits_for_it_not_a_second_creation()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "SUCCEEDED"))
            .Respond(AssignmentList(("USER", User)));
        var target = Entitlements(sso, new RecordingHandler(), time);
        var started = time.GetUtcNow();

        var waiting = await Assert.ThrowsAsync<OperationInProgressException>(() => target.GrantAsync(Assignment));
        Assert.InRange(time.GetUtcNow() - started, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4)); // looked at 1 s, 1.25 s and 3 s (plus request pacing), then handed back
        Assert.Contains(OperationId, waiting.Message);
        Assert.InRange(waiting.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<OperationInProgressException>(() => target.GrantAsync(Assignment)); // one look, still running

        // Ended: what it did is read from AWS, as any grant reads first (the ended operation may be an old one).
        Assert.Equal(EntitlementChange.Found, await target.GrantAsync(Assignment));

        Assert.Equal(
            ["ListAccountAssignmentsForPrincipal", "CreateAccountAssignment", "DescribeAccountAssignmentCreationStatus", "DescribeAccountAssignmentCreationStatus",
             "DescribeAccountAssignmentCreationStatus", "DescribeAccountAssignmentCreationStatus", "DescribeAccountAssignmentCreationStatus", "ListAccountAssignmentsForPrincipal"],
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
        Assert.Contains(OperationId, sso.Requests[^2].Body); // the same operation, not a second creation
    }

    [Fact]
    public async Task A_deletion_that_ended_while_nobody_watched_is_not_taken_as_the_answer_the_revoke_deletes_again()
    {
        // Seed 100570: a deletion remembered from an earlier removal had long succeeded; taken as this removal's answer
        // (with a creation of PimBridge's IN_PROGRESS, so not listed), the removal was confirmed and the access stayed.
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sso = new RecordingHandler()
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "SUCCEEDED"))
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ConflictException","message":"An account assignment operation on this assignment is in progress."}""");
        var target = Entitlements(sso, new RecordingHandler(), time, configureSso: o => o.Retry.MaxAttempts = 1);

        await Assert.ThrowsAsync<OperationInProgressException>(() => target.RevokeAsync(Assignment));
        var conflict = await Assert.ThrowsAsync<AwsServiceException>(() => target.RevokeAsync(Assignment));

        Assert.Equal("ConflictException", conflict.ErrorCode);
        Assert.Equal(
            ["DeleteAccountAssignment", "DescribeAccountAssignmentDeletionStatus", "DescribeAccountAssignmentDeletionStatus", "DescribeAccountAssignmentDeletionStatus", "DescribeAccountAssignmentDeletionStatus", "DeleteAccountAssignment"],
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
    }

    [Fact]
    public async Task An_operation_in_progress_longer_than_allowed_fails_as_timed_out()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "IN_PROGRESS"));
        var target = new IdentityCenterEntitlements(Sso(sso, time), StoreClient(new RecordingHandler(), time), Options with { OperationGiveUpAfter = TimeSpan.FromMinutes(1) }, time);

        await Assert.ThrowsAsync<OperationInProgressException>(() => target.GrantAsync(Assignment));
        time.Advance(TimeSpan.FromMinutes(1));
        var failure = await Assert.ThrowsAsync<AwsOperationException>(() => target.GrantAsync(Assignment));

        Assert.True(failure.TimedOut);
        Assert.Equal(OperationId, failure.RequestId);
    }

    [Fact]
    public async Task A_settling_conflict_on_CreateAccountAssignment_is_success_when_a_reread_finds_the_assignment()
    {
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ConflictException","message":"operation in progress"}""")
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ConflictException","message":"operation in progress"}""")
            .Respond(AssignmentList(("USER", User)));
        var target = Entitlements(sso, new RecordingHandler(), configureSso: o => o.Retry.MaxAttempts = 2);

        await target.GrantAsync(Assignment);

        Assert.Equal(
            ["ListAccountAssignmentsForPrincipal", "CreateAccountAssignment", "CreateAccountAssignment", "ListAccountAssignmentsForPrincipal"],
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
    }

    [Fact]
    public async Task A_settling_conflict_on_CreateAccountAssignment_propagates_when_the_reread_finds_nothing()
    {
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ConflictException","message":"operation in progress"}""")
            .Respond(AssignmentList(("GROUP", User), ("USER", "someone-else")));
        var target = Entitlements(sso, new RecordingHandler(), configureSso: o => o.Retry.MaxAttempts = 1);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => target.GrantAsync(Assignment));

        Assert.Equal("ConflictException", failure.ErrorCode);
        Assert.Equal(3, sso.Requests.Count);
    }

    [Fact]
    public async Task A_failed_assignment_operation_propagates()
    {
        var sso = new RecordingHandler()
            .Respond("""{"AccountAssignments":[]}""")
            .Respond(AssignmentStatus("AccountAssignmentCreationStatus", "FAILED", "Received a 404 status error: No such account"));
        var target = Entitlements(sso, new RecordingHandler());

        var failure = await Assert.ThrowsAsync<AwsOperationException>(() => target.GrantAsync(Assignment));

        Assert.Equal("FAILED", failure.Status);
        Assert.Contains("No such account", failure.FailureReason);
    }

    [Fact]
    public async Task An_assignment_found_on_a_later_page_counts()
    {
        var sso = new RecordingHandler()
            .Respond(AssignmentList("next", ("USER", "someone-else")))
            .Respond(AssignmentList(("USER", User)));
        var target = Entitlements(sso, new RecordingHandler());

        Assert.True(await target.IsActiveAsync(Assignment));
        Assert.Equal("next", sso.Requests[1].Json.GetProperty("NextToken").GetString());
        // The user's own assignments in the account, not every holder of the permission set (issue 15).
        Assert.All(sso.Requests, r => Assert.Equal("SWBExternalService.ListAccountAssignmentsForPrincipal", r.Target));
        Assert.Equal(User, sso.Requests[1].Json.GetProperty("PrincipalId").GetString());
        Assert.Equal("USER", sso.Requests[1].Json.GetProperty("PrincipalType").GetString());
        Assert.Equal(Account, sso.Requests[1].Json.GetProperty("Filter").GetProperty("AccountId").GetString());
    }

    [Fact]
    public async Task The_users_assignment_of_another_permission_set_or_account_does_not_count()
    {
        var otherSet = $$"""{"AccountId":"{{Account}}","PermissionSetArn":"{{PermissionSet}}-other","PrincipalType":"USER","PrincipalId":"{{User}}"}""";
        var otherAccount = $$"""{"AccountId":"999999999999","PermissionSetArn":"{{PermissionSet}}","PrincipalType":"USER","PrincipalId":"{{User}}"}""";
        var sso = new RecordingHandler().Respond($$"""{"AccountAssignments":[{{otherSet}},{{otherAccount}}]}""");
        var target = Entitlements(sso, new RecordingHandler());

        Assert.False(await target.IsActiveAsync(Assignment));
    }

    [Fact]
    public async Task An_assignment_already_gone_when_DeleteAccountAssignment_runs_is_success()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"Could not find assignment"}""");
        var target = Entitlements(sso, new RecordingHandler());

        Assert.Equal(EntitlementChange.Found, await target.RevokeAsync(Assignment));

        Assert.Equal(["SWBExternalService.DeleteAccountAssignment"], sso.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task A_deletion_conflicting_with_a_creation_still_in_progress_propagates_rather_than_reporting_the_assignment_gone()
    {
        // The creation is IN_PROGRESS, so the assignment is not listed yet; only the conflict tells.
        var conflict = """{"__type":"ConflictException","message":"An account assignment operation is in progress"}""";
        var sso = new RecordingHandler().RespondError(HttpStatusCode.BadRequest, conflict).RespondError(HttpStatusCode.BadRequest, conflict);
        var target = Entitlements(sso, new RecordingHandler(), configureSso: o => o.Retry.MaxAttempts = 2);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => target.RevokeAsync(Assignment));

        Assert.Equal("ConflictException", failure.ErrorCode);
    }

    [Fact]
    public async Task Revoke_waits_for_an_IN_PROGRESS_deletion_to_succeed()
    {
        var sso = new RecordingHandler()
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "IN_PROGRESS"))
            .Respond(AssignmentStatus("AccountAssignmentDeletionStatus", "SUCCEEDED"))
            .Respond(AssignmentList());
        var target = Entitlements(sso, new RecordingHandler());

        Assert.Equal(EntitlementChange.Made, await target.RevokeAsync(Assignment));

        // Deleted, waited for, then confirmed by a listing.
        Assert.Equal(["SWBExternalService.DeleteAccountAssignment", "SWBExternalService.DescribeAccountAssignmentDeletionStatus", "SWBExternalService.ListAccountAssignmentsForPrincipal"],
            sso.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_retries_propagates_for_the_engine_to_retry()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","message":"Rate exceeded"}""")
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","message":"Rate exceeded"}""");
        var target = Entitlements(sso, new RecordingHandler(), configureSso: o => o.Retry.MaxAttempts = 2);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => target.RevokeAsync(Assignment));

        Assert.True(failure.IsThrottling);
        Assert.Equal(2, failure.Attempts);
    }

    // ---- inline policies ----

    [Fact]
    public async Task Deleting_an_absent_policy_is_success_when_AWS_answers_ResourceNotFound_and_the_permission_set_exists()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"No inline policy"}""")
            .Respond("""{"InlinePolicy":""}""")
            .Respond("""{"AccountIds":[],"NextToken":null}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        await policies.WriteInlinePolicyAsync(PermissionSet, null);

        Assert.Equal(
            ["DeleteInlinePolicyFromPermissionSet", "GetInlinePolicyForPermissionSet", "ListAccountsForProvisionedPermissionSet"],
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
    }

    [Fact]
    public async Task Deleting_the_policy_of_a_deleted_permission_set_says_it_was_deleted()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"Could not find PermissionSet"}""")
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"Could not find PermissionSet"}""")
            .Respond("""{"PermissionSets":["arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-other00000000000"]}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        var failure = await Assert.ThrowsAsync<PermissionSetDeletedException>(() => policies.WriteInlinePolicyAsync(PermissionSet, null));

        Assert.Equal(PermissionSet, failure.PermissionSetArn);
        Assert.Equal(
            ["DeleteInlinePolicyFromPermissionSet", "GetInlinePolicyForPermissionSet", "ListPermissionSets"], // no provisioning
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
    }

    [Fact]
    public async Task A_not_found_for_a_permission_set_the_instance_still_lists_is_not_taken_for_a_deletion()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"Could not find PermissionSet"}""")
            .Respond($$"""{"PermissionSets":["{{PermissionSet}}"]}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => policies.GetInlinePolicyAsync(PermissionSet));

        Assert.True(failure.IsNotFound);
    }

    [Fact]
    public async Task A_not_found_from_a_wrong_instance_is_not_taken_for_a_deletion()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"Could not find PermissionSet"}""")
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":"Could not find Instance"}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => policies.GetInlinePolicyAsync(PermissionSet));

        Assert.Contains("Instance", failure.Message);
    }

    [Fact]
    public async Task A_provisioning_still_in_progress_is_handed_back_and_resumed_not_started_again()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        string Provisioning(string status) =>
            $$$"""{"PermissionSetProvisioningStatus":{"Status":"{{{status}}}","RequestId":"{{{OperationId}}}","PermissionSetArn":"{{{PermissionSet}}}"}}""";
        var sso = new RecordingHandler()
            .Respond("{}")
            .Respond("""{"AccountIds":["111111111111"]}""")
            .Respond(Provisioning("IN_PROGRESS"))
            .Respond(Provisioning("IN_PROGRESS"))
            .Respond(Provisioning("IN_PROGRESS"))
            .Respond(Provisioning("SUCCEEDED"))
            .Respond("""{"AccountIds":[]}""");
        var policies = new PermissionSetPolicies(Sso(sso, time), Options, time);

        await Assert.ThrowsAsync<OperationInProgressException>(() => policies.WriteInlinePolicyAsync(PermissionSet, """{"Version":"2012-10-17","Statement":[]}"""));
        Assert.False(await policies.ProvisionWhereStaleAsync(PermissionSet));

        Assert.Equal(
            ["PutInlinePolicyToPermissionSet", "ListAccountsForProvisionedPermissionSet", "ProvisionPermissionSet", "DescribePermissionSetProvisioningStatus",
             "DescribePermissionSetProvisioningStatus", "DescribePermissionSetProvisioningStatus", "ListAccountsForProvisionedPermissionSet"],
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
        Assert.Contains("LATEST_PERMISSION_SET_NOT_PROVISIONED", sso.Requests[^1].Body);
    }

    [Fact]
    public async Task A_policy_write_refused_while_the_permission_set_is_being_provisioned_is_handed_back_to_look_again_not_failed()
    {
        // AWS provisions a permission set as part of every assignment operation on it, and refuses a policy write
        // meanwhile; after the transport's retries, the fences wait for their turn like an operation IN_PROGRESS.
        var sso = new RecordingHandler();
        for (var i = 0; i < 10; i++)
            sso.RespondError(HttpStatusCode.BadRequest, """{"__type":"ConflictException","Message":"The permission set is being provisioned."}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        var waiting = await Assert.ThrowsAsync<OperationInProgressException>(() => policies.WriteInlinePolicyAsync(PermissionSet, """{"Version":"2012-10-17","Statement":[]}"""));

        Assert.InRange(waiting.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.Contains("being provisioned", waiting.Message);
        Assert.All(sso.Requests, r => Assert.EndsWith("PutInlinePolicyToPermissionSet", r.Target));
    }

    [Fact]
    public async Task A_provisioning_refused_while_another_runs_on_the_permission_set_is_handed_back_to_look_again_not_failed()
    {
        // Seen in the 1,000-grant expiry: the permission set's own assignment deletions provision it, and
        // ProvisionPermissionSet answers ConflictException meanwhile. The write is done; provisioning it waits its turn.
        var sso = new RecordingHandler()
            .Respond("{}")
            .Respond("""{"AccountIds":["111111111111"]}""");
        for (var i = 0; i < 10; i++)
            sso.RespondError(HttpStatusCode.BadRequest, """{"__type":"ConflictException","Message":"A provisioning of this permission set is in progress in one or more accounts."}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        var waiting = await Assert.ThrowsAsync<OperationInProgressException>(() => policies.WriteInlinePolicyAsync(PermissionSet, """{"Version":"2012-10-17","Statement":[]}"""));

        Assert.InRange(waiting.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.Contains("provisioning", waiting.Message);
        Assert.Equal("ProvisionPermissionSet", sso.Requests[^1].Target[(sso.Requests[^1].Target.IndexOf('.') + 1)..]);
    }

    [Fact]
    public async Task A_write_waits_for_IN_PROGRESS_provisioning_to_succeed()
    {
        var sso = new RecordingHandler()
            .Respond("{}")
            .Respond("""{"AccountIds":["111111111111"],"NextToken":"more"}""") // one account is enough: no second page
            .Respond($$$"""{"PermissionSetProvisioningStatus":{"Status":"IN_PROGRESS","RequestId":"{{{OperationId}}}","PermissionSetArn":"{{{PermissionSet}}}"}}""")
            .Respond($$$"""{"PermissionSetProvisioningStatus":{"Status":"SUCCEEDED","RequestId":"{{{OperationId}}}","PermissionSetArn":"{{{PermissionSet}}}"}}""");
        var policies = new PermissionSetPolicies(Sso(sso), Options);

        await policies.WriteInlinePolicyAsync(PermissionSet, """{"Version":"2012-10-17","Statement":[]}""");

        Assert.Equal(
            ["PutInlinePolicyToPermissionSet", "ListAccountsForProvisionedPermissionSet", "ProvisionPermissionSet", "DescribePermissionSetProvisioningStatus"],
            sso.Requests.Select(r => r.Target[(r.Target.IndexOf('.') + 1)..]));
        Assert.Equal(
            $$"""{"InstanceArn":"{{Instance}}","PermissionSetArn":"{{PermissionSet}}","TargetType":"ALL_PROVISIONED_ACCOUNTS"}""",
            sso.Requests[2].Body);
    }

    // ---- directory ----

    [Fact]
    public async Task A_permission_set_without_SessionDuration_gets_one_hour()
    {
        var sso = new RecordingHandler()
            .Respond($$$"""{"PermissionSet":{"Name":"ReadOnly","PermissionSetArn":"{{{PermissionSet}}}","SessionDuration":null}}""");
        var directory = new IdentityCenterDirectory(Sso(sso), StoreClient(new RecordingHandler()), Options, new ManualTimeProvider());

        Assert.Equal(TimeSpan.FromHours(1), await directory.GetSessionDurationAsync(PermissionSet));
    }

    [Fact]
    public async Task Session_duration_reads_made_while_one_is_in_flight_or_within_a_second_of_its_sending_share_it_and_a_later_read_asks_AWS_again()
    {
        using var release = new ManualResetEventSlim();
        var sso = new RecordingHandler()
            .Respond($$$"""{"PermissionSet":{"Name":"Admin","PermissionSetArn":"{{{PermissionSet}}}","SessionDuration":"PT2H"}}""")
            .Respond($$$"""{"PermissionSet":{"Name":"Admin","PermissionSetArn":"{{{PermissionSet}}}","SessionDuration":"PT4H"}}""");
        sso.OnRequest = _ => release.Wait(TimeSpan.FromSeconds(10));
        var time = new ManualTimeProvider();
        var directory = new IdentityCenterDirectory(Sso(sso), StoreClient(new RecordingHandler()), Options, time);

        var first = Task.Run(() => directory.GetSessionDurationAsync(PermissionSet));
        for (var waited = 0; sso.Requests.Count == 0 && waited < 1000; waited++) await Task.Delay(10);
        var second = Task.Run(() => directory.GetSessionDurationAsync(PermissionSet)); // a burst's next grant, while AWS answers the first
        await Task.Delay(100);
        release.Set();

        Assert.Equal(TimeSpan.FromHours(2), await first);
        Assert.Equal(TimeSpan.FromHours(2), await second);
        time.Advance(TimeSpan.FromMilliseconds(900)); // answered, but sent under a second ago: as fresh as one in flight
        Assert.Equal(TimeSpan.FromHours(2), await directory.GetSessionDurationAsync(PermissionSet));
        Assert.Single(sso.Requests);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromHours(4), await directory.GetSessionDurationAsync(PermissionSet)); // never kept longer
        Assert.Equal(2, sso.Requests.Count);
    }

    [Fact]
    public async Task A_failed_session_duration_read_is_not_shared_with_a_read_after_it()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"AccessDeniedException","Message":"not allowed for now"}""")
            .Respond($$$"""{"PermissionSet":{"Name":"Admin","PermissionSetArn":"{{{PermissionSet}}}","SessionDuration":"PT2H"}}""");
        var directory = new IdentityCenterDirectory(Sso(sso), StoreClient(new RecordingHandler()), Options, new ManualTimeProvider());

        await Assert.ThrowsAnyAsync<Exception>(() => directory.GetSessionDurationAsync(PermissionSet));

        Assert.Equal(TimeSpan.FromHours(2), await directory.GetSessionDurationAsync(PermissionSet));
        Assert.Equal(2, sso.Requests.Count);
    }

    [Fact]
    public async Task A_SessionDuration_that_is_not_ISO_8601_fails_naming_the_value()
    {
        var sso = new RecordingHandler()
            .Respond($$$"""{"PermissionSet":{"Name":"ReadOnly","PermissionSetArn":"{{{PermissionSet}}}","SessionDuration":"4 hours"}}""");
        var directory = new IdentityCenterDirectory(Sso(sso), StoreClient(new RecordingHandler()), Options, new ManualTimeProvider());

        var failure = await Assert.ThrowsAsync<FormatException>(() => directory.GetSessionDurationAsync(PermissionSet));

        Assert.Contains("'4 hours'", failure.Message);
        Assert.Contains(PermissionSet, failure.Message);
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        var sso = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"AccessDeniedException","message":"no"}""")
            .Respond($$"""{"AccountAssignments":[{"AccountId":"{{Account}}","PermissionSetArn":"{{PermissionSet}}","PrincipalId":"{{Group}}","PrincipalType":"GROUP"}]}""");
        var directory = new IdentityCenterDirectory(Sso(sso), StoreClient(new RecordingHandler()), Options, new ManualTimeProvider());

        await Assert.ThrowsAsync<AwsServiceException>(() => directory.GetGroupAssignmentsAsync(Group));
        var assignments = await directory.GetGroupAssignmentsAsync(Group);

        Assert.Equal([new PermissionSetAccount(PermissionSet, Account)], assignments.ToArray());
    }

    [Fact]
    public async Task Two_permission_sets_with_one_name_are_reported_as_ambiguous()
    {
        const string other = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-fedcba0987654321";
        var sso = new RecordingHandler()
            .Respond($$"""{"PermissionSets":["{{PermissionSet}}","{{other}}"]}""")
            .Respond($$$"""{"PermissionSet":{"Name":"Admin","PermissionSetArn":"{{{PermissionSet}}}"}}""")
            .Respond($$$"""{"PermissionSet":{"Name":"Admin","PermissionSetArn":"{{{other}}}"}}""");
        var directory = new IdentityCenterDirectory(Sso(sso), StoreClient(new RecordingHandler()), Options, new ManualTimeProvider());

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => directory.ResolvePermissionSetArnAsync("Admin"));

        Assert.Contains(PermissionSet, failure.Message);
        Assert.Contains(other, failure.Message);
    }

    // ---- helpers ----

    private SsoAdminClient Sso(RecordingHandler handler, ManualTimeProvider? time = null, Action<SsoAdminClientOptions>? configure = null) =>
        Own(WireClients.SsoAdmin(handler, time, configure));

    private IdentityStoreClient StoreClient(RecordingHandler handler, ManualTimeProvider? time = null) => Own(WireClients.IdentityStore(handler, time));

    private T Own<T>(T client) where T : IDisposable
    {
        _clients.Add(client);
        return client;
    }

    private IdentityCenterEntitlements Entitlements(
        RecordingHandler sso, RecordingHandler store, ManualTimeProvider? time = null, Action<SsoAdminClientOptions>? configureSso = null) =>
        new(Sso(sso, time, configureSso), StoreClient(store, time), Options, time);

    private static string MembershipPage((string MembershipId, string GroupId) membership, string? nextToken)
    {
        var token = nextToken is null ? "null" : $"\"{nextToken}\"";
        return $$$"""{"GroupMemberships":[{"IdentityStoreId":"{{{Store}}}","MembershipId":"{{{membership.MembershipId}}}","GroupId":"{{{membership.GroupId}}}","MemberId":{"UserId":"{{{User}}}"}}],"NextToken":{{{token}}}}""";
    }

    private static string AssignmentList(params (string Type, string Id)[] principals) => AssignmentList(null, principals);

    private static string AssignmentList(string? nextToken, params (string Type, string Id)[] principals)
    {
        var items = principals.Select(p =>
            $$"""{"AccountId":"{{Account}}","PermissionSetArn":"{{PermissionSet}}","PrincipalType":"{{p.Type}}","PrincipalId":"{{p.Id}}"}""");
        var token = nextToken is null ? "" : $$""","NextToken":"{{nextToken}}" """.TrimEnd();
        return $$"""{"AccountAssignments":[{{string.Join(",", items)}}]{{token}}}""";
    }

    private static string AssignmentStatus(string member, string status, string? failureReason = null)
    {
        var reason = failureReason is null ? "" : $",\"FailureReason\":\"{failureReason}\"";
        return $$$"""{"{{{member}}}":{"Status":"{{{status}}}","RequestId":"{{{OperationId}}}","TargetId":"{{{Account}}}","TargetType":"AWS_ACCOUNT","PermissionSetArn":"{{{PermissionSet}}}","PrincipalType":"USER","PrincipalId":"{{{User}}}"{{{reason}}}}}""";
    }
}
