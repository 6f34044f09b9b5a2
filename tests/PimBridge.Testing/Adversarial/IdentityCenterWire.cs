using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace PimBridge.Testing.Adversarial;

/// <summary>Where in one API call a hook runs: before the model sees it, or after its effect and before the answer.</summary>
public enum CallStage { Before, AfterEffect }

/// <summary>
/// The model behind the awsJson1_1 wire, as one process's HTTP handler: PimBridge's real sso-admin and Identity Store
/// clients (signing, retries, paging, operation polling) and its real adapters talk to it exactly as to AWS. Each
/// process gets its own wire, so a crashed process stops reaching AWS; the <see cref="Hook"/> lets a schedule crash
/// the process or run another actor (a second engine, another writer) in the middle of any call.
/// </summary>
public sealed class IdentityCenterWire(IdentityCenterModel model) : HttpMessageHandler
{
    /// <summary>Runs at each stage of every call; may throw <see cref="SimulatedCrash"/> or act on the model.</summary>
    public Func<string, CallStage, Task>? Hook { get; set; }

    /// <summary>When false, the model's <see cref="Adversity"/> faults are not drawn for this process's calls.</summary>
    public bool Faults { get; set; } = true;

    /// <summary>Points a PimBridge client at this wire: the model's endpoint, its Region and credentials, this handler.</summary>
    public T Connect<T>(T options) where T : Aws.AwsClientOptions
    {
        options.Region = "eu-west-1";
        options.Endpoint = new Uri("http://identity-center.model.invalid/");
        options.Credentials = new Amazon.Runtime.BasicAWSCredentials("AKIDMODEL", "model-secret");
        options.HttpHandler = this;
        return options;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.Headers.GetValues("X-Amz-Target").Single();
        var identityStore = target.StartsWith("AWSIdentityStore.", StringComparison.Ordinal);
        var operation = target[(target.IndexOf('.') + 1)..];
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!.AsObject();
        if (Hook is { } before) await before(operation, CallStage.Before).ConfigureAwait(false);
        try
        {
            JsonObject answer;
            // One request at a time inside the model, as AWS serializes each call: an engine running intents side by
            // side sends concurrently, and the model's collections are not built for that.
            lock (model.Gate)
            {
                model.Count(operation);
                model.OnRequest?.Invoke(model.Now, operation, body);
                if (model.TakeScriptedFault(operation) is { } scripted) throw scripted;
                if (model.AdmitRequest(operation, identityStore) is { } throttled) throw throttled;
                if (Faults && model.DrawFaultBefore(identityStore) is { } fault) throw fault;
                answer = Serve(operation, body);
            }

            if (Hook is { } after) await after(operation, CallStage.AfterEffect).ConfigureAwait(false);
            lock (model.Gate)
            {
                if (IsWrite(operation) && model.DrawLostResponse(operation, Faults))
                    throw new ModelError(500, "InternalServerException", "Internal failure (the write was applied).");
            }

            return Json(HttpStatusCode.OK, answer);
        }
        catch (ModelError error)
        {
            var json = new JsonObject { ["__type"] = error.Code, ["Message"] = error.Message };
            if (error.Reason is { } reason) json["Reason"] = reason;
            if (error.ResourceType is { } type) json["ResourceType"] = type;
            return Json((HttpStatusCode)error.Status, json);
        }
    }

    private static bool IsWrite(string operation) => operation is "CreateAccountAssignment" or "DeleteAccountAssignment" or "PutInlinePolicyToPermissionSet"
        or "DeleteInlinePolicyFromPermissionSet" or "ProvisionPermissionSet" or "CreateGroupMembership" or "DeleteGroupMembership";

