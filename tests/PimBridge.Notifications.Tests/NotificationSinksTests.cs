using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;
using PimBridge.Testing.Graph;

namespace PimBridge.Notifications.Tests;

public sealed class NotificationSinksTests
{
    private static readonly HttpClient Http = new();

    private static NotificationOptions Options(params NotificationSinkOptions[] sinks) => new() { Sinks = [.. sinks] };

    private static NotificationSinkOptions Slack(string name = "security-slack") =>
        new() { Name = name, Type = "slack", Url = "https://hooks.slack.com/services/T000/B000/XXXX" };

    private static IReadOnlyList<string> Problems(NotificationOptions options, Azure.Core.TokenCredential? credential = null) =>
        Assert.Throws<ConfigurationException>(() => NotificationSinks.Create(options, Http, NullLoggerFactory.Instance, credential)).Problems;

    [Fact]
    public void Builds_each_configured_sink_in_order()
    {
        var sinks = NotificationSinks.Create(Options(
            new() { Name = "siem", Type = "webhook", Url = "https://siem.contoso.com/ingest", Headers = { ["Authorization"] = "Bearer x" } },
            Slack(),
            new() { Name = "security-teams", Type = "Teams", Url = "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x" },
            new() { Name = "topic", Type = "eventgrid", Endpoint = "https://pimbridge.westeurope-1.eventgrid.azure.net/api/events" },
            new() { Name = "audit-log", Type = "log" }), Http, NullLoggerFactory.Instance, new StubCredential());

        Assert.Equal(["siem", "security-slack", "security-teams", "topic", "audit-log"], sinks.Select(s => s.Name));
        Assert.Collection(sinks,
            s => Assert.IsType<WebhookSink>(s),
            s => Assert.IsType<SlackSink>(s),
            s => Assert.IsType<TeamsSink>(s),
            s => Assert.IsType<EventGridSink>(s),
            s => Assert.IsType<LogSink>(s));
    }

    [Theory]
    [InlineData("eventgrid", null, true)]
    [InlineData(" EventGrid ", null, true)]
    [InlineData("EVENTGRID", "", true)]
    [InlineData("EventGrid", "key", false)]
    [InlineData("log", null, false)]
    public void An_Azure_credential_is_needed_for_an_Event_Grid_sink_without_an_access_key_whatever_the_case_of_its_type(string type, string? accessKey, bool needed)
    {
        var options = Options(Slack(), new() { Name = "topic", Type = type, Endpoint = "https://pimbridge.westeurope-1.eventgrid.azure.net/api/events", AccessKey = accessKey });

        Assert.Equal(needed, NotificationSinks.NeedsAzureCredential(options));
    }

    [Fact]
    public void An_Event_Grid_sink_typed_in_another_case_is_built_with_the_credential_it_needs()
    {
        var options = Options(new NotificationSinkOptions { Name = "topic", Type = "EventGrid", Endpoint = "https://pimbridge.westeurope-1.eventgrid.azure.net/api/events" });

        Assert.True(NotificationSinks.NeedsAzureCredential(options));
        Assert.IsType<EventGridSink>(Assert.Single(NotificationSinks.Create(options, Http, NullLoggerFactory.Instance, new StubCredential())));
    }

    [Fact]
    public void No_sinks_is_valid()
    {
        Assert.Empty(NotificationSinks.Create(new NotificationOptions(), Http, NullLoggerFactory.Instance, null));
        Assert.Empty(NotificationSinks.Routes(new NotificationOptions()));
    }

