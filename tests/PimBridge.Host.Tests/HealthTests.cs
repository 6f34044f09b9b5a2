using PimBridge.Testing.Graph;
using System.Net;
using System.Text.Json.Nodes;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_says_the_process_is_up_and_readyz_that_the_store_answers()
    {
        await using var h = await StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task A_host_that_cannot_compose_stays_up_says_why_it_is_not_ready_and_asks_Event_Grid_to_retry()
    {
        await using var h = await StartAsync(compose: (_, _) => throw new InvalidOperationException("the configuration file /etc/pimbridge.json does not exist"));

        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync("/healthz")).StatusCode);
        var ready = await h.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("PimBridge is not configured: the configuration file /etc/pimbridge.json does not exist",
            JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup))).StatusCode);
    }

    [Fact]
    public async Task Readyz_fails_naming_the_setting_when_no_delivery_authentication_is_configured()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["SharedSecret:Secret"] = "", ["Bearer:ValidAudiences:0"] = null, ["Bearer:ValidIssuers:0"] = null });

        var ready = await h.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var reason = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>();
        Assert.StartsWith("no delivery authentication is configured", reason);
        Assert.Contains("PimBridge:Host:SharedSecret:Secret", reason);
        Assert.Contains("PimBridge:Host:Bearer:ValidAudiences", reason);
    }

    [Fact]
    public async Task Readyz_fails_when_there_is_no_clientState_to_check_notifications_against()
    {
        await using var h = await StartAsync();
        h.Subscriptions.ClientState = null;

        var ready = await h.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.StartsWith("no clientState to check Graph notifications against", JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Readyz_passes_when_the_subscriptions_have_a_clientState()
    {
        await using var h = await StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readyz_fails_when_the_store_does_not_answer()
    {
        await using var h = await StartAsync();
        await ((IAsyncDisposable)h.Store).DisposeAsync();

        var ready = await h.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.StartsWith("the state store is not reachable", JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Misspelt_or_invalid_host_settings_stop_the_host_from_starting()
    {
        var misspelt = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(new Dictionary<string, string?> { ["SharedSecret:Secrte"] = "x" }));
        Assert.Contains("Secrte", misspelt.ToString());

        var invalid = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(new Dictionary<string, string?> { ["EventsPath"] = "api/events" }));
        Assert.Contains("EventsPath must start with '/'", invalid.ToString());
    }
}