    private JsonObject Serve(string operation, JsonObject body)
    {
        string S(string name) => body[name]?.GetValue<string>() ?? throw new ModelError(400, "ValidationException", $"{name} is required.");
        string? Optional(string name) => body[name]?.GetValue<string>();
        AssignmentKey Key() => new(S("PermissionSetArn"), S("TargetId"), S("PrincipalType"), S("PrincipalId"));
        string MemberUser() => body["MemberId"]?["UserId"]?.GetValue<string>() ?? throw new ModelError(400, "ValidationException", "MemberId.UserId is required.");

        switch (operation)
        {
            case "CreateAccountAssignment":
                return new JsonObject { ["AccountAssignmentCreationStatus"] = Status(model.CreateAccountAssignment(Key())) };
            case "DeleteAccountAssignment":
                return new JsonObject { ["AccountAssignmentDeletionStatus"] = Status(model.DeleteAccountAssignment(Key())) };
            case "DescribeAccountAssignmentCreationStatus":
                return new JsonObject { ["AccountAssignmentCreationStatus"] = Status(model.DescribeOperation(S("AccountAssignmentCreationRequestId"), IdentityCenterModel.OperationKind.Create)) };
            case "DescribeAccountAssignmentDeletionStatus":
                return new JsonObject { ["AccountAssignmentDeletionStatus"] = Status(model.DescribeOperation(S("AccountAssignmentDeletionRequestId"), IdentityCenterModel.OperationKind.Delete)) };
            case "ListAccountAssignments":
                return Listing(body, "AccountAssignments", model.ListAccountAssignments(S("PermissionSetArn"), S("AccountId")).Select(k => ($"{k.PrincipalType}|{k.PrincipalId}", Assignment(k))));
            case "ListAccountAssignmentsForPrincipal":
                return Listing(body, "AccountAssignments", model.ListAccountAssignmentsForPrincipal(S("PrincipalType"), S("PrincipalId"), body["Filter"]?["AccountId"]?.GetValue<string>())
                    .Select(k => ($"{k.AccountId}|{k.PermissionSetArn}", Assignment(k))));
            case "ListPermissionSets":
                return Listing(body, "PermissionSets", model.PermissionSets.Keys.Select(k => (k, (JsonNode)k)));
            case "DescribePermissionSet":
                var set = model.DescribePermissionSet(S("PermissionSetArn"));
                return new JsonObject
                {
                    ["PermissionSet"] = new JsonObject
                    {
                        ["Name"] = set.Name, ["PermissionSetArn"] = set.Arn, ["SessionDuration"] = set.SessionDurationIso, ["CreatedDate"] = 1_767_225_600,
                    },
                };
            case "GetInlinePolicyForPermissionSet":
                return new JsonObject { ["InlinePolicy"] = model.GetInlinePolicy(S("PermissionSetArn")) ?? "" };
            case "PutInlinePolicyToPermissionSet":
                model.PutInlinePolicy(S("PermissionSetArn"), S("InlinePolicy"));
                return [];
            case "DeleteInlinePolicyFromPermissionSet":
                model.DeleteInlinePolicy(S("PermissionSetArn"));
                return [];
            case "ProvisionPermissionSet":
                return new JsonObject { ["PermissionSetProvisioningStatus"] = ProvisioningStatus(model.ProvisionPermissionSet(S("PermissionSetArn"), S("TargetType"), Optional("TargetId"))) };
            case "DescribePermissionSetProvisioningStatus":
                return new JsonObject { ["PermissionSetProvisioningStatus"] = ProvisioningStatus(model.DescribeOperation(S("ProvisionPermissionSetRequestId"), IdentityCenterModel.OperationKind.Provision)) };
            case "ListAccountsForProvisionedPermissionSet":
                return Listing(body, "AccountIds", model.ListAccountsForProvisionedPermissionSet(S("PermissionSetArn"), Optional("ProvisioningStatus")).Select(a => (a, (JsonNode)a)));
            case "GetUserId":
                var unique = body["AlternateIdentifier"]?["UniqueAttribute"] ?? throw new ModelError(400, "ValidationException", "UniqueAttribute is required.");
                return new JsonObject { ["IdentityStoreId"] = IdentityCenterModel.IdentityStoreId, ["UserId"] = model.GetUserByName(unique["AttributeValue"]!.GetValue<string>()).Id };
            case "DescribeUser":
                var user = model.DescribeUser(S("UserId"));
                return new JsonObject { ["IdentityStoreId"] = IdentityCenterModel.IdentityStoreId, ["UserId"] = user.Id, ["UserName"] = user.UserName, ["UserStatus"] = "ENABLED" };
            case "GetGroupId":
                var group = body["AlternateIdentifier"]?["UniqueAttribute"]?["AttributeValue"]?.GetValue<string>() ?? throw new ModelError(400, "ValidationException", "UniqueAttribute is required.");
                return new JsonObject { ["IdentityStoreId"] = IdentityCenterModel.IdentityStoreId, ["GroupId"] = model.GetGroupByName(group) };
            case "ListGroupMembershipsForMember":
                return Listing(body, "GroupMemberships", model.ListGroupMembershipsForMember(MemberUser()).Select(m => (m.MembershipId, GroupMembership(m))));
            case "ListGroupMemberships":
                return Listing(body, "GroupMemberships", model.ListGroupMemberships(S("GroupId")).Select(m => (m.MembershipId, GroupMembership(m))));
            case "CreateGroupMembership":
                return new JsonObject { ["IdentityStoreId"] = IdentityCenterModel.IdentityStoreId, ["MembershipId"] = model.CreateGroupMembership(S("GroupId"), MemberUser()) };
            case "DeleteGroupMembership":
                model.DeleteGroupMembership(S("MembershipId"));
                return [];
            default:
                throw new ModelError(400, "UnknownOperationException", $"The model does not serve {operation}.");
        }
    }

