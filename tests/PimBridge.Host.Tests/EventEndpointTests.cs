using PimBridge.Testing.Graph;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The Event Grid webhook: schemas, handshakes, authentication, clientState, dedupe, and refusals that change nothing.</summary>
public sealed class EventEndpointTests
{
    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject)!;

    [Theory]
    [InlineData("application/cloudevents+json; charset=utf-8")]
    [InlineData("application/json")]
    public async Task A_single_structured_CloudEvent_for_a_mapped_group_records_a_durable_hint(string contentType)
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup), contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await JsonAsync(response))["hinted"]!.GetValue<int>());
        Assert.Single(await h.HintsAsync(OpsGroup));
        Assert.Equal(1, h.Counters.Hinted);
    }

    /// <summary>The same event in the HTTP binding's binary mode: attributes in <c>ce-*</c> headers, the data as the body.</summary>
    private static Task<HttpResponseMessage> DeliverBinaryAsync(HostHarness h, string groupId, string id = "binary-1", Action<HttpRequestMessage>? change = null) =>
        h.DeliverAsync(System.Text.Json.Nodes.JsonNode.Parse(Payloads.GroupUpdatedCloudEvent(groupId))!["data"]!.ToJsonString(), "application/json", request =>
        {
            request.Headers.Add(HostHarness.SecretHeader, HostHarness.SharedSecret);
            request.Headers.Add("ce-specversion", "1.0");
            request.Headers.Add("ce-id", id);
            request.Headers.Add("ce-type", "Microsoft.Graph.GroupUpdated");
            request.Headers.Add("ce-source", $"/tenants/{Payloads.TenantId}/applications/4962773b-9cdb-44cf-a8bf-237846a00ab7");
            request.Headers.Add("ce-subject", $"Groups/{groupId}");
            change?.Invoke(request);
        });

    [Fact]
    public async Task A_binary_mode_CloudEvent_records_a_hint_like_a_structured_one()
    {
        await using var h = await StartAsync();

        var response = await DeliverBinaryAsync(h, OpsGroup);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await JsonAsync(response))["hinted"]!.GetValue<int>());
        Assert.Single(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task A_binary_mode_CloudEvent_without_an_id_is_refused_naming_the_header_and_changes_nothing()
    {
        await using var h = await StartAsync();

        var response = await DeliverBinaryAsync(h, OpsGroup, change: r => r.Headers.Remove("ce-id"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ce-id", (await JsonAsync(response))["reason"]!.GetValue<string>());
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task A_binary_mode_CloudEvent_whose_data_is_not_JSON_is_refused_and_changes_nothing()
    {
        await using var h = await StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add(HostHarness.SecretHeader, HostHarness.SharedSecret);
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-id", "binary-2");
        request.Headers.Add("ce-type", "Microsoft.Graph.GroupUpdated");
        request.Headers.Add("ce-source", "/tenants/x");

        var response = await h.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("binary-mode", (await JsonAsync(response))["reason"]!.GetValue<string>());
        Assert.Empty(await h.Store.GetDueIntentsAsync(h.Now.AddDays(1), 10));
    }

    [Fact]
    public async Task A_CloudEvents_batch_records_a_hint_per_mapped_group()
    {
        await using var h = await StartAsync();
        var batch = $"[{Payloads.GroupUpdatedCloudEvent(OpsGroup, "e-1")},{Payloads.GroupUpdatedIdsOnly(AuditGroup.ToUpperInvariant(), "e-2")}]";

        var response = await h.DeliverAsync(batch, "application/cloudevents-batch+json; charset=utf-8");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await h.HintsAsync(OpsGroup));
        Assert.Single(await h.HintsAsync(AuditGroup)); // group ids are compared lower-case
    }

    [Fact]
    public async Task An_Event_Grid_schema_array_records_a_hint()
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.GroupUpdatedEventGridSchema(OpsGroup), "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task The_CloudEvents_OPTIONS_handshake_grants_Event_Grid_and_refuses_other_origins()
    {
        await using var h = await StartAsync();

        var handshake = new HttpRequestMessage(HttpMethod.Options, "/api/events");
        handshake.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        handshake.Headers.Add("WebHook-Request-Rate", "120");
        var granted = await h.Client.SendAsync(handshake);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal("eventgrid.azure.net", Assert.Single(granted.Headers.GetValues("WebHook-Allowed-Origin")));
        Assert.Equal("*", Assert.Single(granted.Headers.GetValues("WebHook-Allowed-Rate")));
        Assert.Contains("POST", granted.Content.Headers.Allow);

        var other = new HttpRequestMessage(HttpMethod.Options, "/api/events");
        other.Headers.Add("WebHook-Request-Origin", "attacker.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Client.SendAsync(other)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/api/events"))).StatusCode);
    }

    [Fact]
    public async Task Configured_handshake_origins_replace_Event_Grids_defaults()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["AllowedWebHookOrigins:0"] = "eventgrid.azure.net" });

        HttpRequestMessage Handshake(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Options, "/api/events");
            request.Headers.Add("WebHook-Request-Origin", origin);
            return request;
        }

        Assert.Equal(HttpStatusCode.OK, (await h.Client.SendAsync(Handshake("eventgrid.azure.net"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Client.SendAsync(Handshake("eventgrid.azure.us"))).StatusCode); // narrowed, not added to
    }

    [Fact]
    public async Task A_SubscriptionValidationEvent_is_answered_with_its_validation_code_and_records_nothing()
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.SubscriptionValidation, "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", (await JsonAsync(response))["validationResponse"]!.GetValue<string>());
        Assert.Null(await h.Store.GetAuditHeadAsync());
        Assert.Empty(await h.Store.GetDueIntentsAsync(h.Now.AddDays(1), 10));
    }

    [Fact]
    public async Task A_bearer_token_signed_by_the_trusted_key_for_this_audience_is_accepted()
    {
        await using var h = await StartAsync();
        var token = h.Token();

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup), authenticate: r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await h.HintsAsync(OpsGroup));
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "audience", "wrong audience" },
        { "expired", "expired" },
        { "signature", "bad signature" },
        { "issuer", "wrong issuer" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bearer_token_with_a_wrong_audience_issuer_or_signature_or_expired_is_refused_with_the_reason(string flaw, string reason)
    {
        await using var h = await StartAsync();
        var forger = new RsaSecurityKey(RSA.Create(2048)) { KeyId = SigningKey.KeyId }; // same key id, other key
        var token = flaw switch
        {
            "audience" => h.Token(audience: "api://something-else"),
            "expired" => h.Token(expiresIn: TimeSpan.FromMinutes(-10)), // beyond the 5 minutes of clock skew
            "signature" => h.Token(key: forger),
            _ => h.Token(issuer: "https://login.microsoftonline.com/another-tenant/v2.0"),
        };

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup), authenticate: r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"bearer token rejected: {reason}", (await JsonAsync(response))["reason"]!.GetValue<string>());
        Assert.Contains(response.Headers.WwwAuthenticate, v => v.Scheme == "Bearer");
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task The_shared_secret_is_accepted_in_its_header_or_query_parameter_and_a_wrong_one_is_refused()
    {
        await using var h = await StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup, "e-header"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(AuditGroup, "e-query"),
            authenticate: r => r.RequestUri = new Uri($"/api/events?secret={SharedSecret}", UriKind.Relative))).StatusCode);
        var wrong = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup, "e-wrong"), authenticate: r => r.Headers.Add(SecretHeader, SharedSecret + "x"));

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal($"the shared secret in header {SecretHeader} does not match", (await JsonAsync(wrong))["reason"]!.GetValue<string>());
        Assert.Equal(2, h.Counters.Hinted);
    }

    [Fact]
    public async Task A_delivery_without_credentials_is_refused_with_401_and_says_what_to_send()
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup), authenticate: _ => { });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("no credentials: send an Authorization: Bearer token or the shared secret", (await JsonAsync(response))["reason"]!.GetValue<string>());
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task Without_any_authentication_configured_every_delivery_is_refused()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["SharedSecret:Secret"] = "", ["Bearer:ValidAudiences:0"] = null, ["Bearer:ValidIssuers:0"] = null });

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("no delivery authentication is configured", (await JsonAsync(response))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_notification_with_the_wrong_clientState_is_rejected_counted_and_never_acted_on()
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup, clientState: "forged"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // redelivering a forged event would not help
        var rejected = Assert.Single((await JsonAsync(response))["rejected"]!.AsArray());
        Assert.Equal("clientState does not match", rejected!["reason"]!.GetValue<string>());
        Assert.Equal(1, h.Counters.Rejected);
        Assert.Empty(await h.HintsAsync(OpsGroup));
        Assert.Null(await h.Store.GetAuditHeadAsync());
    }

    [Fact]
    public async Task Notifications_are_checked_against_the_clientState_the_subscriptions_are_created_with()
    {
        await using var h = await StartAsync();
        h.Subscriptions.ClientState = "rotated-client-state-9876543210"; // Entra.Subscriptions.ClientState: the one setting

        var stale = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup, id: "n-1"));
        var current = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup, id: "n-2", clientState: "rotated-client-state-9876543210"));

        Assert.Equal("clientState does not match", (await JsonAsync(stale))["rejected"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal(1, (await JsonAsync(current))["hinted"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_redelivered_event_id_is_acted_on_once()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        var delivery = Payloads.GroupUpdatedCloudEvent(OpsGroup, "same-id");

        Assert.Equal(HttpStatusCode.OK, (await h.DeliverAsync(delivery)).StatusCode);
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd)); // the hint ran: a second one would queue anew
        var reads = h.Pim.Reads.Count;
        var again = await h.DeliverAsync(delivery);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, (await JsonAsync(again))["duplicates"]!.GetValue<int>());
        Assert.Empty(await h.HintsAsync(OpsGroup));
        Assert.Equal(1, h.Counters.Hinted);
        Assert.Equal(1, h.Counters.Duplicates);
        Assert.Equal(reads, h.Pim.Reads.Count);
    }

    /// <summary>
    /// Event Grid does not retry a 400: refusing a whole batch for one bad element would lose the valid ones. They are
    /// acted on, and the bad ones reported (response, warning log, rejected counter).
    /// </summary>
    [Fact]
    public async Task A_batch_with_malformed_elements_acts_on_the_valid_ones_and_reports_the_rest()
    {
        await using var h = await StartAsync();
        var noId = """{"specversion": "1.0", "source": "/s", "type": "Microsoft.Graph.GroupUpdated"}""";
        var batch = $"[{Payloads.GroupUpdatedCloudEvent(OpsGroup, "good")},{noId},7]";

        var response = await h.DeliverAsync(batch, "application/cloudevents-batch+json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal(1, json["hinted"]!.GetValue<int>());
        var rejected = json["rejected"]!.AsArray();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, r => Assert.StartsWith("not a valid event", r!["reason"]!.GetValue<string>()));
        Assert.Equal(["element 2", "element 3"], rejected.Select(r => r!["id"]!.GetValue<string>()));
        Assert.Single(await h.HintsAsync(OpsGroup));
        Assert.Equal(2, h.Counters.Rejected);
    }

    /// <summary>A CloudEvent is identified by source and id together: the same id from another source is another event.</summary>
    [Fact]
    public async Task The_same_id_from_two_sources_is_two_events()
    {
        await using var h = await StartAsync();
        var first = Payloads.GroupUpdatedCloudEvent(OpsGroup, "shared-id");
        var second = Payloads.GroupUpdatedCloudEvent(AuditGroup, "shared-id").Replace("/applications/", "/other-applications/", StringComparison.Ordinal);
        Assert.NotEqual(first, second);

        var response = await h.DeliverAsync($"[{first},{second}]", "application/cloudevents-batch+json");

        Assert.Equal(2, (await JsonAsync(response))["hinted"]!.GetValue<int>());
        Assert.Equal(0, h.Counters.Duplicates);
    }

    [Fact]
    public async Task The_same_id_twice_in_one_batch_is_acted_on_once()
    {
        await using var h = await StartAsync();
        var batch = $"[{Payloads.GroupUpdatedCloudEvent(OpsGroup, "twice")},{Payloads.GroupUpdatedCloudEvent(OpsGroup, "twice")}]";

        var response = await h.DeliverAsync(batch, "application/cloudevents-batch+json");

        Assert.Equal(1, (await JsonAsync(response))["hinted"]!.GetValue<int>());
        Assert.Equal(1, h.Counters.Duplicates);
    }

    [Fact]
    public async Task A_group_no_mapping_watches_is_acknowledged_without_a_store_write()
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(UnmappedGroup));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await JsonAsync(response))["unmapped"]!.GetValue<int>());
        Assert.Null(await h.Store.GetAuditHeadAsync());
        Assert.Empty(await h.Store.GetDueIntentsAsync(h.Now.AddDays(1), 10));
        Assert.Empty(await h.HintsAsync(UnmappedGroup));
    }

    [Fact]
    public async Task Other_event_types_are_acknowledged_and_ignored()
    {
        await using var h = await StartAsync();
        var userUpdated = Payloads.GroupUpdatedCloudEvent(OpsGroup).Replace("Microsoft.Graph.GroupUpdated", "Microsoft.Graph.UserUpdated");

        var response = await h.DeliverAsync(userUpdated);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, h.Counters.Ignored);
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "{\"id\": \"x\", \"type\": ", "application/cloudevents+json", "Malformed JSON" },
        { "\"just a string\"", "application/json", "Expected a JSON object (one event) or an array of events" },
        { "{\"hello\": \"world\"}", "application/json", "Neither a CloudEvent" },
        { "{\"specversion\": \"1.0\", \"type\": \"Microsoft.Graph.GroupUpdated\"}", "application/cloudevents+json", "Not a valid event" },
        { "[7, {\"hello\": \"world\"}]", "application/cloudevents-batch+json", "No element of the batch is a valid event" },
        { "hello", "text/plain", "unsupported content type 'text/plain" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_body_that_is_not_a_delivery_is_refused_with_400_and_the_reason_and_changes_nothing(string body, string contentType, string reason)
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(body, contentType);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(reason, (await JsonAsync(response))["reason"]!.GetValue<string>());
        Assert.Null(await h.Store.GetAuditHeadAsync());
        Assert.Empty(await h.Store.GetDueIntentsAsync(h.Now.AddDays(1), 10));
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_with_400_and_changes_nothing()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["MaxBodyBytes"] = "4096" });
        var padded = Payloads.GroupUpdatedCloudEvent(OpsGroup).Replace("\"changeType\"", $"\"padding\": \"{new string('x', 5000)}\", \"changeType\"");

        var response = await h.DeliverAsync(padded);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("over the limit of 4096 bytes", (await JsonAsync(response))["reason"]!.GetValue<string>());
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task The_default_limit_is_one_MiB()
    {
        await using var h = await StartAsync();
        var padded = Payloads.GroupUpdatedCloudEvent(OpsGroup).Replace("\"changeType\"", $"\"padding\": \"{new string('x', 1024 * 1024)}\", \"changeType\"");

        var response = await h.DeliverAsync(padded);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("over the limit of 1048576 bytes", (await JsonAsync(response))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_events_path_is_configurable()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["EventsPath"] = "/eventgrid" });
        var request = new HttpRequestMessage(HttpMethod.Post, "/eventgrid") { Content = new StringContent(Payloads.GroupUpdatedCloudEvent(OpsGroup), System.Text.Encoding.UTF8, "application/cloudevents+json") };
        request.Headers.Add(SecretHeader, SharedSecret);

        Assert.Equal(HttpStatusCode.OK, (await h.Client.SendAsync(request)).StatusCode);
        Assert.Single(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task A_reauthorizationRequired_lifecycle_event_reauthorizes_the_subscription()
    {
        await using var h = await StartAsync();

        var response = await h.DeliverAsync(Payloads.Lifecycle("reauthorizationRequired", "sub-42", "life-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sub-42", Assert.Single(h.Subscriptions.Reauthorized));
        Assert.Equal(1, h.Counters.Lifecycle);
    }

    [Fact]
    public async Task A_lifecycle_event_with_the_wrong_clientState_reauthorizes_nothing()
    {
        await using var h = await StartAsync();

        await h.DeliverAsync(Payloads.Lifecycle("reauthorizationRequired", "sub-42", "life-1", clientState: "forged"));

        Assert.Empty(h.Subscriptions.Reauthorized);
        Assert.Equal(1, h.Counters.Rejected);
    }

    [Fact]
    public async Task A_removed_subscription_is_recreated_and_every_mapped_group_reconciled_for_what_was_missed()
    {
        await using var h = await StartAsync();

        var removed = await h.DeliverAsync(Payloads.Lifecycle("subscriptionRemoved", "sub-42", "life-2"));
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal(1, h.Subscriptions.Ensured);
        Assert.Single(await h.HintsAsync(OpsGroup));
        Assert.Single(await h.HintsAsync(AuditGroup));

        var missed = await h.DeliverAsync(Payloads.Lifecycle("missed", "sub-42", "life-3"));
        Assert.Equal(HttpStatusCode.OK, missed.StatusCode);
        Assert.Equal(1, h.Subscriptions.Ensured); // missed: the subscription still exists
        Assert.Equal(2, h.Counters.Lifecycle);
    }
}
