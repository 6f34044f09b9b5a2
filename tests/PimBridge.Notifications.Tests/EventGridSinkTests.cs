using System.Text.Json.Nodes;
using PimBridge.Testing.Graph;

namespace PimBridge.Notifications.Tests;

/// <summary>The real Azure SDK publisher client, pointed at a loopback server through its HttpClient transport.</summary>
public sealed class EventGridSinkTests : IAsyncLifetime
{
    private const string Key = "topic-access-key==";
    private LoopbackReceiver _receiver = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _receiver = await LoopbackReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    private EventGridSink KeySink() => new("security-topic", _receiver.Url("/api/events"), Key, credential: null, _http);

    [Fact]
    public async Task Publishes_a_cloud_event_batch_signed_with_the_access_key()
    {
        await KeySink().SendAsync(Samples.GapAlert());

        var request = _receiver.Single();
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("/api/events?api-version=", request.PathAndQuery);
        Assert.Equal("application/cloudevents-batch+json; charset=utf-8", request.Header("Content-Type"));
        Assert.Equal(Key, request.Header("aeg-sas-key"));
        Assert.Null(request.Header("Authorization"));

        var cloudEvent = Assert.Single(request.Json.AsArray())!.AsObject();
        Assert.Equal("1.0", (string?)cloudEvent["specversion"]);
        Assert.Equal(Samples.GapAlert().Id, (string?)cloudEvent["id"]);
        Assert.Equal("/pimbridge", (string?)cloudEvent["source"]);
        Assert.Equal("PimBridge.Alert", (string?)cloudEvent["type"]);
        Assert.Equal("alice@contoso.com", (string?)cloudEvent["subject"]);
        Assert.Equal(Samples.At, DateTimeOffset.Parse((string)cloudEvent["time"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("application/json", (string?)cloudEvent["datacontenttype"]);
        Assert.Equal("critical", (string?)cloudEvent["severity"]);
        Assert.False(cloudEvent.ContainsKey("data_base64"));
        // The data is the webhook's document, as JSON (not base64).
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(NotificationDocument.ToJson(Samples.GapAlert())), cloudEvent["data"]),
            $"data was {cloudEvent["data"]}");
    }

    [Fact]
    public async Task Grant_notifications_have_their_own_type_and_alerts_without_a_user_use_the_alert_kind_as_subject()
    {
        await KeySink().SendAsync(Samples.AccessLive());
        await KeySink().SendAsync(Samples.GapAlert() with { User = null, AlertKind = "fence-capacity-exhausted" });
        await KeySink().SendAsync(Samples.AccessRemoved() with { User = null });

        var events = _receiver.Requests.Select(r => r.Json[0]!).ToList();
        Assert.Equal(["PimBridge.AccessLive", "PimBridge.Alert", "PimBridge.AccessRemoved"], events.Select(e => (string?)e["type"]));
        Assert.Equal(["alice@contoso.com", "fence-capacity-exhausted", "access-removed"], events.Select(e => (string?)e["subject"]));
        Assert.Equal("info", (string?)events[0]["severity"]);
    }

    [Fact]
    public async Task A_refused_key_is_explained()
    {
        _receiver.Enqueue(new Reply(401, "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"The request authorization key is not authorized.\"}}"));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => KeySink().SendAsync(Samples.GapAlert()));

        Assert.Equal("security-topic", ex.Sink);
        Assert.Equal(401, ex.Status);
        Assert.Contains("'security-topic' (eventgrid)", ex.Message);
        Assert.Contains("answered 401", ex.Message);
        Assert.Contains("check AccessKey", ex.Message);
        Assert.DoesNotContain(Key, ex.Message);
        Assert.Single(_receiver.Requests); // no SDK retries: the outbox owns retrying
    }

    [Fact]
    public async Task Throttling_carries_retry_after_and_is_not_retried_inside_the_sdk()
    {
        _receiver.Enqueue(new Reply(429, null, new Dictionary<string, string> { ["Retry-After"] = "7" }));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => KeySink().SendAsync(Samples.GapAlert()));

        Assert.Equal(429, ex.Status);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task A_wrong_input_schema_is_explained()
    {
        _receiver.Enqueue(new Reply(400, "{\"error\":{\"code\":\"BadRequest\",\"message\":\"This resource is configured to receive event in 'EventGridEvent' schema.\"}}"));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => KeySink().SendAsync(Samples.GapAlert()));

        Assert.Contains("CloudEvents v1.0", ex.Message);
    }

    [Fact]
    public async Task Without_a_key_it_publishes_with_an_entra_token_over_tls()
    {
        // The SDK sends bearer tokens only over https, so this receiver serves TLS with a throwaway certificate that
        // only this HttpClient trusts.
        await using var tls = await LoopbackReceiver.StartHttpsAsync();
        using var http = tls.TrustingClient();
        var credential = new StubCredential();
        var sink = new EventGridSink("security-topic", tls.Url("/api/events"), accessKey: null, credential, http);

        await sink.SendAsync(Samples.GapAlert());

        var request = tls.Single();
        Assert.Equal($"Bearer {StubCredential.Token}", request.Header("Authorization"));
        Assert.Null(request.Header("aeg-sas-key"));
        Assert.Equal(["https://eventgrid.azure.net/.default"], credential.LastScopes);
        Assert.Equal(Samples.GapAlert().Id, (string?)request.Json[0]!["id"]);
    }

    [Fact]
    public async Task A_refused_token_points_at_the_data_sender_role()
    {
        await using var tls = await LoopbackReceiver.StartHttpsAsync();
        using var http = tls.TrustingClient();
        tls.Enqueue(new Reply(403));
        var sink = new EventGridSink("security-topic", tls.Url("/api/events"), accessKey: null, new StubCredential(), http);

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => sink.SendAsync(Samples.GapAlert()));

        Assert.Contains("EventGrid Data Sender", ex.Message);
    }

    [Fact]
    public void Needs_a_key_or_a_credential()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventGridSink("t", new Uri("https://t.westeurope-1.eventgrid.azure.net/api/events"), null, null));
        Assert.Contains("access key or a token credential", ex.Message);
    }
}