    private static JsonObject Status(IdentityCenterModel.OperationStatus status)
    {
        var json = new JsonObject
        {
            ["Status"] = status.Status, ["RequestId"] = status.RequestId, ["TargetType"] = "AWS_ACCOUNT",
            ["TargetId"] = status.Assignment?.AccountId, ["PermissionSetArn"] = status.PermissionSetArn,
            ["PrincipalType"] = status.Assignment?.PrincipalType, ["PrincipalId"] = status.Assignment?.PrincipalId,
            ["CreatedDate"] = status.CreatedAt.ToUnixTimeSeconds(),
        };
        if (status.FailureReason is { } reason) json["FailureReason"] = reason;
        return json;
    }

    private static JsonObject ProvisioningStatus(IdentityCenterModel.OperationStatus status)
    {
        var json = new JsonObject
        {
            ["Status"] = status.Status, ["RequestId"] = status.RequestId, ["PermissionSetArn"] = status.PermissionSetArn,
            ["CreatedDate"] = status.CreatedAt.ToUnixTimeSeconds(),
        };
        if (status.FailureReason is { } reason) json["FailureReason"] = reason;
        return json;
    }

    private static JsonNode Assignment(AssignmentKey key) => new JsonObject
    {
        ["AccountId"] = key.AccountId, ["PermissionSetArn"] = key.PermissionSetArn, ["PrincipalType"] = key.PrincipalType, ["PrincipalId"] = key.PrincipalId,
    };

    private static JsonNode GroupMembership(Membership m) => new JsonObject
    {
        ["IdentityStoreId"] = IdentityCenterModel.IdentityStoreId, ["MembershipId"] = m.MembershipId, ["GroupId"] = m.GroupId,
        ["MemberId"] = new JsonObject { ["UserId"] = m.UserId },
    };

    /// <summary>
    /// A list operation's answer: every item in one page, in the model's order, as before; with <see cref="AwsQuotas"/>,
    /// pages of at most <see cref="AwsQuotas.PageSize"/> (or the request's smaller <c>MaxResults</c>) in the order of
    /// each item's key, the key of a page's last item being its <c>NextToken</c>, so a page boundary holds whatever
    /// changes between two pages.
    /// </summary>
    private JsonObject Listing(JsonObject body, string member, IEnumerable<(string Key, JsonNode Item)> items)
    {
        if (model.Quotas is not { } quotas)
            return new JsonObject { [member] = Array(items.Select(i => i.Item)) };
        var size = Math.Min(body["MaxResults"]?.GetValue<int>() ?? quotas.PageSize, quotas.PageSize);
        var after = body["NextToken"]?.GetValue<string>();
        var rest = items.Where(i => after is null || string.CompareOrdinal(i.Key, after) > 0).OrderBy(i => i.Key, StringComparer.Ordinal).ToList();
        var page = rest.Take(size).ToList();
        var answer = new JsonObject { [member] = Array(page.Select(i => i.Item)) };
        if (rest.Count > size) answer["NextToken"] = page[^1].Key;
        return answer;
    }

    private static JsonArray Array(IEnumerable<JsonNode> items) => new(items.ToArray());

    private static HttpResponseMessage Json(HttpStatusCode status, JsonObject body) => new(status)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/x-amz-json-1.1"),
        Headers = { { "x-amzn-RequestId", Guid.Empty.ToString() } },
    };
}
