using System.Text.Json.Nodes;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications.Tests;

public sealed class SlackSinkTests : IAsyncLifetime
{
    private LoopbackReceiver _receiver = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _receiver = await LoopbackReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    private SlackSink Sink() => new("security-slack", _receiver.Url("/services/T000/B000/XXXXSECRET"), _http);

    private static JsonArray Blocks(JsonNode message) => message["blocks"]!.AsArray();

    private static IEnumerable<JsonObject> OfType(JsonNode message, string type) =>
        Blocks(message).Select(b => b!.AsObject()).Where(b => (string?)b["type"] == type);

    [Fact]
    public async Task Posts_a_block_kit_message_a_security_reviewer_can_read()
    {
        await Sink().SendAsync(Samples.GapAlert());

        var request = _receiver.Single();
        Assert.Equal("application/json", request.Header("Content-Type"));
        var message = request.Json;

        Assert.StartsWith(":rotating_light: Critical: AWS call succeeded after the session fence — alice@contoso.com's PIM activation", (string?)message["text"]);
        Assert.False((bool)message["unfurl_links"]!);
        Assert.False((bool)message["unfurl_media"]!);
        Assert.Equal(["header", "section", "section", "context"], Blocks(message).Select(b => (string?)b!["type"]));

        var header = Blocks(message)[0]!["text"]!;
        Assert.Equal("plain_text", (string?)header["type"]);
        Assert.Equal(":rotating_light: Critical: AWS call succeeded after the session fence", (string?)header["text"]);
        Assert.True((bool)header["emoji"]!);

        var text = Blocks(message)[1]!["text"]!;
        Assert.Equal("mrkdwn", (string?)text["type"]);
        Assert.Equal(Samples.GapAlert().Text, (string?)text["text"]);

        var fields = Blocks(message)[2]!["fields"]!.AsArray().Select(f => (string?)f!["text"]).ToList();
        Assert.Equal(9, fields.Count);
        Assert.Equal("*User*\nalice@contoso.com", fields[0]);
        Assert.Equal("*Source IP*\n203.0.113.24", fields[5]);
        Assert.Equal("*Time after expiry*\n12m 17s", fields[7]);
        Assert.All(Blocks(message)[2]!["fields"]!.AsArray(), f => Assert.Equal("mrkdwn", (string?)f!["type"]));

        var context = Blocks(message)[3]!["elements"]!.AsArray().Select(e => (string?)e!["text"]).ToList();
        Assert.Equal(["*Critical* alert `gap.succeeded-after-fence` · alice@contoso.com", "2025-03-14 09:42:17 UTC", $"Notification `{Samples.GapAlert().Id}`"], context);
    }

    [Fact]
    public void Grant_notifications_get_a_marker_for_what_happened()
    {
        var live = JsonNode.Parse(SlackMessage.ToJson(Samples.AccessLive()))!;
        var removed = JsonNode.Parse(SlackMessage.ToJson(Samples.AccessRemoved()))!;
        var warning = JsonNode.Parse(SlackMessage.ToJson(Samples.WarningAlert()))!;

        Assert.Equal(":unlock: Your AWS access is live", (string?)Blocks(live)[0]!["text"]!["text"]);
        Assert.Equal(":lock: Your AWS access was removed", (string?)Blocks(removed)[0]!["text"]!["text"]);
        Assert.StartsWith(":warning: Warning:", (string?)Blocks(warning)[0]!["text"]!["text"]);
        Assert.Equal("access-live · alice@contoso.com", (string?)OfType(live, "context").Single()["elements"]![0]!["text"]);
    }

    [Fact]
    public void Untrusted_values_cannot_form_links_or_mentions()
    {
        var n = Samples.GapAlert() with
        {
            Facts = [new("User agent", "<https://evil.example/login|Open the AWS console> <!channel> & friends")],
        };

        var field = (string?)OfType(JsonNode.Parse(SlackMessage.ToJson(n))!, "section").Last()["fields"]![0]!["text"];

        Assert.Equal("*User agent*\n&lt;https://evil.example/login|Open the AWS console&gt; &lt;!channel&gt; &amp; friends", field);
    }

    [Fact]
    public void Facts_are_split_ten_to_a_section_and_long_values_are_cut_to_2000_characters()
    {
        var n = Samples.GapAlert() with
        {
            Facts = [.. Enumerable.Range(1, 25).Select(i => new KeyValuePair<string, string>($"Fact {i}", i == 3 ? new string('x', 5000) : $"value {i}"))],
        };

        var message = JsonNode.Parse(SlackMessage.ToJson(n))!;
        var sections = OfType(message, "section").Where(s => s.ContainsKey("fields")).ToList();

        Assert.Equal([10, 10, 5], sections.Select(s => s["fields"]!.AsArray().Count));
        var all = sections.SelectMany(s => s["fields"]!.AsArray()).Select(f => (string)f!["text"]!).ToList();
        Assert.Equal("*Fact 25*\nvalue 25", all[^1]);
        Assert.Equal(SlackMessage.MaxFieldText, all[2].Length);
        Assert.StartsWith("*Fact 3*\nxxx", all[2]);
        Assert.EndsWith("x…", all[2]);
    }

