using System.Text.Json;
using System.Text.Json.Nodes;

namespace PimBridge.Sandbox.Graph;

/// <summary>
/// Graph payloads. The documented examples are copied verbatim from the reference
/// (shared/reference/entra-pim-and-event-grid.md §3.2, §3.3) and Graph's API pages; the builders produce the same
/// shape with other values.
/// </summary>
public static class GraphJson
{
    public const string GraphRoot = "https://graph.microsoft.com/v1.0";
    public const string InstancesContext = "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleInstances";
    public const string RequestsContext = "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests";
    public const string EligibilitySchedulesContext = "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/eligibilitySchedules";
    public const string GroupsContext = "https://graph.microsoft.com/v1.0/$metadata#groups";

    /// <summary>The documented list of assignment schedule instances (reference §3.2), verbatim.</summary>
    public const string DocumentedInstances = """
        {
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleInstances",
          "value": [
            {
              "id": "2b5ed229-4072-478d-9504-a047ebd4b07d_member_365163ce-df68-40b8-a782-1824c9eb7bcc",
              "principalId": "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8",
              "startDateTime": "2023-09-29T15:48:00.273Z",
              "endDateTime": "2024-03-27T15:47:19.653Z",
              "assignmentType": "Assigned",
              "accessId": "member",
              "groupId": "2b5ed229-4072-478d-9504-a047ebd4b07d",
              "memberType": "Direct",
              "assignmentScheduleId": "2b5ed229-4072-478d-9504-a047ebd4b07d_member_f13739ce-d5f9-4a5a-845a-22fbccf0e14f"
            }
          ]
        }
        """;

    public const string DocumentedGroup = "2b5ed229-4072-478d-9504-a047ebd4b07d";
    public const string DocumentedPrincipal = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8";

    /// <summary>The documented selfActivate request (reference §3.3), verbatim.</summary>
    public const string DocumentedSelfActivateRequest = """
        {
          "id": "6aacaee8-4089-4048-9510-3119367fc943",
          "status": "Provisioned",
          "completedDateTime": "2023-02-07T07:05:55.3404527Z",
          "createdDateTime": "2023-02-07T07:05:53.7895614Z",
          "approvalId": null,
          "createdBy": { "user": { "id": "3cce9d87-3986-4f19-8335-7ed075408ca2" } },
          "action": "selfActivate",
          "isValidationOnly": false,
          "justification": "Activate assignment.",
          "scheduleInfo": {
            "startDateTime": "2023-02-07T07:05:55.3404527Z",
            "expiration": { "type": "afterDuration", "duration": "PT2H" }
          },
          "ticketInfo": { "ticketNumber": null, "ticketSystem": null },
          "accessId": "member",
          "principalId": "3cce9d87-3986-4f19-8335-7ed075408ca2",
          "groupId": "2b5ed229-4072-478d-9504-a047ebd4b07d",
          "targetScheduleId": "2b5ed229-4072-478d-9504-a047ebd4b07d_member_6aacaee8-4089-4048-9510-3119367fc943"
        }
        """;

    public const string DocumentedRequester = "3cce9d87-3986-4f19-8335-7ed075408ca2";

    /// <summary>An assignment schedule instance shaped like the documented one; null arguments leave the property out.</summary>
    public static JsonObject Instance(
        string id, string principalId, string groupId, string? accessId = "member", string? assignmentType = "Activated",
        string? memberType = "Direct", string? start = "2026-07-01T08:00:00.123Z", string? end = "2026-07-01T10:00:00.123Z", string? scheduleId = null)
    {
        var o = new JsonObject { ["id"] = id, ["principalId"] = principalId };
        if (start is not null) o["startDateTime"] = start;
        if (end is not null) o["endDateTime"] = end;
        if (assignmentType is not null) o["assignmentType"] = assignmentType;
        if (accessId is not null) o["accessId"] = accessId;
        o["groupId"] = groupId;
        if (memberType is not null) o["memberType"] = memberType;
        if (scheduleId is not null) o["assignmentScheduleId"] = scheduleId;
        return o;
    }

    /// <summary>
    /// An eligibility schedule shaped like the documented one (Graph's "List eligibilitySchedules" example): the
    /// principal may activate <paramref name="accessId"/> of the group.
    /// </summary>
    public static JsonObject EligibilitySchedule(string id, string principalId, string groupId, string accessId = "member") => new()
    {
        ["id"] = id,
        ["scheduleInfo"] = new JsonObject
        {
            ["startDateTime"] = "2026-04-12T14:44:50.287Z",
            ["recurrence"] = null,
            ["expiration"] = new JsonObject { ["type"] = "afterDateTime", ["endDateTime"] = "2027-04-10T00:00:00Z", ["duration"] = null },
        },
        ["createdUsing"] = "77f71919-62f3-4d0c-9f88-0a0391b665cd",
        ["createdDateTime"] = "2026-04-12T14:44:50.287Z",
        ["modifiedDateTime"] = "0001-01-01T08:00:00Z",
        ["status"] = "Provisioned",
        ["memberType"] = "Direct",
        ["accessId"] = accessId,
        ["principalId"] = principalId,
        ["groupId"] = groupId,
    };

