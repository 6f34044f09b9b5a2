using PimBridge.Testing.Graph;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Kiota.Abstractions;
using PimBridge.Entra;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The Azure Functions custom handler: invocation envelopes in, <c>{"Outputs", "Logs", "ReturnValue"}</c> out.</summary>
public sealed class CustomHandlerTests
{
    private static async Task<(HttpStatusCode Status, JsonObject Body)> InvokeAsync(HostHarness h, string function, string envelope)
    {
        // As the Functions host sends it: no delivery credentials (the host authenticated Event Grid), its own headers.
        var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = new StringContent(envelope, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.UserAgent.ParseAdd("Azure-Functions-Host/4.1036.1");
        var response = await h.Client.SendAsync(request);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static List<string> Logs(JsonObject body) => body["Logs"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_Event_Grid_function_takes_the_event_as_an_object_or_as_a_JSON_string(bool asString)
    {
        await using var h = await StartAsync();

        var (status, body) = await InvokeAsync(h, "GraphEvents", Payloads.EventGridInvocation(Payloads.GroupUpdatedCloudEvent(OpsGroup), asString));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(body["Outputs"]!.AsObject());
        Assert.True(body.ContainsKey("ReturnValue"));
        Assert.Null(body["ReturnValue"]);
        Assert.Contains(Logs(body), l => l.Contains("hinted") && l.Contains(OpsGroup));
        Assert.Single(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task The_Event_Grid_function_checks_clientState_too()
    {
        await using var h = await StartAsync();

        var (status, body) = await InvokeAsync(h, "GraphEvents", Payloads.EventGridInvocation(Payloads.GroupUpdatedCloudEvent(OpsGroup, clientState: "forged"), asString: true));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(Logs(body), l => l.Contains("rejected: clientState does not match"));
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task An_invocation_without_a_readable_event_fails_with_the_reason_in_the_logs()
    {
        await using var h = await StartAsync();

        var (status, body) = await InvokeAsync(h, "GraphEvents", """{ "Data": { "eventGridEvent": "{not json" }, "Metadata": {} }""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(Logs(body), l => l.StartsWith("failed: Malformed JSON"));
        Assert.Null(await h.Store.GetAuditHeadAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_timer_function_reconciles_every_mapped_group_and_applies_the_access(bool asString)
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));

        var (status, body) = await InvokeAsync(h, "Reconcile", Payloads.TimerInvocation("myTimer", "Reconcile", asString));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(Logs(body), l => l.StartsWith("reconciled 2 mapped groups from PIM: 2 new grants"));
        Assert.True(h.Aws.IsActive(AliceOpsProd));
        Assert.True(h.Aws.IsActive(AliceAuditStaging));
        Assert.Equal([OpsGroup, AuditGroup], Assert.Single(h.Pim.Reads).Groups.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task The_timer_function_fails_when_PIM_throttles_and_then_holds_off_until_the_Retry_After()
    {
        await using var h = await StartAsync();
        h.Pim.FailNext(new GraphPimException(OpsGroup, "throttled", new ApiException("throttled")
        {
            ResponseStatusCode = 429,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>> { ["Retry-After"] = ["300"] },
        }, h.Clock));

        var (failed, _) = await InvokeAsync(h, "Reconcile", Payloads.TimerInvocation("myTimer", "Reconcile"));
        var (skipped, body) = await InvokeAsync(h, "Reconcile", Payloads.TimerInvocation("myTimer", "Reconcile"));

        Assert.Equal(HttpStatusCode.InternalServerError, failed);
        Assert.Equal(HttpStatusCode.OK, skipped);
        Assert.Contains(Logs(body), l => l.StartsWith("skipped: PIM is throttling PimBridge until"));
        Assert.Single(h.Pim.Reads);
    }

    [Fact]
    public async Task The_daily_timer_function_keeps_the_Graph_subscriptions_and_logs_each_one()
    {
        await using var h = await StartAsync();

        var (status, body) = await InvokeAsync(h, "RenewSubscriptions", Payloads.TimerInvocation("dailyTimer", "RenewSubscriptions"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, h.Subscriptions.Ensured);
        Assert.Contains(Logs(body), l => l.StartsWith($"groups/{OpsGroup}/members (group {OpsGroup}): renewed, subscription sub-ops"));
    }

    [Fact]
    public async Task The_daily_timer_function_fails_when_a_subscription_could_not_be_kept()
    {
        await using var h = await StartAsync();
        h.Subscriptions.EnsureActions.Add(new SubscriptionAction(AuditGroup, $"groups/{AuditGroup}/owners", "failed", null, null, "Authorization_RequestDenied"));

        var (status, body) = await InvokeAsync(h, "RenewSubscriptions", Payloads.TimerInvocation("dailyTimer", "RenewSubscriptions"));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains(Logs(body), l => l.EndsWith(": failed: Authorization_RequestDenied"));
    }

    [Fact]
    public async Task Outside_the_Functions_host_the_unauthenticated_function_routes_do_not_exist()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Functions:Enabled"] = null });

        foreach (var function in new[] { "GraphEvents", "Reconcile", "RenewSubscriptions" })
        {
            var response = await h.Client.PostAsync("/" + function, new StringContent(Payloads.TimerInvocation("myTimer", function), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        Assert.Equal(0, h.Subscriptions.Ensured);
    }
}
