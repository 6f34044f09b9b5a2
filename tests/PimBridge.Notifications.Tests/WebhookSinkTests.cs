using System.Text.Json.Nodes;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications.Tests;

public sealed class WebhookSinkTests : IAsyncLifetime
{
    private LoopbackReceiver _receiver = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _receiver = await LoopbackReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    private WebhookSink Sink(Dictionary<string, string>? headers = null) =>
        new("siem", _receiver.Url("/hooks/pimbridge?code=secret-code"), headers, _http);

    [Fact]
    public async Task Posts_the_documented_document_with_the_configured_headers()
    {
        _receiver.DefaultReply = new(204);
        await Sink(new() { ["Authorization"] = "Bearer s3cr3t", ["X-Tenant"] = "contoso" }).SendAsync(Samples.GapAlert());

        var request = _receiver.Single();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/pimbridge?code=secret-code", request.PathAndQuery);
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Equal("Bearer s3cr3t", request.Header("Authorization"));
        Assert.Equal("contoso", request.Header("X-Tenant"));
        // Byte for byte: this is the contract documented in docs/notifications.md.
        const string expected =
            """{"schemaVersion":1,"id":"alert:gap.succeeded-after-fence:alice@contoso.com:5f0c2a1e-9b1d-4c55-8d3e-3f5e1c9a7b20","kind":"alert","at":"2025-03-14T09:42:17Z","severity":"critical","title":"Critical: AWS call succeeded after the session fence","text":"alice@contoso.com's PIM activation for prod-admins ended at 09:30:00 UTC, but a session issued before the fence made a successful s3:GetObject call 12 minutes later. Revoke the role's active sessions and check what was read.","user":"alice@contoso.com","alertKind":"gap.succeeded-after-fence","facts":{"User":"alice@contoso.com","Grant":"prod-admins/alice@contoso.com/2025-03-14T08:30:00Z","Account":"111122223333 (prod)","Region":"eu-west-1","Event":"s3:GetObject","Source IP":"203.0.113.24","User agent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp","Time after expiry":"12m 17s","Event id":"5f0c2a1e-9b1d-4c55-8d3e-3f5e1c9a7b20"}}""";
        Assert.Equal(expected, request.Body);
    }

    [Fact]
    public async Task A_grant_notification_keeps_every_field_with_nulls_and_a_kebab_case_kind()
    {
        await Sink().SendAsync(Samples.AccessLive() with { User = null, At = new DateTimeOffset(2025, 3, 14, 10, 0, 0, TimeSpan.FromHours(1)) });

        var json = _receiver.Single().Json.AsObject();
        Assert.Equal(["schemaVersion", "id", "kind", "at", "severity", "title", "text", "user", "alertKind", "facts"], json.Select(p => p.Key));
        Assert.Equal("access-live", (string?)json["kind"]);
        Assert.Equal("info", (string?)json["severity"]);
        Assert.Equal("2025-03-14T09:00:00Z", (string?)json["at"]); // always UTC
        Assert.Null(json["user"]);
        Assert.Null(json["alertKind"]);
        Assert.True(json.ContainsKey("user") && json.ContainsKey("alertKind"));
        Assert.Equal(["Mapping", "Permission set", "Accounts", "Ends"], json["facts"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Repeated_fact_keys_stay_in_order_and_become_unique()
    {
        var json = JsonNode.Parse(NotificationDocument.ToJson(Samples.AccessLive() with
        {
            Facts = [new("Account", "111122223333"), new("Account", "444455556666"), new("Region", "eu-west-1"), new("Account", "777788889999")],
        }))!;

        var facts = json["facts"]!.AsObject().Select(p => $"{p.Key}={p.Value}");
        Assert.Equal(["Account=111122223333", "Account (2)=444455556666", "Region=eu-west-1", "Account (3)=777788889999"], facts);
    }

    [Fact]
    public void Kind_and_severity_names_round_trip()
    {
        foreach (var kind in Enum.GetValues<NotificationKind>())
            Assert.Equal(kind, NotificationDocument.ParseKind(NotificationDocument.KindName(kind)));
        foreach (var severity in Enum.GetValues<PimBridge.Core.Domain.AlertSeverity>())
            Assert.Equal(severity, NotificationDocument.ParseSeverity(NotificationDocument.SeverityName(severity)));
        Assert.Equal(NotificationKind.ExpiresSoon, NotificationDocument.ParseKind(" Expires-Soon "));
        Assert.Null(NotificationDocument.ParseKind("expires_soon"));
    }

    [Fact]
    public async Task A_refusal_names_the_sink_the_status_and_what_to_check_without_the_secret_url()
    {
        _receiver.DefaultReply = new(401, "{\"error\":\"invalid token\"}");

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Equal("siem", ex.Sink);
        Assert.Equal(401, ex.Status);
        Assert.Null(ex.RetryAfter);
        Assert.Contains("'siem' (webhook)", ex.Message);
        Assert.Contains($"{_receiver.Root.ToString().TrimEnd('/')} answered 401 Unauthorized", ex.Message);
        Assert.Contains("invalid token", ex.Message);
        Assert.Contains("check the sink's Headers", ex.Message);
        Assert.DoesNotContain("secret-code", ex.Message);
        Assert.DoesNotContain("/hooks/", ex.Message);
    }

    [Fact]
    public async Task Too_many_requests_carries_retry_after_seconds()
    {
        _receiver.Enqueue(new Reply(429, "slow down", new Dictionary<string, string> { ["Retry-After"] = "120" }));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Equal(429, ex.Status);
        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        Assert.Contains("rate limiting", ex.Message);
        Assert.Contains("after 120s", ex.Message);
    }

    [Fact]
    public async Task Unavailable_with_an_http_date_retry_after_carries_the_delay_until_then()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(10);
        _receiver.Enqueue(new Reply(503, null, new Dictionary<string, string> { ["Retry-After"] = until.ToString("R") }));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Equal(503, ex.Status);
        Assert.InRange(ex.RetryAfter!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_server_error_without_retry_after_leaves_the_backoff_to_the_outbox()
    {
        _receiver.Enqueue(new Reply(500, "boom"));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Equal(500, ex.Status);
        Assert.Null(ex.RetryAfter);
        Assert.Contains("will be retried", ex.Message);
    }

    [Fact]
    public async Task An_unreachable_receiver_says_so()
    {
        // A port that was free a moment ago and that nothing listens on now.
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var closed = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)probe.LocalEndpoint).Port}/hook");
        probe.Stop();

        var sink = new WebhookSink("siem", closed, null, _http);
        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => sink.SendAsync(Samples.GapAlert()));

        Assert.Null(ex.Status);
        Assert.Contains("could not reach", ex.Message);
        Assert.Contains("Check the sink's Url", ex.Message);
    }
}