    [Fact]
    public void Reports_every_problem_at_once_saying_where_what_and_what_to_do()
    {
        var problems = Problems(Options(
            Slack(),
            new() { Name = "Security-Slack", Type = "slack" },
            new() { Name = "mail", Type = "smtp" },
            new() { Name = "", Type = "log" },
            new() { Name = "pager", Type = "webhook", Url = "http://pager.contoso.com/hook", Kinds = ["alerts", "access-live"], MinimumSeverity = "high" },
            new() { Name = "topic", Type = "eventgrid" }));

        Assert.Equal(
        [
            "Notifications.Sinks[1].Name: 'Security-Slack' is already the name of Notifications.Sinks[0]; rename one of them (deliveries are recorded per sink name).",
            "Notifications.Sinks[1] 'Security-Slack'.Url: missing; set it to the Slack incoming webhook URL (https://hooks.slack.com/services/…) (it is a secret: prefer the environment variable PIMBRIDGE_Notifications__Sinks__1__Url).",
            "Notifications.Sinks[2] 'mail'.Type: 'smtp' is not a sink type; use one of webhook, slack, teams, eventgrid, log.",
            "Notifications.Sinks[3].Name: empty; give every sink a unique name, for example security-slack.",
            "Notifications.Sinks[4] 'pager'.Kinds: 'alerts' is not a notification kind; use alert, access-live, expires-soon or access-removed.",
            "Notifications.Sinks[4] 'pager'.MinimumSeverity: 'high' is not a severity; use info, warning or critical.",
            "Notifications.Sinks[4] 'pager'.Url: http://pager.contoso.com uses plain http; use https (http is accepted only for loopback addresses, for local testing).",
            "Notifications.Sinks[5] 'topic'.Endpoint: missing; set it to the topic endpoint (https://<topic>.<region>-1.eventgrid.azure.net/api/events).",
            "Notifications.Sinks[5] 'topic'.AccessKey: empty and no Azure credential is available for Entra authentication; set AccessKey (as PIMBRIDGE_Notifications__Sinks__5__AccessKey) or run the host with an identity that has the EventGrid Data Sender role on the topic.",
        ], problems);
    }

    [Fact]
    public void The_exception_message_lists_the_problems()
    {
        var ex = Assert.Throws<ConfigurationException>(() => NotificationSinks.Create(Options(new NotificationSinkOptions { Name = "x", Type = "" }), Http, NullLoggerFactory.Instance, null));

        Assert.Contains("- Notifications.Sinks[0] 'x'.Type: empty; set it to one of webhook, slack, teams, eventgrid, log.", ex.Message);
    }

