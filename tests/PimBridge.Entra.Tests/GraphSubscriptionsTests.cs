using PimBridge.Core.Configuration;
using PimBridge.Testing.Graph;
using PimBridge.Testing;

namespace PimBridge.Entra.Tests;

/// <summary>GraphSubscriptions against the stub's /subscriptions.</summary>
public sealed class GraphSubscriptionsTests : IClassFixture<GraphStubFixture>
{
    private const string GroupA = "11111111-aaaa-4aaa-8aaa-111111111111";
    private const string GroupB = "22222222-bbbb-4bbb-8bbb-222222222222";
    private const string ExpectedUrl =
        "EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg-example&partnertopic=graph-groups&location=westeurope";

    private readonly GraphStub _stub;
    private readonly SubscriptionStore _store;
    private readonly ManualTimeProvider _clock = new();

    public GraphSubscriptionsTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _store = new SubscriptionStore(_stub);
    }

    private static EntraSubscriptionOptions Options(string lifetime = "28d", string renewBefore = "7d") => new()
    {
        AzureSubscriptionId = "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e",
        ResourceGroup = "rg-example",
        PartnerTopic = "graph-groups",
        Location = "westeurope",
        ClientState = "s3cr3t-client-state",
        Lifetime = lifetime,
        RenewBefore = renewBefore,
    };

    private GraphSubscriptions Subscriptions(EntraSubscriptionOptions? options = null, string[]? owners = null) =>
        new(StubCredential.ClientFor(_stub), options ?? Options(), [GroupA, GroupB.ToUpperInvariant()], owners ?? [GroupB], _clock);

    private DateTimeOffset Now => _clock.GetUtcNow();

    [Fact]
    public async Task Missing_subscriptions_are_created_with_the_documented_body()
    {
        var report = await Subscriptions().EnsureAsync();

        Assert.Equal(
            [(GroupA, $"/groups/{GroupA}/members", "created"), (GroupB, $"/groups/{GroupB}/members", "created"), (GroupB, $"/groups/{GroupB}/owners", "created")],
            report.Actions.Select(a => (a.GroupId, a.Resource, a.Action)));
        Assert.All(report.Actions, a => Assert.NotNull(a.SubscriptionId));
        Assert.All(report.Actions, a => Assert.Null(a.Error));

        var posts = _stub.Received("POST", "/subscriptions");
        Assert.Equal(3, posts.Count);
        foreach (var post in posts)
        {
            var body = post.Json!.AsObject();
            Assert.Equal("updated", body["changeType"]!.GetValue<string>());
            Assert.Equal(ExpectedUrl, body["notificationUrl"]!.GetValue<string>());
            Assert.Equal(ExpectedUrl, body["lifecycleNotificationUrl"]!.GetValue<string>());
            Assert.Equal("s3cr3t-client-state", body["clientState"]!.GetValue<string>());
            Assert.StartsWith("/groups/", body["resource"]!.GetValue<string>());
            var expires = DateTimeOffset.Parse(body["expirationDateTime"]!.GetValue<string>());
            Assert.Equal(Now.AddDays(28), expires);
            Assert.InRange(expires, Now.AddHours(3), Now.AddMinutes(41_760));
            // Only what the subscription needs: no nulls or defaults for the other properties.
            Assert.Equal(["changeType", "clientState", "expirationDateTime", "lifecycleNotificationUrl", "notificationUrl", "resource"], body.Select(p => p.Key).Order());
        }

        Assert.Equal(Now.AddDays(28), report.Actions[0].ExpiresAt);
    }

    [Fact]
    public void The_notification_url_keys_are_lowercase()
    {
        var url = Options().NotificationUrl;

        Assert.StartsWith("EventGrid:?", url);
        var keys = url["EventGrid:?".Length..].Split('&').Select(p => p.Split('=')[0]).ToList();
        Assert.Equal(["azuresubscriptionid", "resourcegroup", "partnertopic", "location"], keys);
    }

    [Fact]
    public async Task Subscriptions_close_to_expiry_are_renewed_at_least_three_hours_ahead()
    {
        var soon = _store.Seed($"/groups/{GroupA}/members", Now.AddDays(2));
        var fine = _store.Seed($"groups/{GroupB}/members", Now.AddDays(20)); // listed without the leading slash: still a match
        var owners = _store.Seed($"/Groups/{GroupB.ToUpperInvariant()}/owners", Now.AddMinutes(30));

        var report = await Subscriptions().EnsureAsync();

        Assert.Equal([(soon, "renewed"), (fine, "unchanged"), (owners, "renewed")], report.Actions.Select(a => (a.SubscriptionId!, a.Action)));
        Assert.Empty(_stub.Received("POST", "/subscriptions"));
        var patches = _stub.Received("PATCH", "/subscriptions/.+");
        Assert.Equal(2, patches.Count);
        foreach (var patch in patches)
        {
            var body = patch.Json!.AsObject();
            Assert.Equal(["expirationDateTime"], body.Select(p => p.Key));
            var expires = DateTimeOffset.Parse(body["expirationDateTime"]!.GetValue<string>());
            Assert.InRange(expires, Now.AddHours(3), Now.AddMinutes(41_760));
            Assert.Equal(Now.AddDays(28), expires);
        }

        Assert.Equal(Now.AddDays(28), SubscriptionStore.ExpiryOf(_store.Get(soon)));
        Assert.Equal(Now.AddDays(20), report.Actions[1].ExpiresAt);
    }

    [Fact]
    public async Task A_short_lifetime_still_expires_more_than_three_hours_ahead()
    {
        _store.Seed($"/groups/{GroupA}/members", Now.AddMinutes(5));

        var report = await Subscriptions(Options(lifetime: "3h", renewBefore: "1h")).EnsureAsync();

        var renewed = report.Actions.Single(a => a.Action == "renewed");
        Assert.True(renewed.ExpiresAt > Now.AddHours(3), $"expires {renewed.ExpiresAt}, now {Now}");
        Assert.All(report.Actions.Where(a => a.Action == "created"), a => Assert.True(a.ExpiresAt > Now.AddHours(3)));
    }

    [Fact]
    public async Task Subscriptions_that_went_missing_are_recreated()
    {
        var subscriptions = Subscriptions();
        var first = await subscriptions.EnsureAsync();
        var gone = first.Actions.Single(a => a.Resource == $"/groups/{GroupA}/members").SubscriptionId!;
        _store.Expire(gone);
        _clock.Advance(TimeSpan.FromDays(1));

        var second = await subscriptions.EnsureAsync();

        var recreated = second.Actions.Single(a => a.Resource == $"/groups/{GroupA}/members");
        Assert.Equal("recreated", recreated.Action);
        Assert.NotEqual(gone, recreated.SubscriptionId);
        Assert.Equal(["unchanged", "unchanged"], second.Actions.Where(a => a != recreated).Select(a => a.Action));
        Assert.Equal(4, _stub.Received("POST", "/subscriptions").Count);
    }

    [Fact]
    public async Task A_subscription_removed_between_listing_and_renewal_is_recreated()
    {
        var id = _store.Seed($"/groups/{GroupA}/members", Now.AddHours(1));
        _stub.On("PATCH", $"/subscriptions/{id}", _ => StubResponse.Error(404, "ResourceNotFound", $"The object was not found. Subscription '{id}'"));

        var report = await Subscriptions().EnsureAsync();

        var action = report.Actions.Single(a => a.GroupId == GroupA);
        Assert.Equal("recreated", action.Action);
        Assert.NotEqual(id, action.SubscriptionId);
    }

    [Fact]
    public async Task A_failure_for_one_subscription_is_reported_and_the_others_go_on()
    {
        _stub.On("POST", "/subscriptions", request => request.Json!["resource"]!.GetValue<string>().Contains(GroupA, StringComparison.Ordinal)
            ? StubResponse.Error(403, "ExtensionError", "Operation: Create; Exception: [Status Code: Forbidden; Reason: Insufficient privileges]")
            : StubResponse.Created(GraphJson.Subscription("ok-" + Guid.NewGuid().ToString("N"), request.Json!["resource"]!.GetValue<string>(), "updated", ExpectedUrl, ExpectedUrl, Now.AddDays(28)).ToJsonString()));

        var report = await Subscriptions().EnsureAsync();

        var failed = report.Actions.Single(a => a.GroupId == GroupA);
        Assert.Equal("failed", failed.Action);
        Assert.Contains("403", failed.Error);
        Assert.Contains("Insufficient privileges", failed.Error);
        Assert.Equal(["created", "created"], report.Actions.Where(a => a.GroupId == GroupB).Select(a => a.Action));
    }

    [Fact]
    public async Task Reauthorize_posts_to_reauthorize()
    {
        var subscriptions = Subscriptions();
        var created = (await subscriptions.EnsureAsync()).Actions[0];

        var action = await subscriptions.ReauthorizeAsync(created.SubscriptionId!);

        Assert.Equal((GroupA, $"/groups/{GroupA}/members", "reauthorized", created.SubscriptionId, (string?)null), (action.GroupId, action.Resource, action.Action, action.SubscriptionId, action.Error));
        Assert.Single(_stub.Received("POST", $"/subscriptions/{created.SubscriptionId}/reauthorize"));
        Assert.Empty(_stub.Received("PATCH", "/subscriptions/.+"));
    }

    [Fact]
    public async Task Reauthorize_of_a_subscription_this_instance_never_saw_reads_which_group_it_serves()
    {
        var id = _store.Seed($"/groups/{GroupB}/owners", Now.AddDays(10));

        var action = await Subscriptions().ReauthorizeAsync(id);

        Assert.Equal((GroupB, $"/groups/{GroupB}/owners", "reauthorized"), (action.GroupId, action.Resource, action.Action));
        Assert.Equal(Now.AddDays(10), action.ExpiresAt);
    }

    [Fact]
    public async Task Reauthorize_falls_back_on_a_renewal_when_it_fails()
    {
        var id = _store.Seed($"/groups/{GroupA}/members", Now.AddHours(2));
        _store.ReauthorizeFailure = StubResponse.Error(400, "InvalidRequest", "Reauthorization is not allowed for this subscription.");

        var action = await Subscriptions().ReauthorizeAsync(id);

        Assert.Equal(("renewed", id, GroupA), (action.Action, action.SubscriptionId, action.GroupId));
        Assert.Contains("Reauthorization is not allowed", action.Error);
        Assert.Single(_stub.Received("POST", $"/subscriptions/{id}/reauthorize"));
        var patch = Assert.Single(_stub.Received("PATCH", $"/subscriptions/{id}"));
        var expires = DateTimeOffset.Parse(patch.Json!["expirationDateTime"]!.GetValue<string>());
        Assert.InRange(expires, Now.AddHours(3), Now.AddMinutes(41_760));
        Assert.Equal(expires, action.ExpiresAt);
    }

    [Fact]
    public async Task Reauthorize_reports_failure_when_the_renewal_fails_too()
    {
        _store.ReauthorizeFailure = StubResponse.Error(404, "ResourceNotFound", "The object was not found.");

        var action = await Subscriptions().ReauthorizeAsync("gone-subscription");

        Assert.Equal("failed", action.Action);
        Assert.Contains("reauthorize failed", action.Error);
        Assert.Contains("renewing", action.Error);
        Assert.Single(_stub.Received("PATCH", "/subscriptions/gone-subscription"));
    }

    [Fact]
    public async Task A_failure_to_list_subscriptions_throws()
    {
        _stub.On("GET", "/subscriptions", _ => StubResponse.Error(401, "InvalidAuthenticationToken", "Access token is empty."));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Subscriptions().EnsureAsync());

        Assert.Contains("InvalidAuthenticationToken", error.Message);
    }

    [Fact]
    public void Invalid_subscription_settings_are_refused_naming_each_field()
    {
        var options = Options(lifetime: "30d", renewBefore: "40d");
        options.Location = "West Europe";
        options.ClientState = new string('x', 129);
        options.AzureSubscriptionId = "not-a-guid";
        options.PartnerTopic = "a";

        var error = Assert.Throws<ConfigurationException>(() => Subscriptions(options));

        Assert.Contains(error.Problems, p => p.StartsWith("Entra.Subscriptions.Location:", StringComparison.Ordinal) && p.Contains("westeurope", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Entra.Subscriptions.ClientState:", StringComparison.Ordinal) && p.Contains("128", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Entra.Subscriptions.AzureSubscriptionId:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Entra.Subscriptions.PartnerTopic:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Entra.Subscriptions.Lifetime:", StringComparison.Ordinal) && p.Contains("41760m", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Problems, p => p.Contains(new string('x', 129), StringComparison.Ordinal)); // the secret is never echoed
    }

    [Fact]
    public void Renew_before_must_be_shorter_than_the_lifetime()
    {
        var error = Assert.Throws<ConfigurationException>(() => Subscriptions(Options(lifetime: "7d", renewBefore: "7d")));

        Assert.Equal("Entra.Subscriptions.RenewBefore", Assert.Single(error.Problems).Split(':')[0]);
    }
}
