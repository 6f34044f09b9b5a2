using System.Net;
using System.Text.Json.Nodes;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>Asynchronous sso-admin operations: the outstanding-operation cap and the start-and-wait helpers.</summary>
public sealed class AssignmentOperationTests
{
    private const string Instance = "arn:aws:sso:::instance/ssoins-0123456789abcdef";

    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";
    private const string OtherPermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-fedcba9876543210";

    private static AccountAssignmentRequest Assignment(string account = "111122223333", string permissionSet = PermissionSet) => new()
    {
        InstanceArn = Instance, TargetId = account, PermissionSetArn = permissionSet,
        PrincipalType = PrincipalTypes.User, PrincipalId = "9d976f61-3b89-4b98-88db-2ea3bbc1f3fa",
    };

    private static string Creation(string status, string id, string? reason = null) => Status("AccountAssignmentCreationStatus", status, id, reason);

    private static string Deletion(string status, string id) => Status("AccountAssignmentDeletionStatus", status, id, null);

    private static string Provisioning(string status, string id, string? reason = null) => Status("PermissionSetProvisioningStatus", status, id, reason);

    // FailureReason is sent as an explicit null when absent, as moto does.
    private static string Status(string member, string status, string id, string? reason) => new JsonObject
    {
        [member] = new JsonObject { ["Status"] = status, ["RequestId"] = id, ["FailureReason"] = reason, ["CreatedDate"] = 1767225600.5 },
    }.ToJsonString();

    [Fact]
    public async Task At_most_the_configured_number_of_operations_are_outstanding_until_a_status_call_sees_one_finish()
    {
        var handler = new RecordingHandler();
        for (var i = 0; i < 3; i++) handler.Respond(Creation("IN_PROGRESS", $"r{i}"));
        handler.Respond(Creation("SUCCEEDED", "r0")); // the Describe call
        handler.Respond(Creation("IN_PROGRESS", "r3"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.MaxOutstandingAssignmentOperations = 3);

        for (var i = 0; i < 3; i++) await client.CreateAccountAssignmentAsync(Assignment());
        Assert.Equal(0, client.AvailableOperationSlots);

        var fourth = client.CreateAccountAssignmentAsync(Assignment("444455556666"));
        Assert.False(fourth.IsCompleted);
        Assert.Equal(3, handler.Requests.Count); // the fourth waits for a slot before sending anything

        var status = await client.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = Instance, AccountAssignmentCreationRequestId = "r0" });
        Assert.Equal(OperationStatuses.Succeeded, status.Status);

