using PimBridge.Aws.CloudTrail;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>Each operation sends the exact X-Amz-Target and a body with the model's member names, unset members left out.</summary>
public sealed class OperationShapeTests
{
    private const string Instance = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";
    private const string User = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    private const string Store = "d-1234567890";

    private static readonly AccountAssignmentRequest Assignment = new()
    {
        InstanceArn = Instance, TargetId = "111122223333", PermissionSetArn = PermissionSet,
        PrincipalType = PrincipalTypes.User, PrincipalId = User,
    };

    private static readonly string AssignmentJson =
        J("""{"InstanceArn":"%INSTANCE%","TargetId":"111122223333","TargetType":"AWS_ACCOUNT","PermissionSetArn":"%PERMISSIONSET%","PrincipalType":"USER","PrincipalId":"%USER%"}""");

    private const string Succeeded = """{"AccountAssignmentCreationStatus":{"Status":"SUCCEEDED","RequestId":"r1"},"AccountAssignmentDeletionStatus":{"Status":"SUCCEEDED","RequestId":"r1"},"PermissionSetProvisioningStatus":{"Status":"SUCCEEDED","RequestId":"r1"}}""";

    public static TheoryData<string, string, string> Operations => new()
    {
        { "SWBExternalService.ListInstances", "{}", "{}" },
        { "SWBExternalService.CreateAccountAssignment", AssignmentJson, Succeeded },
        { "SWBExternalService.DeleteAccountAssignment", AssignmentJson, Succeeded },
        { "SWBExternalService.DescribeAccountAssignmentCreationStatus", J("""{"InstanceArn":"%INSTANCE%","AccountAssignmentCreationRequestId":"r1"}"""), Succeeded },
        { "SWBExternalService.DescribeAccountAssignmentDeletionStatus", J("""{"InstanceArn":"%INSTANCE%","AccountAssignmentDeletionRequestId":"r1"}"""), Succeeded },
        { "SWBExternalService.ListAccountAssignments", J("""{"InstanceArn":"%INSTANCE%","AccountId":"111122223333","PermissionSetArn":"%PERMISSIONSET%"}"""), "{}" },
        { "SWBExternalService.ListAccountAssignmentsForPrincipal", J("""{"InstanceArn":"%INSTANCE%","PrincipalId":"%USER%","PrincipalType":"USER","Filter":{"AccountId":"111122223333"},"MaxResults":100}"""), "{}" },
        { "SWBExternalService.ListPermissionSets", J("""{"InstanceArn":"%INSTANCE%"}"""), "{}" },
        { "SWBExternalService.DescribePermissionSet", J("""{"InstanceArn":"%INSTANCE%","PermissionSetArn":"%PERMISSIONSET%"}"""), "{}" },
        { "SWBExternalService.PutInlinePolicyToPermissionSet", J("""{"InstanceArn":"%INSTANCE%","PermissionSetArn":"%PERMISSIONSET%","InlinePolicy":"{\"Version\":\"2012-10-17\"}"}"""), "{}" },
        { "SWBExternalService.GetInlinePolicyForPermissionSet", J("""{"InstanceArn":"%INSTANCE%","PermissionSetArn":"%PERMISSIONSET%"}"""), "{}" },
        { "SWBExternalService.DeleteInlinePolicyFromPermissionSet", J("""{"InstanceArn":"%INSTANCE%","PermissionSetArn":"%PERMISSIONSET%"}"""), "" },
        { "SWBExternalService.ProvisionPermissionSet", J("""{"InstanceArn":"%INSTANCE%","PermissionSetArn":"%PERMISSIONSET%","TargetId":"111122223333","TargetType":"AWS_ACCOUNT"}"""), Succeeded },
        { "SWBExternalService.DescribePermissionSetProvisioningStatus", J("""{"InstanceArn":"%INSTANCE%","ProvisionPermissionSetRequestId":"r1"}"""), Succeeded },
        { "SWBExternalService.ListAccountsForProvisionedPermissionSet", J("""{"InstanceArn":"%INSTANCE%","PermissionSetArn":"%PERMISSIONSET%","ProvisioningStatus":"LATEST_PERMISSION_SET_PROVISIONED"}"""), "{}" },
        { "AWSIdentityStore.GetUserId", J("""{"IdentityStoreId":"%STORE%","AlternateIdentifier":{"UniqueAttribute":{"AttributePath":"userName","AttributeValue":"jdoe@example.com"}}}"""), "{}" },
        { "AWSIdentityStore.GetGroupId", J("""{"IdentityStoreId":"%STORE%","AlternateIdentifier":{"ExternalId":{"Issuer":"entra","Id":"g-1"}}}"""), "{}" },
        { "AWSIdentityStore.DescribeUser", J("""{"IdentityStoreId":"%STORE%","UserId":"%USER%"}"""), "{}" },
        { "AWSIdentityStore.CreateGroupMembership", J("""{"IdentityStoreId":"%STORE%","GroupId":"g-1","MemberId":{"UserId":"%USER%"}}"""), "{}" },
        { "AWSIdentityStore.DeleteGroupMembership", J("""{"IdentityStoreId":"%STORE%","MembershipId":"m-1"}"""), "" },
        { "AWSIdentityStore.GetGroupMembershipId", J("""{"IdentityStoreId":"%STORE%","GroupId":"g-1","MemberId":{"UserId":"%USER%"}}"""), "{}" },
        { "AWSIdentityStore.ListGroupMembershipsForMember", J("""{"IdentityStoreId":"%STORE%","MemberId":{"UserId":"%USER%"},"MaxResults":2}"""), "{}" },
        { "AWSIdentityStore.IsMemberInGroups", J("""{"IdentityStoreId":"%STORE%","MemberId":{"UserId":"%USER%"},"GroupIds":["g-1","g-2"]}"""), "{}" },
        { "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", """{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"jdoe@example.com"}],"StartTime":1767225600,"EndTime":1767312000,"MaxResults":50}""", "{}" },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Operation_sends_exact_target_content_type_and_body(string target, string expectedBody, string response)
    {
        var handler = new RecordingHandler().Respond(response);
        await Invoke(target[(target.LastIndexOf('.') + 1)..], handler);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("/", sent.Uri.AbsolutePath);
        Assert.Equal(target, sent.Target);
        Assert.Equal("application/x-amz-json-1.1", sent.Header("Content-Type"));
        Assert.Equal(expectedBody, sent.Body);
    }

    [Fact]
    public async Task Request_timestamps_are_whole_epoch_seconds()
    {
        var handler = new RecordingHandler().Respond("{}");
        using var client = WireClients.CloudTrail(handler);

        await client.LookupEventsAsync(new LookupEventsRequest
        {
            StartTime = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_999),
            EndTime = DateTimeOffset.FromUnixTimeSeconds(1_767_312_000),
        }).ToListAsync();

        Assert.Equal("""{"StartTime":1767225600,"EndTime":1767312000}""", handler.Requests[0].Body);
    }