    [Fact]
    public void Long_text_is_split_into_sections_of_at_most_3000_characters_at_word_boundaries()
    {
        var words = string.Join(' ', Enumerable.Range(0, 1400).Select(i => $"word{i}"));
        var n = Samples.GapAlert() with { Text = words };

        var texts = OfType(JsonNode.Parse(SlackMessage.ToJson(n))!, "section")
            .Where(s => s.ContainsKey("text")).Select(s => (string)s["text"]!["text"]!).ToList();

        Assert.True(texts.Count >= 3, $"expected the {words.Length}-character text over several sections");
        Assert.All(texts, t => Assert.InRange(t.Length, 1, SlackMessage.MaxSectionText));
        Assert.All(texts, t => Assert.Matches(@"^word\d+( word\d+)*$", t)); // no word cut in half
        Assert.Equal(words, string.Join(' ', texts));
    }

    [Fact]
    public void Cuts_never_split_an_entity_or_a_surrogate_pair()
    {
        // Escaped, "&" becomes "&amp;": place one so the 2000-character cut would fall inside it.
        var prefix = "*Key*\n";
        var value = new string('a', SlackMessage.MaxFieldText - prefix.Length - 3) + "&" + new string('b', 100);
        // The header is ":rotating_light: " (17) + title: put the 150-character cut between the halves of a 🚨 (a surrogate pair).
        var emoji = new string('c', SlackMessage.MaxHeaderText - 17 - 2) + "🚨🚨🚨🚨🚨🚨🚨🚨";
        var n = Samples.GapAlert() with { Title = emoji, Facts = [new("Key", value)] };

        var message = JsonNode.Parse(SlackMessage.ToJson(n))!;
        var field = (string)OfType(message, "section").Last()["fields"]![0]!["text"]!;
        var header = (string)Blocks(message)[0]!["text"]!["text"]!;

        Assert.InRange(field.Length, 1, SlackMessage.MaxFieldText);
        Assert.Equal(SlackMessage.MaxFieldText - 2, field.Length); // cut before the whole "&amp;", not inside it
        Assert.EndsWith("a…", field);
        Assert.DoesNotContain("&", field);
        Assert.InRange(header.Length, 1, SlackMessage.MaxHeaderText);
        Assert.Equal(new string('c', SlackMessage.MaxHeaderText - 19) + "…", header[17..]);
    }

    [Fact]
    public void Hundreds_of_facts_stay_within_fifty_blocks_and_say_how_many_are_not_shown()
    {
        var n = Samples.GapAlert() with
        {
            Facts = [.. Enumerable.Range(1, 600).Select(i => new KeyValuePair<string, string>($"Account {i}", $"{i:000000000000}"))],
        };

        var message = JsonNode.Parse(SlackMessage.ToJson(n))!;
        var fields = OfType(message, "section").Where(s => s.ContainsKey("fields")).SelectMany(s => s["fields"]!.AsArray()).Select(f => (string)f!["text"]!).ToList();

        Assert.Equal(SlackMessage.MaxBlocks, Blocks(message).Count);
        Assert.Equal("context", (string?)Blocks(message)[^1]!["type"]);
        Assert.All(OfType(message, "section").Where(s => s.ContainsKey("fields")), s => Assert.InRange(s["fields"]!.AsArray().Count, 1, 10));
        var shown = fields.Count - 1;
        Assert.Equal($"*…*\n{600 - shown} more facts not shown; the webhook and Event Grid sinks carry them all.", fields[^1]);
    }

    [Fact]
    public async Task Slack_errors_are_explained()
    {
        _receiver.Enqueue(new Reply(404, "channel_not_found"), new Reply(410, "channel_is_archived"), new Reply(400, "invalid_payload"));

        var notFound = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));
        var archived = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));
        var invalid = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Contains("'security-slack' (slack)", notFound.Message);
        Assert.Contains("answered 404 Not Found (channel_not_found)", notFound.Message);
        Assert.Contains("create a new incoming webhook for an existing channel", notFound.Message);
        Assert.Contains("unarchive it", archived.Message);
        Assert.Contains("PimBridge bug", invalid.Message);
        Assert.All([notFound, archived, invalid], ex => Assert.DoesNotContain("XXXXSECRET", ex.Message));
    }

    [Fact]
    public async Task Slack_rate_limiting_carries_retry_after()
    {
        _receiver.Enqueue(new Reply(429, "rate_limited", new Dictionary<string, string> { ["Retry-After"] = "30" }));

        var ex = await Assert.ThrowsAsync<NotificationDeliveryException>(() => Sink().SendAsync(Samples.GapAlert()));

        Assert.Equal(TimeSpan.FromSeconds(30), ex.RetryAfter);
    }
}
