using Microsoft.Azure.Functions.Worker;
using PimBridge.Testing;
using PimBridge.Testing.Graph;
using static PimBridge.Functions.Tests.FunctionsHarness;

namespace PimBridge.Functions.Tests;

/// <summary>The functions as classes, created from the Functions app's container and called as the worker calls them.</summary>
public sealed class FunctionTests
{
    private static readonly Dictionary<string, string> Authenticated = new() { [SecretHeader] = SharedSecret };

    [Fact]
    public async Task The_HTTP_function_answers_the_CloudEvents_handshake_for_Event_Grid_and_refuses_other_origins()
    {
        await using var h = await StartAsync();

        var (status, headers, _) = await h.CallGraphEventsAsync("OPTIONS", headers: new Dictionary<string, string> { ["WebHook-Request-Origin"] = "eventgrid.azure.net" });
        Assert.Equal(200, status);
        Assert.Equal("eventgrid.azure.net", headers["WebHook-Allowed-Origin"].ToString());
        Assert.Equal("POST, OPTIONS", headers.Allow.ToString());

        var (refused, _, _) = await h.CallGraphEventsAsync("OPTIONS", headers: new Dictionary<string, string> { ["WebHook-Request-Origin"] = "attacker.example" });
        Assert.Equal(403, refused);
    }

    [Fact]
    public async Task The_HTTP_function_answers_a_subscription_validation_with_its_code_and_records_nothing()
    {
        await using var h = await StartAsync();

        var (status, _, body) = await h.CallGraphEventsAsync("POST", Payloads.SubscriptionValidation, Authenticated, "application/json");

        Assert.Equal(200, status);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", body!["validationResponse"]!.GetValue<string>());
        Assert.Null(await h.Store.GetAuditHeadAsync());
    }

    [Fact]
    public async Task An_authenticated_delivery_is_ingested_as_a_durable_hint_for_the_mapped_group()
    {
        await using var h = await StartAsync();

        var (status, _, body) = await h.CallGraphEventsAsync("POST", Payloads.GroupUpdatedCloudEvent(OpsGroup), Authenticated);

        Assert.Equal(200, status);
        Assert.Equal(1, body!["hinted"]!.GetValue<int>());
        Assert.Single(await h.HintsAsync(OpsGroup));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-secret")]
    public async Task An_unauthenticated_delivery_is_refused_and_changes_nothing(string? secret)
    {
        await using var h = await StartAsync();

        var (status, _, body) = await h.CallGraphEventsAsync("POST", Payloads.GroupUpdatedCloudEvent(OpsGroup),
            secret is null ? null : new Dictionary<string, string> { [SecretHeader] = secret });

        Assert.Equal(401, status);
        Assert.Equal("unauthenticated", body!["error"]!.GetValue<string>());
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }

    [Fact]
    public async Task Without_the_membership_delta_the_timer_reads_every_mapped_group_from_PIM_once_a_minute_and_applies_the_access()
    {
        await using var h = await StartAsync();
        h.Pim.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));

        await h.Function<ReconcileFunction>().RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Equal([OpsGroup, AuditGroup], Assert.Single(h.Pim.Reads).Groups.Order());
        Assert.True(h.Aws.IsActive(AliceOpsProd));

        h.Clock.Advance(TimeSpan.FromSeconds(10)); // the timer's next run: no delta to ask, the minute not yet up
        await h.Function<ReconcileFunction>().RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Single(h.Pim.Reads);

        h.Clock.Advance(TimeSpan.FromSeconds(50));
        await h.Function<ReconcileFunction>().RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Equal(2, h.Pim.Reads.Count);
    }

    [Fact]
    public async Task With_the_membership_delta_the_timer_reads_from_PIM_the_groups_it_names_within_ten_seconds_and_every_group_once_per_full_poll_interval()
    {
        var delta = new FakeMembershipDelta();
        await using var h = await StartAsync(delta);
        var timer = h.Function<ReconcileFunction>();
        await timer.RunAsync(new TimerInfo(), CancellationToken.None); // no cursor yet: every group, once
        Assert.Equal([OpsGroup, AuditGroup], Assert.Single(h.Pim.Reads).Groups.Order());

        h.Clock.Advance(TimeSpan.FromSeconds(10));
        h.Pim.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        delta.Changed(OpsGroup);
        await timer.RunAsync(new TimerInfo(), CancellationToken.None);

        Assert.Equal([OpsGroup], h.Pim.Reads[^1].Groups); // the delta named it: PIM decides, for that group only
        Assert.True(h.Aws.IsActive(AliceOpsProd));
        for (var i = 0; i < 28; i++) // to just before five minutes: nothing changed, nothing read from PIM
        {
            h.Clock.Advance(TimeSpan.FromSeconds(10));
            await timer.RunAsync(new TimerInfo(), CancellationToken.None);
        }

        Assert.Equal(2, h.Pim.Reads.Count);
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await timer.RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Equal([OpsGroup, AuditGroup], h.Pim.Reads[^1].Groups.Order()); // the full read, for what membership does not show
        Assert.Equal(31, delta.Reads.Count);
    }

    [Fact]
    public async Task The_renewal_timer_keeps_the_Graph_subscriptions()
    {
        await using var h = await StartAsync();

        await h.Function<RenewSubscriptionsFunction>().RunAsync(new TimerInfo(), CancellationToken.None);

        Assert.Equal(1, h.Subscriptions.Ensured);
    }

    [Fact]
    public async Task A_subscription_that_could_not_be_kept_fails_the_renewal_naming_it()
    {
        await using var h = await StartAsync();
        h.Subscriptions.EnsureActions.Add(new("33333333-3333-3333-3333-333333333333", "groups/33333333-3333-3333-3333-333333333333/members", "failed", null, null, "Forbidden"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Function<RenewSubscriptionsFunction>().RunAsync(new TimerInfo(), CancellationToken.None));

        Assert.Contains("1 of 2", error.Message);
        Assert.Contains("group 33333333-3333-3333-3333-333333333333: Forbidden", error.Message);
    }
}