        var started = await fourth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("r3", started.AccountAssignmentCreationStatus!.RequestId);
        Assert.Equal("444455556666", handler.Requests[^1].Json.GetProperty("TargetId").GetString());
    }

    [Fact]
    public async Task Creations_may_take_every_slot_but_a_waiting_deletion_takes_the_next_one_freed_before_any_waiting_creation()
    {
        var handler = new RecordingHandler();
        for (var i = 0; i < 3; i++) handler.Respond(Creation("IN_PROGRESS", $"r{i}"));
        handler.Respond(Creation("SUCCEEDED", "r0")); // the Describe call
        handler.Respond(Deletion("IN_PROGRESS", "d0"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.MaxOutstandingAssignmentOperations = 3);

        for (var i = 0; i < 3; i++) await client.CreateAccountAssignmentAsync(Assignment());
        Assert.Equal(0, client.AvailableOperationSlots);
        var fourth = client.CreateAccountAssignmentAsync(Assignment("444455556666"));
        var deletion = client.DeleteAccountAssignmentAsync(Assignment("777788889999"));
        Assert.False(deletion.IsCompleted);

        await client.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = Instance, AccountAssignmentCreationRequestId = "r0" });

        Assert.Equal("d0", (await deletion.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentDeletionStatus!.RequestId);
        Assert.False(fourth.IsCompleted); // queued first, yet behind the removal
        Assert.Equal(5, handler.Requests.Count);
        Assert.Equal("777788889999", handler.Requests[^1].Json.GetProperty("TargetId").GetString());
    }

    [Fact]
    public async Task A_deletion_that_stops_waiting_for_a_slot_is_passed_over_and_the_slot_goes_to_the_next_waiting_creation()
    {
        var handler = new RecordingHandler()
            .Respond(Creation("IN_PROGRESS", "r0"))
            .Respond(Creation("SUCCEEDED", "r0")) // the Describe call
            .Respond(Creation("IN_PROGRESS", "r1"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.MaxOutstandingAssignmentOperations = 1);
        await client.CreateAccountAssignmentAsync(Assignment());
        using var giveUp = new CancellationTokenSource();
        var deletion = client.DeleteAccountAssignmentAsync(Assignment("777788889999"), giveUp.Token);
        var creation = client.CreateAccountAssignmentAsync(Assignment("444455556666"));

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => deletion);
        await client.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = Instance, AccountAssignmentCreationRequestId = "r0" });

        Assert.Equal("r1", (await creation.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentCreationStatus!.RequestId);
        Assert.Equal(0, client.AvailableOperationSlots);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Calls_on_an_operation_that_holds_a_slot_are_sent_ahead_of_requests_already_waiting_at_the_rate_limit()
    {
        // Each moment such a call waits keeps one of AWS's 15 slots idle; a listing waiting a little longer costs nothing.
        var time = StoppedClock();
        var handler = new RecordingHandler().RespondByOperation(5, operation => RecordingHandler.Answer(HttpStatusCode.OK, operation switch
    {
        "CreateAccountAssignment" => Creation("IN_PROGRESS", "r1"),
        "DescribeAccountAssignmentCreationStatus" => Creation("SUCCEEDED", "r0"),
        _ => """{"AccountAssignments":[]}""",
    }));
        using var client = WireClients.SsoAdmin(handler, time);
        var listing = new ListAccountAssignmentsForPrincipalRequest { InstanceArn = Instance, PrincipalId = "u", PrincipalType = PrincipalTypes.User };
        await client.ListAccountAssignmentsForPrincipalAsync(listing).ToListAsync(); // takes the limiter's slot now

        var waiting = new[] { client.ListAccountAssignmentsForPrincipalAsync(listing).ToListAsync(), client.ListAccountAssignmentsForPrincipalAsync(listing).ToListAsync() };
        var status = client.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = Instance, AccountAssignmentCreationRequestId = "r0" });
        var creation = client.CreateAccountAssignmentAsync(Assignment());
        for (var sent = 1; sent < 5; sent++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            for (var i = 0; i < 200 && handler.Requests.Count == sent; i++) await Task.Delay(5);
        }

        await Task.WhenAll([status, creation, .. waiting]).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(
            ["ListAccountAssignmentsForPrincipal", "DescribeAccountAssignmentCreationStatus", "CreateAccountAssignment", "ListAccountAssignmentsForPrincipal", "ListAccountAssignmentsForPrincipal"],
            handler.Requests.Select(r => r.Operation));
    }

    [Theory]
    [InlineData("GetInlinePolicyForPermissionSet")]
    [InlineData("PutInlinePolicyToPermissionSet")]
    [InlineData("ListAccountsForProvisionedPermissionSet")]
    [InlineData("ProvisionPermissionSet")]
    [InlineData("DescribePermissionSetProvisioningStatus")]
    public async Task A_fence_policy_call_is_sent_ahead_of_requests_already_waiting_at_the_rate_limit(string operation)
    {
        // A mass expiry's listings fill the queue; a session outliving its access waits on these few calls.
        var time = StoppedClock();
        var handler = new RecordingHandler().RespondByOperation(4, operation => RecordingHandler.Answer(HttpStatusCode.OK, operation switch
        {
            "ProvisionPermissionSet" or "DescribePermissionSetProvisioningStatus" => Provisioning("IN_PROGRESS", "p1"),
            "GetInlinePolicyForPermissionSet" => """{"InlinePolicy":""}""",
            "ListAccountsForProvisionedPermissionSet" => """{"AccountIds":[]}""",
            _ => """{"AccountAssignments":[]}""",
        }));
        using var client = WireClients.SsoAdmin(handler, time);
        var listing = new ListAccountAssignmentsForPrincipalRequest { InstanceArn = Instance, PrincipalId = "u", PrincipalType = PrincipalTypes.User };
        await client.ListAccountAssignmentsForPrincipalAsync(listing).ToListAsync(); // takes the limiter's slot now
        var waiting = new[] { client.ListAccountAssignmentsForPrincipalAsync(listing).ToListAsync(), client.ListAccountAssignmentsForPrincipalAsync(listing).ToListAsync() };

        var ps = new PermissionSetRequest { InstanceArn = Instance, PermissionSetArn = PermissionSet };
        Task call = operation switch
        {
            "GetInlinePolicyForPermissionSet" => client.GetInlinePolicyForPermissionSetAsync(ps),
            "PutInlinePolicyToPermissionSet" => client.PutInlinePolicyToPermissionSetAsync(Fences()),
            "ListAccountsForProvisionedPermissionSet" => client.ListAccountsForProvisionedPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet }).ToListAsync(),
            "ProvisionPermissionSet" => client.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts }),
            _ => client.DescribePermissionSetProvisioningStatusAsync(new() { InstanceArn = Instance, ProvisionPermissionSetRequestId = "p1" }),
        };
        for (var sent = 1; sent < 4; sent++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            for (var i = 0; i < 200 && handler.Requests.Count == sent; i++) await Task.Delay(5);
        }

        await Task.WhenAll([call, .. waiting]).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(operation, handler.Requests[1].Operation);
    }

    private const string Busy = """{"__type":"ConflictException","Message":"The permission set is being provisioned."}""";

    /// <summary>Moves a stopped clock 50 ms at a time, at most <paramref name="steps"/> times, until <paramref name="task"/> completes: its request gets its turn at the rate limiter.</summary>
    private static async Task AdvanceUntilAsync(ManualTimeProvider time, Task task, int steps = 50)
    {
        for (var i = 0; i < steps && !task.IsCompleted; i++)
        {
            await Task.Delay(10);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>A clock that moves only when the test says: a turn's hold is timed.</summary>
    private static ManualTimeProvider StoppedClock() => new(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero));

    private static PutInlinePolicyToPermissionSetRequest Fences() => new()
    {
        InstanceArn = Instance, PermissionSetArn = PermissionSet, InlinePolicy = """{"Version":"2012-10-17","Statement":[]}""",
    };

    [Fact]
    public async Task A_policy_write_refused_as_busy_holds_new_assignment_operations_on_its_permission_set_until_its_provisioning_starts()
    {
        // A mass expiry's deletions keep an operation on the permission set running; the fences' write needs a gap.
        var time = StoppedClock();
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, Busy)
            .Respond(Deletion("IN_PROGRESS", "d-other"))
            .Respond(Provisioning("IN_PROGRESS", "p1"))
            .Respond(Deletion("IN_PROGRESS", "d0"));
        using var client = WireClients.SsoAdmin(handler, time, o => o.Retry.MaxAttempts = 1);

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences()));
        Assert.Equal("ConflictException", refused.ErrorCode);
        time.Advance(TimeSpan.FromSeconds(1));
        var held = client.DeleteAccountAssignmentAsync(Assignment("777788889999"));
        await client.DeleteAccountAssignmentAsync(Assignment("777788880000", OtherPermissionSet)).WaitAsync(TimeSpan.FromSeconds(10)); // not held
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(held.IsCompleted);
        Assert.Equal(2, handler.Requests.Count);

        await client.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts });

        await AdvanceUntilAsync(time, held); // its request then waits its turn at the rate limiter

        Assert.Equal("d0", (await held.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentDeletionStatus!.RequestId);
    }

    [Fact]
    public async Task A_turn_also_holds_an_operation_that_was_already_waiting_for_a_slot_when_the_write_was_refused()
    {
        // More workers than slots: a drain always has deletions queued for a slot, past the turn's first check.
        var time = StoppedClock();
        var handler = new RecordingHandler().RespondByOperation(5, operation => operation switch
        {
            "CreateAccountAssignment" => RecordingHandler.Answer(HttpStatusCode.OK, Creation("IN_PROGRESS", "r0")),
            "PutInlinePolicyToPermissionSet" => RecordingHandler.Answer(HttpStatusCode.BadRequest, Busy),
            "DescribeAccountAssignmentCreationStatus" => RecordingHandler.Answer(HttpStatusCode.OK, Creation("SUCCEEDED", "r0")),
            "ProvisionPermissionSet" => RecordingHandler.Answer(HttpStatusCode.OK, Provisioning("IN_PROGRESS", "p1")),
            _ => RecordingHandler.Answer(HttpStatusCode.OK, Deletion("IN_PROGRESS", "d0")),
        });
        using var client = WireClients.SsoAdmin(handler, time, o => { o.Retry.MaxAttempts = 1; o.MaxOutstandingAssignmentOperations = 1; });
        await client.CreateAccountAssignmentAsync(Assignment("444455556666"));
        var queued = client.DeleteAccountAssignmentAsync(Assignment("777788889999"));
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences()));
        time.Advance(TimeSpan.FromSeconds(1));

        await client.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = Instance, AccountAssignmentCreationRequestId = "r0" });
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(10);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        Assert.False(queued.IsCompleted);
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(1, client.AvailableOperationSlots); // the slot it was handed went back

        await client.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts });
        await AdvanceUntilAsync(time, queued);

        Assert.Equal("d0", (await queued.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentDeletionStatus!.RequestId);
    }

    [Fact]
    public async Task The_first_refused_attempt_asks_the_turn_while_the_client_still_retries_the_write()
    {
        // The client retries a ConflictException for seconds; a turn asked only once it gives up comes too late.
        var time = StoppedClock();
        var handler = new RecordingHandler().RespondByOperation(7, operation => operation switch
        {
            "PutInlinePolicyToPermissionSet" => RecordingHandler.Answer(HttpStatusCode.BadRequest, Busy),
            "ProvisionPermissionSet" => RecordingHandler.Answer(HttpStatusCode.OK, Provisioning("IN_PROGRESS", "p1")),
            _ => RecordingHandler.Answer(HttpStatusCode.OK, Deletion("IN_PROGRESS", "d0")),
        });
        using var client = WireClients.SsoAdmin(handler, time, o => o.Retry.Jitter = () => 0);
        var write = client.PutInlinePolicyToPermissionSetAsync(Fences());
        for (var i = 0; i < 200 && handler.Requests.Count == 0; i++) await Task.Delay(5);

        var held = client.DeleteAccountAssignmentAsync(Assignment("777788889999"));
        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            for (var j = 0; j < 200 && handler.Requests.Count == i + 1; j++) await Task.Delay(5);
        }

        Assert.Equal(Enumerable.Repeat("SWBExternalService.PutInlinePolicyToPermissionSet", 5), handler.Requests.Select(r => r.Target));
        Assert.Equal("ConflictException", (await Assert.ThrowsAsync<AwsServiceException>(() => write)).ErrorCode);
        Assert.False(held.IsCompleted);

        var provisioning = client.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts });
        await AdvanceUntilAsync(time, held);

        await provisioning.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("d0", (await held.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentDeletionStatus!.RequestId);
    }

    [Fact]
    public async Task A_turn_holds_assignment_operations_ten_seconds_at_most_and_one_that_ran_out_unused_is_not_granted_again_for_a_minute()
    {
        var time = StoppedClock();
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, Busy)
            .Respond(Deletion("IN_PROGRESS", "d0"))
            .RespondError(HttpStatusCode.BadRequest, Busy)
            .Respond(Deletion("IN_PROGRESS", "d1"));
        using var client = WireClients.SsoAdmin(handler, time, o => o.Retry.MaxAttempts = 1);
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences()));
        time.Advance(TimeSpan.FromSeconds(1));
        var held = client.DeleteAccountAssignmentAsync(Assignment("777788889999"));
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.False(held.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("d0", (await held.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentDeletionStatus!.RequestId);

        time.Advance(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences()));
        time.Advance(TimeSpan.FromSeconds(1));
        var next = await client.DeleteAccountAssignmentAsync(Assignment("777788880000")).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("d1", next.AccountAssignmentDeletionStatus!.RequestId);
    }

    [Fact]
    public async Task Turns_hold_a_permission_set_a_tenth_of_the_time_at_most_and_a_write_refused_between_them_is_not_retried()
    {
        // Each turn stops the permission set's drain while its running operations end; a mass expiry would ask one
        // every few seconds and lose a third of its pace.
        var time = StoppedClock();
        var handler = new RecordingHandler().RespondByOperation(6, operation => operation switch
        {
            "PutInlinePolicyToPermissionSet" => RecordingHandler.Answer(HttpStatusCode.BadRequest, Busy),
            "ProvisionPermissionSet" => RecordingHandler.Answer(HttpStatusCode.OK, Provisioning("IN_PROGRESS", "p1")),
            _ => RecordingHandler.Answer(HttpStatusCode.OK, Deletion("IN_PROGRESS", "d0")),
        });
        using var client = WireClients.SsoAdmin(handler, time, o => o.Retry.MaxAttempts = 1);
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences())); // a turn, held 2 s
        time.Advance(TimeSpan.FromSeconds(2));
        await client.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts });

        time.Advance(TimeSpan.FromSeconds(17)); // 1 s before nine times the turn's 2 s have passed since it ended
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences()));
        var notHeld = client.DeleteAccountAssignmentAsync(Assignment("777788889999"));
        await AdvanceUntilAsync(time, notHeld, steps: 10); // its request waits its turn at the rate limiter, no longer

        Assert.Equal("d0", (await notHeld.WaitAsync(TimeSpan.FromSeconds(10))).AccountAssignmentDeletionStatus!.RequestId);
        time.Advance(TimeSpan.FromSeconds(1)); // nine times 2 s have passed
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences()));
        var held = client.DeleteAccountAssignmentAsync(Assignment("777788880000"));
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(10);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.False(held.IsCompleted);
        Assert.Equal(5, handler.Requests.Count);
    }

    [Fact]
    public async Task A_write_refused_while_no_turn_can_be_granted_is_handed_back_at_once_instead_of_retried()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler().RespondByOperation(12, operation => operation == "ProvisionPermissionSet"
            ? RecordingHandler.Answer(HttpStatusCode.OK, Provisioning("IN_PROGRESS", "p1"))
            : RecordingHandler.Answer(HttpStatusCode.BadRequest, Busy));
        using var client = WireClients.SsoAdmin(handler, time, o => o.Retry.Jitter = () => 0);
        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences())); // a turn: retried
        Assert.Equal(5, handler.Requests.Count);
        await client.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts });

        await Assert.ThrowsAsync<AwsServiceException>(() => client.PutInlinePolicyToPermissionSetAsync(Fences())); // too soon for another
        Assert.Equal(7, handler.Requests.Count);
    }

    [Fact]
    public async Task Operations_that_finish_at_once_or_fail_to_start_hold_no_slot()
    {
        var handler = new RecordingHandler()
            .Respond(Creation("SUCCEEDED", "r1"))
            .RespondError(HttpStatusCode.Forbidden, """{"__type":"AccessDeniedException","Message":"no"}""")
            .Respond(Deletion("FAILED", "r2"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.MaxOutstandingAssignmentOperations = 1);

        await client.CreateAccountAssignmentAsync(Assignment());
        await Assert.ThrowsAsync<AwsServiceException>(() => client.CreateAccountAssignmentAsync(Assignment()));
        await client.DeleteAccountAssignmentAsync(Assignment());

        Assert.Equal(1, client.AvailableOperationSlots);
    }

    [Fact]
    public async Task Create_and_wait_looks_after_the_first_pause_then_a_moment_later_then_with_doubling_pauses_until_success_and_frees_the_slot()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler()
            .Respond(Creation("IN_PROGRESS", "r1"))
            .Respond(Creation("IN_PROGRESS", "r1"))
            .Respond(Creation("IN_PROGRESS", "r1"))
            .Respond(Creation("IN_PROGRESS", "r1"))
            .Respond(Creation("SUCCEEDED", "r1"));
        using var client = WireClients.SsoAdmin(handler, time, o => o.RequestsPerSecond = 1000);

        var status = await client.CreateAccountAssignmentAndWaitAsync(Assignment());

        Assert.Equal(OperationStatuses.Succeeded, status.Status);
        Assert.Equal(15, client.AvailableOperationSlots);
        Assert.Equal("SWBExternalService.DescribeAccountAssignmentCreationStatus", handler.Requests[1].Target);
        Assert.Equal("r1", handler.Requests[1].Json.GetProperty("AccountAssignmentCreationRequestId").GetString());
        var pauses = time.Delays.Where(d => d >= TimeSpan.FromMilliseconds(200)).Select(d => d.TotalSeconds);
        Assert.Equal([1, 0.25, 1.75, 4], pauses); // looks at 1, 1.25, 3 and 7 s
    }

    [Fact]
    public async Task Delete_and_wait_polls_the_deletion_status()
    {
        var handler = new RecordingHandler().Respond(Deletion("IN_PROGRESS", "d1")).Respond(Deletion("SUCCEEDED", "d1"));
        using var client = WireClients.SsoAdmin(handler);

        var status = await client.DeleteAccountAssignmentAndWaitAsync(Assignment());

        Assert.Equal(OperationStatuses.Succeeded, status.Status);
        Assert.Equal("SWBExternalService.DescribeAccountAssignmentDeletionStatus", handler.Requests[1].Target);
        Assert.Equal("d1", handler.Requests[1].Json.GetProperty("AccountAssignmentDeletionRequestId").GetString());
    }

    [Fact]
    public async Task A_failed_operation_throws_with_its_FailureReason_and_frees_the_slot()
    {
        var handler = new RecordingHandler()
            .Respond(Creation("IN_PROGRESS", "r1"))
            .Respond(Creation("FAILED", "r1", "Received a 404 status error: No permission set provisioned"));
        using var client = WireClients.SsoAdmin(handler);

        var error = await Assert.ThrowsAsync<AwsOperationException>(() => client.CreateAccountAssignmentAndWaitAsync(Assignment()));

        Assert.Equal("FAILED", error.Status);
        Assert.Equal("r1", error.RequestId);
        Assert.False(error.TimedOut);
        Assert.Contains("No permission set provisioned", error.Message);
        Assert.Equal(15, client.AvailableOperationSlots);
    }

    [Fact]
    public async Task An_operation_still_in_progress_at_the_deadline_times_out_and_gives_its_slot_back()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler();
        for (var i = 0; i < 20; i++) handler.Respond(Creation("IN_PROGRESS", "r1"));
        using var client = WireClients.SsoAdmin(handler, time, o => o.OperationTimeout = TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<AwsOperationException>(() => client.CreateAccountAssignmentAndWaitAsync(Assignment()));

        Assert.True(error.TimedOut);
        Assert.Equal("IN_PROGRESS", error.Status);
        Assert.Contains("may finish later", error.Message);
        Assert.Equal(15, client.AvailableOperationSlots);
        Assert.InRange(handler.Requests.Count, 4, 6); // the start, then looks at 1, 1.25, 3, 7 and 12 s for a 10 s deadline
    }

    [Fact]
    public async Task Provision_and_wait_polls_until_done_and_reports_failure_reasons()
    {
        var handler = new RecordingHandler()
            .Respond(Provisioning("IN_PROGRESS", "p1"))
            .Respond(Provisioning("FAILED", "p1", "Concurrent role update in account"));
        using var client = WireClients.SsoAdmin(handler);
        var request = new ProvisionPermissionSetRequest
        {
            InstanceArn = Instance, PermissionSetArn = "ps", TargetType = ProvisionTargetTypes.AwsAccount, TargetId = "111122223333",
        };

        var error = await Assert.ThrowsAsync<AwsOperationException>(() => client.ProvisionPermissionSetAndWaitAsync(request));

        Assert.Equal("SWBExternalService.DescribePermissionSetProvisioningStatus", handler.Requests[1].Target);
        Assert.Equal("p1", handler.Requests[1].Json.GetProperty("ProvisionPermissionSetRequestId").GetString());
        Assert.Contains("Concurrent role update", error.FailureReason);
    }

    [Fact]
    public async Task Provisioning_one_account_without_its_id_is_rejected_before_sending()
    {
        var handler = new RecordingHandler();
        using var client = WireClients.SsoAdmin(handler);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.ProvisionPermissionSetAsync(new()
        {
            InstanceArn = Instance, PermissionSetArn = "ps", TargetType = ProvisionTargetTypes.AwsAccount,
        }));

        Assert.Contains("TargetId", error.Message);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task A_start_response_without_a_status_is_a_typed_error_and_holds_no_slot()
    {
        var handler = new RecordingHandler().Respond("{}");
        using var client = WireClients.SsoAdmin(handler);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.CreateAccountAssignmentAsync(Assignment()));

        Assert.Equal(AwsServiceException.MalformedResponse, error.ErrorCode);
        Assert.Equal(15, client.AvailableOperationSlots);
    }
}