    [Fact]
    public async Task Responses_tolerate_unknown_members_explicit_nulls_fractions_and_scientific_notation()
    {
        var handler = new RecordingHandler().Respond("""
            {"PermissionSet":{"Name":"Admin","PermissionSetArn":null,"Description":null,"CreatedDate":1.485179373361E9,
             "SessionDuration":"PT4H","RelayState":null,"NewMember2027":{"nested":[1,2]}},"AnotherNewMember":true}
            """);
        using var client = WireClients.SsoAdmin(handler);

        var response = await client.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = Instance, PermissionSetArn = PermissionSet });

        Assert.Equal("Admin", response.PermissionSet!.Name);
        Assert.Null(response.PermissionSet.PermissionSetArn);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_485_179_373_361), response.PermissionSet.CreatedDate);
        Assert.Equal("PT4H", response.PermissionSet.SessionDuration);
    }

    [Fact]
    public async Task Fractional_timestamps_keep_milliseconds()
    {
        var handler = new RecordingHandler().Respond("""{"Instances":[{"InstanceArn":"a","CreatedDate":1795315800.45738,"Status":"ACTIVE"}],"NextToken":null}""");
        using var client = WireClients.SsoAdmin(handler);

        var instance = Assert.Single(await client.ListInstancesAsync().ToListAsync());

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_795_315_800_457), instance.CreatedDate);
    }

    [Fact]
    public async Task Events_keep_the_raw_CloudTrailEvent_string()
    {
        const string raw = """{"eventVersion":"1.08","eventTime":"2026-07-01T00:08:20Z","userIdentity":{"type":"AssumedRole"}}""";
        var body = System.Text.Json.JsonSerializer.Serialize(new { Events = new[] { new { EventId = "e1", EventTime = 1.7823281E9, ReadOnly = "true", CloudTrailEvent = raw } } });
        var handler = new RecordingHandler().Respond(body);
        using var client = WireClients.CloudTrail(handler);

        var trailEvent = Assert.Single(await client.LookupEventsAsync(new LookupEventsRequest()).ToListAsync());

        Assert.Equal(raw, trailEvent.CloudTrailEvent);
        Assert.Equal("true", trailEvent.ReadOnly);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_782_328_100), trailEvent.EventTime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"\"")]
    [InlineData("null")]
    public async Task An_empty_inline_policy_reads_as_none(string value)
    {
        var body = value.Length == 0 ? "{}" : "{\"InlinePolicy\":" + value + "}";
        var handler = new RecordingHandler().Respond(body);
        using var client = WireClients.SsoAdmin(handler);

        var response = await client.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = Instance, PermissionSetArn = PermissionSet });

        Assert.Null(response.InlinePolicy);
    }

    [Fact]
    public async Task A_success_body_that_is_not_the_operation_output_is_a_typed_error()
    {
        var handler = new RecordingHandler().Respond("""{"PermissionSet":"not an object"}""");
        using var client = WireClients.SsoAdmin(handler);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = Instance, PermissionSetArn = PermissionSet }));

        Assert.Equal(AwsServiceException.MalformedResponse, error.ErrorCode);
        Assert.False(error.IsRetryable);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task IsMemberInGroups_rejects_group_lists_outside_1_to_100_before_sending(int count)
    {
        var handler = new RecordingHandler();
        using var client = WireClients.IdentityStore(handler);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.IsMemberInGroupsAsync(new IsMemberInGroupsRequest
        {
            IdentityStoreId = Store, MemberId = MemberId.User(User),
            GroupIds = Enumerable.Range(0, count).Select(i => $"g-{i}").ToList(),
        }));

        Assert.Contains("1 to 100", error.Message);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task A_member_id_without_a_user_id_is_rejected_before_sending()
    {
        var handler = new RecordingHandler();
        using var client = WireClients.IdentityStore(handler);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            client.CreateGroupMembershipAsync(new GroupMembershipRequest { IdentityStoreId = Store, GroupId = "g", MemberId = new MemberId() }));

        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData("{\"Statement\":\"caf\u00e9\"}", null)]
    [InlineData("{\"Statement\":\"\u4e2d\"}", "U+4E2D")]
    [InlineData("", "1 to 32768")]
    public async Task Inline_policies_are_checked_against_AWS_limits_before_sending(string policy, string? expectedError)
    {
        var handler = new RecordingHandler().Respond("{}");
        using var client = WireClients.SsoAdmin(handler);

        var call = () => client.PutInlinePolicyToPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, InlinePolicy = policy });

        if (expectedError is null)
        {
            await call();
            Assert.Single(handler.Requests);
        }
        else
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(call);
            Assert.Contains(expectedError, error.Message);
            Assert.Empty(handler.Requests);
        }
    }

    [Fact]
    public void Inline_policies_over_the_non_whitespace_limit_are_rejected()
    {
        var policy = new string('a', InlinePolicyRules.MaxNonWhitespace + 1);
        var error = Assert.Throws<ArgumentException>(() => InlinePolicyRules.Validate(policy));
        Assert.Contains("10240", error.Message);
        InlinePolicyRules.Validate(new string('a', InlinePolicyRules.MaxNonWhitespace) + new string(' ', 5000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(51)]
    public void LookupEvents_rejects_page_sizes_outside_1_to_50(int maxResults)
    {
        using var client = WireClients.CloudTrail(new RecordingHandler());
        Assert.Throws<ArgumentException>(() => client.LookupEventsAsync(new LookupEventsRequest { MaxResults = maxResults }));
    }

    [Fact]
    public void LookupEvents_rejects_more_than_one_attribute_and_reversed_ranges()
    {
        using var client = WireClients.CloudTrail(new RecordingHandler());
        var two = new LookupAttribute[] { new() { AttributeKey = "Username", AttributeValue = "a" }, new() { AttributeKey = "EventName", AttributeValue = "b" } };
        Assert.Throws<ArgumentException>(() => client.LookupEventsAsync(new LookupEventsRequest { LookupAttributes = two }));
        Assert.Throws<ArgumentException>(() => client.LookupEventsAsync(new LookupEventsRequest
        {
            StartTime = DateTimeOffset.FromUnixTimeSeconds(200), EndTime = DateTimeOffset.FromUnixTimeSeconds(100),
        }));
    }

    /// <summary>Fills the %INSTANCE%, %PERMISSIONSET%, %USER% and %STORE% placeholders of an expected body.</summary>
    private static string J(string json) => json
        .Replace("%INSTANCE%", Instance).Replace("%PERMISSIONSET%", PermissionSet).Replace("%USER%", User).Replace("%STORE%", Store);

    private static async Task Invoke(string operation, RecordingHandler handler)
    {
        using var sso = WireClients.SsoAdmin(handler);
        using var ids = WireClients.IdentityStore(handler);
        using var trail = WireClients.CloudTrail(handler);
        var ps = new PermissionSetRequest { InstanceArn = Instance, PermissionSetArn = PermissionSet };
        var member = MemberId.User(User);
        switch (operation)
        {
            case "ListInstances": await sso.ListInstancesAsync().ToListAsync(); break;
            case "CreateAccountAssignment": await sso.CreateAccountAssignmentAsync(Assignment); break;
            case "DeleteAccountAssignment": await sso.DeleteAccountAssignmentAsync(Assignment); break;
            case "DescribeAccountAssignmentCreationStatus": await sso.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = Instance, AccountAssignmentCreationRequestId = "r1" }); break;
            case "DescribeAccountAssignmentDeletionStatus": await sso.DescribeAccountAssignmentDeletionStatusAsync(new() { InstanceArn = Instance, AccountAssignmentDeletionRequestId = "r1" }); break;
            case "ListAccountAssignments": await sso.ListAccountAssignmentsAsync(new() { InstanceArn = Instance, AccountId = "111122223333", PermissionSetArn = PermissionSet }).ToListAsync(); break;
            case "ListAccountAssignmentsForPrincipal":
                await sso.ListAccountAssignmentsForPrincipalAsync(new()
                {
                    InstanceArn = Instance, PrincipalId = User, PrincipalType = PrincipalTypes.User,
                    Filter = new() { AccountId = "111122223333" }, MaxResults = 100,
                }).ToListAsync();
                break;
            case "ListPermissionSets": await sso.ListPermissionSetsAsync(new() { InstanceArn = Instance }).ToListAsync(); break;
            case "DescribePermissionSet": await sso.DescribePermissionSetAsync(ps); break;
            case "PutInlinePolicyToPermissionSet": await sso.PutInlinePolicyToPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, InlinePolicy = """{"Version":"2012-10-17"}""" }); break;
            case "GetInlinePolicyForPermissionSet": await sso.GetInlinePolicyForPermissionSetAsync(ps); break;
            case "DeleteInlinePolicyFromPermissionSet": await sso.DeleteInlinePolicyFromPermissionSetAsync(ps); break;
            case "ProvisionPermissionSet": await sso.ProvisionPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, TargetId = "111122223333", TargetType = ProvisionTargetTypes.AwsAccount }); break;
            case "DescribePermissionSetProvisioningStatus": await sso.DescribePermissionSetProvisioningStatusAsync(new() { InstanceArn = Instance, ProvisionPermissionSetRequestId = "r1" }); break;
            case "ListAccountsForProvisionedPermissionSet": await sso.ListAccountsForProvisionedPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = PermissionSet, ProvisioningStatus = "LATEST_PERMISSION_SET_PROVISIONED" }).ToListAsync(); break;
            case "GetUserId": await ids.GetUserIdAsync(new() { IdentityStoreId = Store, AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, "jdoe@example.com") }); break;
            case "GetGroupId": await ids.GetGroupIdAsync(new() { IdentityStoreId = Store, AlternateIdentifier = AlternateIdentifier.ByExternalId("entra", "g-1") }); break;
            case "DescribeUser": await ids.DescribeUserAsync(new() { IdentityStoreId = Store, UserId = User }); break;
            case "CreateGroupMembership": await ids.CreateGroupMembershipAsync(new() { IdentityStoreId = Store, GroupId = "g-1", MemberId = member }); break;
            case "DeleteGroupMembership": await ids.DeleteGroupMembershipAsync(new() { IdentityStoreId = Store, MembershipId = "m-1" }); break;
            case "GetGroupMembershipId": await ids.GetGroupMembershipIdAsync(new() { IdentityStoreId = Store, GroupId = "g-1", MemberId = member }); break;
            case "ListGroupMembershipsForMember": await ids.ListGroupMembershipsForMemberAsync(new() { IdentityStoreId = Store, MemberId = member, MaxResults = 2 }).ToListAsync(); break;
            case "IsMemberInGroups": await ids.IsMemberInGroupsAsync(new() { IdentityStoreId = Store, MemberId = member, GroupIds = ["g-1", "g-2"] }); break;
            case "LookupEvents":
                await trail.LookupEventsAsync(new()
                {
                    LookupAttributes = [new() { AttributeKey = LookupAttributeKeys.Username, AttributeValue = "jdoe@example.com" }],
                    StartTime = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600), EndTime = DateTimeOffset.FromUnixTimeSeconds(1_767_312_000), MaxResults = 50,
                }).ToListAsync();
                break;
            default: throw new ArgumentOutOfRangeException(nameof(operation), operation, "no invocation for this operation");
        }
    }
}