    /// <summary>A group as GET /groups lists it with $select=id,displayName,groupTypes,securityEnabled,onPremisesSyncEnabled.</summary>
    public static JsonObject DirectoryGroup(string id, string displayName, IEnumerable<string>? groupTypes = null, bool securityEnabled = true, bool? onPremisesSyncEnabled = null) => new()
    {
        ["id"] = id,
        ["displayName"] = displayName,
        ["groupTypes"] = new JsonArray((groupTypes ?? []).Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        ["securityEnabled"] = securityEnabled,
        ["onPremisesSyncEnabled"] = onPremisesSyncEnabled,
    };

    /// <summary>A collection page: @odata.context, optional @odata.nextLink, value.</summary>
    public static string Page(string context, IEnumerable<JsonNode> items, string? nextLink = null)
    {
        var page = new JsonObject { ["@odata.context"] = context };
        if (nextLink is not null) page["@odata.nextLink"] = nextLink;
        page["value"] = new JsonArray(items.Select(i => i.DeepClone()).ToArray());
        return page.ToJsonString();
    }

    /// <summary>GET /users/{id}?$select=id,userPrincipalName,mail, as documented (mail may be null or absent).</summary>
    public static string User(string id, string? upn, string? mail, bool omitMail = false)
    {
        var o = new JsonObject
        {
            ["@odata.context"] = $"{GraphRoot}/$metadata#users(id,userPrincipalName,mail)/$entity",
            ["id"] = id,
            ["userPrincipalName"] = upn,
        };
        if (!omitMail) o["mail"] = mail;
        return o.ToJsonString();
    }

    /// <summary>GET /directoryObjects/{id}: the object with its concrete @odata.type.</summary>
    public static string DirectoryObject(string id, string odataType, string displayName) => new JsonObject
    {
        ["@odata.context"] = $"{GraphRoot}/$metadata#directoryObjects/$entity",
        ["@odata.type"] = odataType,
        ["id"] = id,
        ["displayName"] = displayName,
    }.ToJsonString();

    /// <summary>An assignment schedule request shaped like the documented selfActivate one.</summary>
    public static JsonObject Request(
        string id, string principalId, string groupId, string action = "selfActivate", string status = "Provisioned",
        string created = "2026-07-01T07:59:58.1234567Z", string? scheduleStart = "2026-07-01T08:00:00.1234567Z", string? justification = null,
        string? ticketNumber = null, string? ticketSystem = null, string accessId = "member", string? targetScheduleId = null)
    {
        var o = JsonNode.Parse(DocumentedSelfActivateRequest)!.AsObject();
        o["id"] = id;
        o["status"] = status;
        o["createdDateTime"] = created;
        o["completedDateTime"] = scheduleStart;
        o["createdBy"] = new JsonObject { ["user"] = new JsonObject { ["id"] = principalId } };
        o["action"] = action;
        o["justification"] = justification;
        if (scheduleStart is null) o.Remove("scheduleInfo");
        else o["scheduleInfo"]!["startDateTime"] = scheduleStart;
        o["ticketInfo"] = new JsonObject { ["ticketNumber"] = ticketNumber, ["ticketSystem"] = ticketSystem };
        o["accessId"] = accessId;
        o["principalId"] = principalId;
        o["groupId"] = groupId;
        o["targetScheduleId"] = targetScheduleId ?? $"{groupId}_{accessId}_{id}";
        return o;
    }

    /// <summary>A subscription as Graph returns it from POST, GET and PATCH /subscriptions.</summary>
    public static JsonObject Subscription(string id, string resource, string changeType, string notificationUrl, string? lifecycleNotificationUrl, DateTimeOffset expires) => new()
    {
        ["id"] = id,
        ["resource"] = resource,
        ["applicationId"] = "24d3b144-21ae-4080-943f-7067b395b913",
        ["changeType"] = changeType,
        ["clientState"] = null,
        ["notificationUrl"] = notificationUrl,
        ["notificationQueryOptions"] = null,
        ["lifecycleNotificationUrl"] = lifecycleNotificationUrl,
        ["expirationDateTime"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"),
        ["creatorId"] = "8ee44408-0679-472c-bc2a-692812af3437",
        ["includeResourceData"] = null,
        ["latestSupportedTlsVersion"] = "v1_2",
        ["encryptionCertificate"] = null,
        ["encryptionCertificateId"] = null,
        ["notificationUrlAppId"] = null,
    };

    /// <summary>Graph's documented error envelope.</summary>
    public static string Error(string code, string message) => new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["code"] = code,
            ["message"] = message,
            ["innerError"] = new JsonObject
            {
                ["date"] = "2026-07-01T08:00:00",
                ["request-id"] = "9f3a1b2c-0000-4000-8000-000000000001",
                ["client-request-id"] = "9f3a1b2c-0000-4000-8000-000000000002",
            },
        },
    }.ToJsonString();

    public static string NotFound(string id) =>
        Error("Request_ResourceNotFound", $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.");

    public static JsonNode Parse(string json) => JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!;
}