    [Theory]
    [InlineData("not a url", "not an absolute http(s) URL")]
    [InlineData("ftp://hooks.slack.com/services/x", "not an absolute http(s) URL")]
    [InlineData("/services/T000/B000/XXXX", "not an absolute http(s) URL")]
    [InlineData("http://hooks.slack.com/services/T000/B000/XXXX", "http://hooks.slack.com uses plain http; use https")]
    public void Urls_must_be_absolute_https(string url, string problem)
    {
        var problems = Problems(Options(new NotificationSinkOptions { Name = "s", Type = "slack", Url = url }));

        Assert.Contains(problem, Assert.Single(problems));
        Assert.DoesNotContain("XXXX", problems[0]); // the URL is a secret; only its origin is echoed
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://[::1]:8080/hook")]
    public void Plain_http_is_accepted_for_loopback(string url) =>
        Assert.Single(NotificationSinks.Create(Options(new NotificationSinkOptions { Name = "local", Type = "webhook", Url = url }), Http, NullLoggerFactory.Instance, null));

    [Fact]
    public void Settings_for_another_sink_type_are_reported_rather_than_silently_ignored()
    {
        var problems = Problems(Options(
            new() { Name = "s", Type = "slack", Url = "https://hooks.slack.com/services/x", Headers = { ["Authorization"] = "Bearer x" }, AccessKey = "k" },
            new() { Name = "t", Type = "eventgrid", Endpoint = "https://t.westeurope-1.eventgrid.azure.net/api/events", AccessKey = "k", Url = "https://example.com" },
            new() { Name = "l", Type = "log", Endpoint = "https://example.com" }));

        Assert.Equal(
        [
            "Notifications.Sinks[0] 's'.Headers: only webhook sinks send extra headers; remove them, or use Type webhook.",
            "Notifications.Sinks[0] 's'.AccessKey: only eventgrid sinks use it; remove it.",
            "Notifications.Sinks[1] 't'.Url: does not apply to eventgrid sinks; remove it (the topic is set with Endpoint).",
            "Notifications.Sinks[2] 'l'.Endpoint: only eventgrid sinks use it; remove it.",
        ], problems);
    }

    [Fact]
    public void Webhook_headers_must_be_valid_and_cannot_override_the_content_type()
    {
        var problems = Problems(Options(new NotificationSinkOptions
        {
            Name = "w",
            Type = "webhook",
            Url = "https://siem.contoso.com/ingest",
            Headers = { ["Content-Type"] = "text/plain", ["Bad Header"] = "x", ["X-Multi"] = "a\r\nInjected: yes" },
        }));

        Assert.Equal(
        [
            "Notifications.Sinks[0] 'w'.Headers: 'Content-Type' is set by PimBridge (the body is always application/json); remove it.",
            "Notifications.Sinks[0] 'w'.Headers: 'Bad Header' is not a valid HTTP header name; use letters, digits and '-', for example Authorization.",
            "Notifications.Sinks[0] 'w'.Headers.X-Multi: the value is missing or spans lines; give a single-line value.",
        ], problems);
    }

    [Fact]
    public void An_event_grid_sink_with_a_key_needs_no_credential()
    {
        var sink = Assert.Single(NotificationSinks.Create(
            Options(new NotificationSinkOptions { Name = "topic", Type = "eventgrid", Endpoint = "https://t.westeurope-1.eventgrid.azure.net/api/events", AccessKey = "k" }),
            Http, NullLoggerFactory.Instance, credential: null));

        Assert.IsType<EventGridSink>(sink);
    }

    [Fact]
    public void Routes_default_to_every_alert_and_follow_kinds_and_minimum_severity()
    {
        var routes = NotificationSinks.Routes(Options(
            Slack(),
            new() { Name = "pager", Type = "webhook", Url = "https://pager.contoso.com/hook", MinimumSeverity = "Critical" },
            new() { Name = "engineers", Type = "teams", Url = "https://prod.logic.azure.com/x", Kinds = ["access-live", "expires-soon", "access-removed"], MinimumSeverity = "" }));

        Assert.Equal(["security-slack", "pager", "engineers"], routes.Select(r => r.Sink));
        Assert.Equal([NotificationKind.Alert], routes[0].Kinds);
        Assert.Equal(AlertSeverity.Info, routes[0].MinimumSeverity);
        Assert.True(routes[0].Accepts(NotificationKind.Alert, AlertSeverity.Info));
        Assert.False(routes[0].Accepts(NotificationKind.AccessLive, AlertSeverity.Info));

        Assert.Equal(AlertSeverity.Critical, routes[1].MinimumSeverity);
        Assert.False(routes[1].Accepts(NotificationKind.Alert, AlertSeverity.Warning));
        Assert.True(routes[1].Accepts(NotificationKind.Alert, AlertSeverity.Critical));

        Assert.Equal([NotificationKind.AccessLive, NotificationKind.ExpiresSoon, NotificationKind.AccessRemoved], routes[2].Kinds.Order());
        Assert.Equal(AlertSeverity.Info, routes[2].MinimumSeverity);
        Assert.False(routes[2].Accepts(NotificationKind.Alert, AlertSeverity.Critical));
        Assert.True(routes[2].Accepts(NotificationKind.ExpiresSoon, AlertSeverity.Info));
    }

    [Fact]
    public void Routes_refuse_an_invalid_section_too()
    {
        var ex = Assert.Throws<ConfigurationException>(() => NotificationSinks.Routes(Options(Slack(), new() { Name = "x", Type = "log", Kinds = ["everything"] })));

        Assert.Equal(["Notifications.Sinks[1] 'x'.Kinds: 'everything' is not a notification kind; use alert, access-live, expires-soon or access-removed."], ex.Problems);
    }

    [Fact]
    public async Task Built_sinks_deliver_through_the_given_http_client()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        var sinks = NotificationSinks.Create(Options(
            new() { Name = "w", Type = "webhook", Url = receiver.Url("/w").ToString(), Headers = { ["Authorization"] = "Bearer t" } },
            new() { Name = "s", Type = "slack", Url = receiver.Url("/s").ToString() },
            new() { Name = "t", Type = "teams", Url = receiver.Url("/t").ToString() },
            new() { Name = "e", Type = "eventgrid", Endpoint = receiver.Url("/api/events").ToString(), AccessKey = "k" }), Http, NullLoggerFactory.Instance, null);

        foreach (var sink in sinks) await sink.SendAsync(Samples.GapAlert());

        Assert.Equal(["/w", "/s", "/t", "/api/events"], receiver.Requests.Select(r => r.PathAndQuery.Split('?')[0]));
        Assert.Equal("Bearer t", receiver.Requests[0].Header("Authorization"));
        Assert.Equal("k", receiver.Requests[3].Header("aeg-sas-key"));
    }

    [Fact]
    public void Sinks_and_routes_fit_the_outbox()
    {
        var options = Options(Slack(" security-slack "), new() { Name = "audit-log", Type = "log", Kinds = ["alert", "access-removed"] });
        var sinks = NotificationSinks.Create(options, Http, NullLoggerFactory.Instance, null);
        var routes = NotificationSinks.Routes(options);

        var outbox = new NotificationOutbox(sinks, routes, TimeSpan.FromMinutes(10)); // throws when a route names no sink

        Assert.Equal(["security-slack", "audit-log"], routes.Select(r => r.Sink));
        Assert.NotNull(outbox);
    }
}
