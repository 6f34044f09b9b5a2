using System.Text.Json.Nodes;

namespace PimBridge.Notifications.Tests;

public sealed class TeamsSinkTests : IAsyncLifetime
{
    private LoopbackReceiver _receiver = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _receiver = await LoopbackReceiver.StartAsync();
        _receiver.DefaultReply = new(202); // what a Workflows webhook answers: the flow runs asynchronously
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    private TeamsSink Sink() =>
        new("security-teams", _receiver.Url("/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRETSIG"), _http);

    private static JsonObject Card(JsonNode message) => message["attachments"]![0]!["content"]!.AsObject();

    [Fact]
    public async Task Posts_an_adaptive_card_message_and_treats_202_as_delivered()
    {
        await Sink().SendAsync(Samples.GapAlert());

        var request = _receiver.Single();
        Assert.Equal("application/json", request.Header("Content-Type"));
        var message = request.Json;
        Assert.Equal("message", (string?)message["type"]);
        var attachment = Assert.Single(message["attachments"]!.AsArray())!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", (string?)attachment["contentType"]);

        var card = Card(message);
        Assert.Equal("AdaptiveCard", (string?)card["type"]);
        Assert.Equal("1.4", (string?)card["version"]);
        Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", (string?)card["$schema"]);
        Assert.Equal("Full", (string?)card["msteams"]!["width"]);

        var body = card["body"]!.AsArray();
        Assert.Equal(["Container", "TextBlock", "FactSet", "TextBlock"], body.Select(e => (string?)e!["type"]));

        var banner = body[0]!;
        Assert.Equal("attention", (string?)banner["style"]);
        var title = banner["items"]![0]!;
        Assert.Equal("Critical: AWS call succeeded after the session fence", (string?)title["text"]);
        Assert.Equal("Attention", (string?)title["color"]);
        Assert.Equal("Bolder", (string?)title["weight"]);
        Assert.True((bool)title["wrap"]!);

        Assert.Equal(Samples.GapAlert().Text, (string?)body[1]!["text"]);
        Assert.True((bool)body[1]!["wrap"]!);

        var facts = body[2]!["facts"]!.AsArray().Select(f => $"{f!["title"]}={f["value"]}").ToList();
        Assert.Equal(Samples.GapAlert().Facts.Select(f => $"{f.Key}={f.Value}"), facts);

        Assert.Equal($"Critical alert · gap.succeeded-after-fence · 2025-03-14 09:42:17 UTC · notification {Samples.GapAlert().Id}", (string?)body[3]!["text"]);
        Assert.True((bool)body[3]!["isSubtle"]!);
    }

    [Fact]
    public async Task A_200_from_a_flow_with_a_response_action_is_delivered_too()
    {
        _receiver.Enqueue(new Reply(200, "1"));

        await Sink().SendAsync(Samples.GapAlert());

        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public void Severity_and_kind_choose_the_banner_style()
    {
        static string? Style(JsonNode message) => (string?)Card(message)["body"]![0]!["style"];

        Assert.Equal("warning", Style(TeamsCard.Render(Samples.WarningAlert())));
        Assert.Equal("Warning", (string?)Card(TeamsCard.Render(Samples.WarningAlert()))["body"]![0]!["items"]![0]!["color"]);
        Assert.Equal("accent", Style(TeamsCard.Render(Samples.GapAlert() with { Severity = PimBridge.Core.Domain.AlertSeverity.Info })));
        Assert.Equal("good", Style(TeamsCard.Render(Samples.AccessLive())));
        Assert.Equal("emphasis", Style(TeamsCard.Render(Samples.AccessRemoved())));
    }

    [Fact]
    public void A_notification_without_facts_has_no_empty_fact_set()
    {
        var body = Card(TeamsCard.Render(Samples.AccessLive() with { Facts = [] }))["body"]!.AsArray();

        Assert.DoesNotContain(body, e => (string?)e!["type"] == "FactSet");
        Assert.Equal("access-live · 2025-03-14 08:30:04 UTC · notification grant:prod-admins/alice@contoso.com/2025-03-14T08:30:00Z:access-live", (string?)body[^1]!["text"]);
    }

    [Fact]
    public async Task Workflow_errors_are_explained_without_the_signature()
    {
        _receiver.Enqueue(new Reply(400, "{\"error\":{\"code\":\"InvalidRequestContent\"}}"), new Reply(404));

        var invalid = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));
        var gone = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Contains("'security-teams' (teams)", invalid.Message);
        Assert.Contains("answered 400 Bad Request", invalid.Message);
        Assert.Contains("InvalidRequestContent", invalid.Message);
        Assert.Contains("Teams Workflows webhook", invalid.Message);
        Assert.Equal(404, gone.Status);
        Assert.Contains("Recreate it in Teams > Workflows", gone.Message);
        Assert.All([invalid, gone], ex => Assert.DoesNotContain("SECRETSIG", ex.Message));
    }

    [Fact]
    public void A_crafted_value_never_becomes_a_link_in_the_card()
    {
        var n = Samples.WarningAlert() with { Text = "see [the runbook](https://evil.example/x)", Facts = [new("userAgent", "[click me](https://evil.example/login)")] };

        var json = TeamsCard.Render(n).ToJsonString();

        Assert.DoesNotContain("](https://evil.example", json);
        Assert.Contains("[click me]\\u200B(https://evil.example/login)", json);
    }
}
