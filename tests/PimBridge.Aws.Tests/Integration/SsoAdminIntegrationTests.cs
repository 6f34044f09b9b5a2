using System.Text.RegularExpressions;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Integration;

[Collection(MotoCollection.Name)]
public sealed class SsoAdminIntegrationTests(MotoFixture moto)
{
    private const string Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::café-reports/*"}]}""";

    private readonly MotoSeed _seed = new(moto);

    // ---- ListInstances ----

    [Fact]
    public async Task ListInstances_returns_motos_single_active_instance_with_its_identity_store()
    {
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var instances = await client.ListInstancesAsync().ToListAsync();

        var instance = Assert.Single(instances);
        Assert.Matches(new Regex("^arn:aws:sso:::instance/ssoins-[a-z0-9]{16}$"), instance.InstanceArn);
        Assert.Matches(new Regex("^d-[a-z0-9]{10}$"), instance.IdentityStoreId);
        Assert.Equal("123456789012", instance.OwnerAccountId);
        Assert.Equal("ACTIVE", instance.Status);
        Assert.Null(instance.Name); // moto sends an explicit "Name": null
        var raw = Assert.Single(recorder.Of("ListInstances")).Response.GetProperty("Instances")[0].GetProperty("CreatedDate").GetDouble();
        Assert.Equal(MotoAssert.FromEpochSeconds(raw), instance.CreatedDate);
        Assert.InRange(instance.CreatedDate!.Value, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    // ---- DescribePermissionSet / ListPermissionSets ----

    [Fact]
    public async Task DescribePermissionSet_returns_name_session_duration_and_created_date_with_its_fraction()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        var name = MotoSeed.Unique("describe");
        var before = DateTimeOffset.UtcNow;
        var arn = await _seed.CreatePermissionSetAsync(name, "PT2H");
        var after = DateTimeOffset.UtcNow;
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var described = await client.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = instanceArn, PermissionSetArn = arn });

        var set = Assert.IsType<PermissionSet>(described.PermissionSet);
        Assert.Equal(name, set.Name);
        Assert.Equal(arn, set.PermissionSetArn);
        Assert.Equal("PT2H", set.SessionDuration);
        Assert.Equal($"{name} for tests", set.Description);
        Assert.Null(set.RelayState); // explicit null from moto
        // moto sends e.g. 1795317628.952722: the typed value keeps the milliseconds, not just the whole seconds.
        var raw = Assert.Single(recorder.Of("DescribePermissionSet")).Response.GetProperty("PermissionSet").GetProperty("CreatedDate").GetDouble();
        Assert.Equal(MotoAssert.FromEpochSeconds(raw), set.CreatedDate);
        Assert.InRange(set.CreatedDate!.Value, before.AddSeconds(-5), after.AddSeconds(5));
    }

    [Fact]
    public async Task ListPermissionSets_with_MaxResults_1_streams_every_permission_set_exactly_once_over_several_pages()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        string[] created =
        [
            await _seed.CreatePermissionSetAsync(MotoSeed.Unique("page-a")),
            await _seed.CreatePermissionSetAsync(MotoSeed.Unique("page-b")),
            await _seed.CreatePermissionSetAsync(MotoSeed.Unique("page-c")),
        ];
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder, o => o.RequestsPerSecond = 200);

        var listed = await client.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = instanceArn, MaxResults = 1 }).ToListAsync();

        foreach (var arn in created)
            Assert.Single(listed, arn);
        Assert.Equal(listed.Count, listed.Distinct().Count());
        var pages = recorder.Of("ListPermissionSets");
        Assert.True(pages.Count >= 3, $"expected at least 3 pages, got {pages.Count}");
        Assert.Equal(listed.Count, pages.Count); // one item per page, and no empty trailing page
        MotoAssert.TokensChained(pages);
    }

    // ---- Inline policies ----

    [Fact]
    public async Task GetInlinePolicy_returns_null_when_the_permission_set_has_none()
    {
        var request = await NewPermissionSetRequestAsync("no-policy");
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var response = await client.GetInlinePolicyForPermissionSetAsync(request);

        Assert.Null(response.InlinePolicy);
        // What moto actually sent: an empty string, which the client normalises to null.
        Assert.Equal("", Assert.Single(recorder.Of("GetInlinePolicyForPermissionSet")).Response.GetProperty("InlinePolicy").GetString());
    }

    [Fact]
    public async Task PutInlinePolicy_is_read_back_verbatim_and_DeleteInlinePolicy_removes_it()
    {
        var request = await NewPermissionSetRequestAsync("policy");

        await moto.SsoAdmin.PutInlinePolicyToPermissionSetAsync(new PutInlinePolicyToPermissionSetRequest
        {
            InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn, InlinePolicy = Policy,
        });
        var stored = await moto.SsoAdmin.GetInlinePolicyForPermissionSetAsync(request);
        await moto.SsoAdmin.DeleteInlinePolicyFromPermissionSetAsync(request);
        var afterDelete = await moto.SsoAdmin.GetInlinePolicyForPermissionSetAsync(request);

        Assert.Equal(Policy, stored.InlinePolicy); // including the Latin-1 'é'
        Assert.Null(afterDelete.InlinePolicy);
    }

    [Fact]
    public async Task PutInlinePolicy_replaces_the_previous_policy()
    {
        var request = await NewPermissionSetRequestAsync("replace");
        const string second = """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}""";

        await moto.SsoAdmin.PutInlinePolicyToPermissionSetAsync(new() { InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn, InlinePolicy = Policy });
        await moto.SsoAdmin.PutInlinePolicyToPermissionSetAsync(new() { InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn, InlinePolicy = second });

        Assert.Equal(second, (await moto.SsoAdmin.GetInlinePolicyForPermissionSetAsync(request)).InlinePolicy);
    }

    // ---- Account assignments ----

    [Fact]
    public async Task CreateAccountAssignment_reports_SUCCEEDED_and_DescribeCreationStatus_returns_the_same_operation()
    {
        var assignment = await NewUserAssignmentAsync("create");

        var started = await moto.SsoAdmin.CreateAccountAssignmentAsync(assignment);
        var status = Assert.IsType<AccountAssignmentOperationStatus>(started.AccountAssignmentCreationStatus);
        var described = await moto.SsoAdmin.DescribeAccountAssignmentCreationStatusAsync(new DescribeAccountAssignmentCreationStatusRequest
        {
            InstanceArn = assignment.InstanceArn, AccountAssignmentCreationRequestId = status.RequestId!,
        });

        AssertDescribes(assignment, status);
        Assert.True(Guid.TryParse(status.RequestId, out _), $"RequestId '{status.RequestId}' is not a GUID");
        Assert.InRange(status.CreatedDate!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        AssertDescribes(assignment, described);
        Assert.Equal(status.RequestId, described.RequestId);
        Assert.Equal(status.CreatedDate, described.CreatedDate);
        var listed = await ListAssignmentsAsync(assignment);
        Assert.Equal(assignment.PrincipalId, Assert.Single(listed).PrincipalId);
    }

    [Fact]
    public async Task DeleteAccountAssignment_reports_SUCCEEDED_DescribeDeletionStatus_agrees_and_the_assignment_is_gone()
    {
        var assignment = await NewUserAssignmentAsync("delete");
        await moto.SsoAdmin.CreateAccountAssignmentAsync(assignment);

        var started = await moto.SsoAdmin.DeleteAccountAssignmentAsync(assignment);
        var status = Assert.IsType<AccountAssignmentOperationStatus>(started.AccountAssignmentDeletionStatus);
        var described = await moto.SsoAdmin.DescribeAccountAssignmentDeletionStatusAsync(new DescribeAccountAssignmentDeletionStatusRequest
        {
            InstanceArn = assignment.InstanceArn, AccountAssignmentDeletionRequestId = status.RequestId!,
        });

        AssertDescribes(assignment, status);
        AssertDescribes(assignment, described);
        Assert.Equal(status.RequestId, described.RequestId);
        Assert.Empty(await ListAssignmentsAsync(assignment));
    }

    [Fact]
    public async Task AndWait_helpers_return_SUCCEEDED_without_polling_and_give_the_operation_slot_back()
    {
        var assignment = await NewUserAssignmentAsync("wait");
        var recorder = new MotoExchangeRecorder();
        // One slot: a slot leaked by any call would make the next one wait forever (bounded by the token below).
        using var client = moto.RecordingSsoAdmin(recorder, o => o.MaxOutstandingAssignmentOperations = 1);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var created = await client.CreateAccountAssignmentAndWaitAsync(assignment, deadline.Token);
        var listedWhileAssigned = await ListAssignmentsAsync(assignment);
        var deleted = await client.DeleteAccountAssignmentAndWaitAsync(assignment, deadline.Token);
        var recreated = await client.CreateAccountAssignmentAndWaitAsync(assignment, deadline.Token);
        await client.DeleteAccountAssignmentAndWaitAsync(assignment, deadline.Token);

        Assert.Equal(OperationStatuses.Succeeded, created.Status);
        Assert.Equal(OperationStatuses.Succeeded, deleted.Status);
        Assert.Equal(OperationStatuses.Succeeded, recreated.Status);
        AssertDescribes(assignment, created);
        AssertDescribes(assignment, deleted);
        Assert.Equal(assignment.PrincipalId, Assert.Single(listedWhileAssigned).PrincipalId);
        Assert.Empty(await ListAssignmentsAsync(assignment));
        Assert.Equal(1, client.AvailableOperationSlots);
        // moto answers SUCCEEDED at once, so the helpers never call Describe...Status.
        Assert.Equal(
            ["CreateAccountAssignment", "DeleteAccountAssignment", "CreateAccountAssignment", "DeleteAccountAssignment"],
            recorder.Exchanges.Select(e => e.Operation));
    }

    [Fact]
    public async Task ListAccountAssignments_with_MaxResults_1_streams_every_principal_of_the_permission_set_once_over_several_pages()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        var permissionSetArn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("list-aa"));
        var users = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var user = await _seed.CreateUserAsync(MotoSeed.Unique("list-aa") + "@example.com");
            users.Add(user);
            await _seed.AssignAsync(permissionSetArn, PrincipalTypes.User, user);
        }

        var group = await _seed.CreateGroupAsync(MotoSeed.Unique("list-aa"));
        await _seed.AssignAsync(permissionSetArn, PrincipalTypes.Group, group);
        await _seed.AssignAsync(permissionSetArn, PrincipalTypes.User, users[0], MotoSeed.OtherAccountId); // another account: not listed
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var listed = await client.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = instanceArn, AccountId = MotoSeed.AccountId, PermissionSetArn = permissionSetArn, MaxResults = 1,
        }).ToListAsync();

        Assert.Equal(4, listed.Count);
        Assert.Equal(
            users.Select(u => (PrincipalTypes.User, u)).Append((PrincipalTypes.Group, group)).Order(),
            listed.Select(a => (a.PrincipalType!, a.PrincipalId!)).Order());
        Assert.All(listed, a =>
        {
            Assert.Equal(MotoSeed.AccountId, a.AccountId);
            Assert.Equal(permissionSetArn, a.PermissionSetArn);
        });
        var pages = recorder.Of("ListAccountAssignments");
        Assert.Equal(4, pages.Count);
        MotoAssert.TokensChained(pages);
    }

    [Fact]
    public async Task ListAccountAssignmentsForPrincipal_lists_all_accounts_and_Filter_AccountId_narrows_to_one()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        var user = await _seed.CreateUserAsync(MotoSeed.Unique("principal") + "@example.com");
        var readOnly = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("principal-ro"));
        var admin = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("principal-adm"));
        await _seed.AssignAsync(readOnly, PrincipalTypes.User, user);
        await _seed.AssignAsync(admin, PrincipalTypes.User, user);
        await _seed.AssignAsync(readOnly, PrincipalTypes.User, user, MotoSeed.OtherAccountId);
        var otherUser = await _seed.CreateUserAsync(MotoSeed.Unique("principal") + "@example.com");
        await _seed.AssignAsync(admin, PrincipalTypes.User, otherUser); // someone else's: not listed
        var request = new ListAccountAssignmentsForPrincipalRequest { InstanceArn = instanceArn, PrincipalId = user, PrincipalType = PrincipalTypes.User };

        var all = await moto.SsoAdmin.ListAccountAssignmentsForPrincipalAsync(request).ToListAsync();
        var inAccount = await moto.SsoAdmin.ListAccountAssignmentsForPrincipalAsync(
            request with { Filter = new ListAccountAssignmentsFilter { AccountId = MotoSeed.OtherAccountId } }).ToListAsync();

        Assert.Equal(
            new[] { (MotoSeed.AccountId, readOnly), (MotoSeed.AccountId, admin), (MotoSeed.OtherAccountId, readOnly) }.Order(),
            all.Select(a => (a.AccountId!, a.PermissionSetArn!)).Order());
        Assert.All(all, a =>
        {
            Assert.Equal(user, a.PrincipalId);
            Assert.Equal(PrincipalTypes.User, a.PrincipalType);
        });
        var only = Assert.Single(inAccount);
        Assert.Equal(MotoSeed.OtherAccountId, only.AccountId);
        Assert.Equal(readOnly, only.PermissionSetArn);
    }

    [Fact]
    public async Task ListAccountAssignmentsForPrincipal_with_MaxResults_1_streams_every_assignment_once_over_several_pages()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        var group = await _seed.CreateGroupAsync(MotoSeed.Unique("principal-pg"));
        var sets = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sets.Add(await _seed.CreatePermissionSetAsync(MotoSeed.Unique("principal-pg")));
            await _seed.AssignAsync(sets[^1], PrincipalTypes.Group, group);
        }

        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var listed = await client.ListAccountAssignmentsForPrincipalAsync(new ListAccountAssignmentsForPrincipalRequest
        {
            InstanceArn = instanceArn, PrincipalId = group, PrincipalType = PrincipalTypes.Group, MaxResults = 1,
        }).ToListAsync();

        Assert.Equal(sets.Order(), listed.Select(a => a.PermissionSetArn!).Order());
        var pages = recorder.Of("ListAccountAssignmentsForPrincipal");
        Assert.Equal(3, pages.Count);
        MotoAssert.TokensChained(pages);
    }

    // ---- Provisioning ----

    [Fact]
    public async Task ProvisionPermissionSet_reports_SUCCEEDED_and_the_permission_set_then_lists_a_provisioned_account()
    {
        var request = await NewPermissionSetRequestAsync("provision");
        var instance = await _seed.InstanceAsync();
        var listRequest = new ListAccountsForProvisionedPermissionSetRequest { InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn };
        var beforeProvisioning = await moto.SsoAdmin.ListAccountsForProvisionedPermissionSetAsync(listRequest).ToListAsync();

        var started = await moto.SsoAdmin.ProvisionPermissionSetAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn,
            TargetType = ProvisionTargetTypes.AwsAccount, TargetId = MotoSeed.AccountId,
        });
        var afterProvisioning = await moto.SsoAdmin.ListAccountsForProvisionedPermissionSetAsync(listRequest).ToListAsync();

        Assert.Empty(beforeProvisioning);
        var status = Assert.IsType<PermissionSetProvisioningStatus>(started.PermissionSetProvisioningStatus);
        Assert.Equal(OperationStatuses.Succeeded, status.Status);
        Assert.Equal(request.PermissionSetArn, status.PermissionSetArn);
        Assert.True(Guid.TryParse(status.RequestId, out _), $"RequestId '{status.RequestId}' is not a GUID");
        Assert.InRange(status.CreatedDate!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        // moto ignores TargetId and provisions to the caller's own account (the instance owner), not 111111111111.
        Assert.Equal(instance.OwnerAccountId, status.AccountId);
        Assert.Equal([instance.OwnerAccountId!], afterProvisioning);
    }

    [Fact]
    public async Task ProvisionPermissionSetAndWait_returns_SUCCEEDED_from_the_start_call_without_polling()
    {
        var request = await NewPermissionSetRequestAsync("provision-wait");
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var status = await client.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn,
            TargetType = ProvisionTargetTypes.AllProvisionedAccounts,
        });

        Assert.Equal(OperationStatuses.Succeeded, status.Status);
        Assert.Equal(request.PermissionSetArn, status.PermissionSetArn);
        var exchange = Assert.Single(recorder.Exchanges); // no DescribePermissionSetProvisioningStatus, which moto lacks
        Assert.Equal("ProvisionPermissionSet", exchange.Operation);
        Assert.Equal(ProvisionTargetTypes.AllProvisionedAccounts, exchange.Request.GetProperty("TargetType").GetString());
        Assert.False(exchange.Request.TryGetProperty("TargetId", out _));
        Assert.NotEmpty(await client.ListAccountsForProvisionedPermissionSetAsync(new ListAccountsForProvisionedPermissionSetRequest
        {
            InstanceArn = request.InstanceArn, PermissionSetArn = request.PermissionSetArn,
        }).ToListAsync());
    }

    // ---- helpers ----

    private async Task<PermissionSetRequest> NewPermissionSetRequestAsync(string prefix) => new()
    {
        InstanceArn = await _seed.InstanceArnAsync(),
        PermissionSetArn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique(prefix)),
    };

    private async Task<AccountAssignmentRequest> NewUserAssignmentAsync(string prefix) => new()
    {
        InstanceArn = await _seed.InstanceArnAsync(),
        TargetId = MotoSeed.AccountId,
        PermissionSetArn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique(prefix)),
        PrincipalType = PrincipalTypes.User,
        PrincipalId = await _seed.CreateUserAsync(MotoSeed.Unique(prefix) + "@example.com"),
    };

    private Task<List<AccountAssignment>> ListAssignmentsAsync(AccountAssignmentRequest assignment) =>
        moto.SsoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = assignment.InstanceArn, AccountId = assignment.TargetId, PermissionSetArn = assignment.PermissionSetArn,
        }).ToListAsync().AsTask();

    private static void AssertDescribes(AccountAssignmentRequest expected, AccountAssignmentOperationStatus status)
    {
        Assert.Equal(OperationStatuses.Succeeded, status.Status);
        Assert.Null(status.FailureReason);
        Assert.Equal(expected.TargetId, status.TargetId);
        Assert.Equal(expected.TargetType, status.TargetType);
        Assert.Equal(expected.PermissionSetArn, status.PermissionSetArn);
        Assert.Equal(expected.PrincipalType, status.PrincipalType);
        Assert.Equal(expected.PrincipalId, status.PrincipalId);
        Assert.NotNull(status.RequestId);
    }
}
