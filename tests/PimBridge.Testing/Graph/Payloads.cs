namespace PimBridge.Testing.Graph;

/// <summary>
/// Deliveries as documented (shared/reference/entra-pim-and-event-grid.md), with only the placeholders filled in:
/// §5.6's Graph CloudEvent, §5.5's lifecycle event, §6.1's subscription validation, and §7.4's invocation request.
/// </summary>
public static class Payloads
{
    public const string TenantId = "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e";

    /// <summary>The clientState the test hosts are configured with.</summary>
    public const string DefaultClientState = "client-state-secret-0123456789";

    /// <summary>§5.6, the documented Microsoft.Graph.GroupUpdated CloudEvent.</summary>
    public static string GroupUpdatedCloudEvent(string groupId, string id = "00d8a100-2e92-4bfa-86e1-0056dacd0fce", string clientState = DefaultClientState) => $$"""
        {
          "id": "{{id}}",
          "type": "Microsoft.Graph.GroupUpdated",
          "source": "/tenants/{{TenantId}}/applications/4962773b-9cdb-44cf-a8bf-237846a00ab7",
          "subject": "Groups/{{groupId}}",
          "time": "2022-05-24T22:24:31.3062901Z",
          "datacontenttype": "application/json",
          "specversion": "1.0",
          "data": {
            "changeType": "updated",
            "clientState": "{{clientState}}",
            "resource": "Groups/{{groupId}}",
            "resourceData": {
              "@odata.type": "#Microsoft.Graph.Group",
              "@odata.id": "Groups/{{groupId}}",
              "id": "{{groupId}}",
              "organizationId": "{{TenantId}}",
              "eventTime": "2022-05-24T22:24:31.3062901Z",
              "sequenceNumber": 638000000000000000
            },
            "subscriptionExpirationDateTime": "2022-05-24T23:21:19.3554403+00:00",
            "subscriptionId": "c2a1e6a4-5d2c-4c8a-9c43-0f1b5c1e8a11",
            "tenantId": "{{TenantId}}"
          }
        }
        """;

    /// <summary>§5.6, the shape captured in the official sample: resourceData with ids only, no eventTime or sequenceNumber.</summary>
    public static string GroupUpdatedIdsOnly(string groupId, string id) => $$"""
        {
          "id": "{{id}}",
          "type": "Microsoft.Graph.GroupUpdated",
          "source": "/tenants/{{TenantId}}/applications/4962773b-9cdb-44cf-a8bf-237846a00ab7",
          "subject": "Groups/{{groupId}}",
          "time": "2024-03-01T10:00:00.0000000Z",
          "datacontenttype": "application/json",
          "specversion": "1.0",
          "data": {
            "changeType": "updated",
            "clientState": "{{DefaultClientState}}",
            "resource": "Groups/{{groupId}}",
            "resourceData": {
              "@odata.type": "#Microsoft.Graph.Group",
              "@odata.id": "Groups/{{groupId}}",
              "id": "{{groupId}}",
              "organizationId": "{{TenantId}}"
            },
            "subscriptionExpirationDateTime": "2024-03-02T10:00:00.0000000+00:00",
            "subscriptionId": "c2a1e6a4-5d2c-4c8a-9c43-0f1b5c1e8a11",
            "tenantId": "{{TenantId}}"
          }
        }
        """;

    /// <summary>The same Graph notification in the Event Grid schema (id, eventType, subject, eventTime, data, dataVersion, metadataVersion).</summary>
    public static string GroupUpdatedEventGridSchema(string groupId, string id = "5d8e4d4b-0c9e-4c8e-9f4d-1f1c2e3d4a5b") => $$"""
        [{
          "id": "{{id}}",
          "topic": "/subscriptions/8A8A8A8A-4B4B-4C4C-4D4D-12E12E12E12E/resourceGroups/rg-example/providers/Microsoft.EventGrid/partnerTopics/graph-groups",
          "subject": "Groups/{{groupId}}",
          "eventType": "Microsoft.Graph.GroupUpdated",
          "eventTime": "2022-05-24T22:24:31.3062901Z",
          "data": {
            "changeType": "updated",
            "clientState": "{{DefaultClientState}}",
            "resource": "Groups/{{groupId}}",
            "resourceData": { "@odata.type": "#Microsoft.Graph.Group", "@odata.id": "Groups/{{groupId}}", "id": "{{groupId}}", "organizationId": "{{TenantId}}" },
            "subscriptionId": "c2a1e6a4-5d2c-4c8a-9c43-0f1b5c1e8a11",
            "tenantId": "{{TenantId}}"
          },
          "dataVersion": "1.0",
          "metadataVersion": "1"
        }]
        """;

    /// <summary>§6.1, Event Grid's SubscriptionValidationEvent (Event Grid schema, an array with one event).</summary>
    public const string SubscriptionValidation = """
        [{
          "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
          "topic": "/subscriptions/xx/resourceGroups/xx/providers/Microsoft.EventGrid/topics/xx",
          "subject": "",
          "data": {
            "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
            "validationUrl": "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=512d38b6-c7b8-40c8-89fe-f46f9e9622b6&t=2018-04-26T20:30:54.4538837Z&apiVersion=2018-05-01-preview&token=1A1A1A1A"
          },
          "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
          "eventTime": "2018-01-25T22:12:19.4556811Z",
          "metadataVersion": "1",
          "dataVersion": "1"
        }]
        """;

    /// <summary>§5.5, a lifecycle event as community fixtures show it, as a CloudEvent.</summary>
    public static string Lifecycle(string lifecycleEvent, string subscriptionId, string id, string clientState = DefaultClientState) => $$"""
        {
          "id": "{{id}}",
          "type": "Microsoft.Graph.Subscription{{char.ToUpperInvariant(lifecycleEvent[0])}}{{lifecycleEvent[1..]}}",
          "source": "/tenants/{{TenantId}}/applications/4962773b-9cdb-44cf-a8bf-237846a00ab7",
          "subject": "Subscriptions/{{subscriptionId}}",
          "time": "2024-03-01T10:00:00.0000000Z",
          "datacontenttype": "application/json",
          "specversion": "1.0",
          "data": {
            "subscriptionId": "{{subscriptionId}}",
            "subscriptionExpirationDateTime": "2024-03-02T10:00:00.0000000+00:00",
            "tenantId": "{{TenantId}}",
            "clientState": "{{clientState}}",
            "lifecycleEvent": "{{lifecycleEvent}}"
          }
        }
        """;
}
