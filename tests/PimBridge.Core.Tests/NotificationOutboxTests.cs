using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Gaps;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;
using static PimBridge.Core.Tests.EngineHarness;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests;

/// <summary>Grant news for the engineer and alerts for reviewers, delivered through durable Notify intents.</summary>
public sealed class NotificationOutboxTests
{
    /// <summary>The engineers' channel carries grant news and alerts; the security sink only alerts.</summary>
    private static readonly HashSet<NotificationKind> GrantNews = [NotificationKind.AccessLive, NotificationKind.ExpiresSoon, NotificationKind.AccessRemoved, NotificationKind.Alert];

    private static async Task<(EngineHarness H, RecordingSink Engineer, RecordingSink Security)> StartAsync(int securityFailures = 0)
    {
        var h = await EngineHarness.StartAsync(o => o.Enforcer.AlertAfterAttempts = 2);
        var engineer = new RecordingSink("engineer-chat");
        var security = new RecordingSink("security") { FailuresLeft = securityFailures };
        h.Restart(new NotificationOutbox([engineer, security],
            [new NotificationRoute(engineer.Name, GrantNews, AlertSeverity.Info), new NotificationRoute(security.Name, new HashSet<NotificationKind> { NotificationKind.Alert }, AlertSeverity.Info)],
            TimeSpan.FromMinutes(10)));
        return (h, engineer, security);
    }

    [Fact]
    public async Task The_engineer_hears_access_is_live_expires_soon_and_removed_in_that_order()
    {
        var (h, engineer, security) = await StartAsync();
        await using var _ = h;
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();

        var live = Assert.Single(engineer.Sent);
        Assert.Equal(NotificationKind.AccessLive, live.Kind);
        Assert.Equal("alice@example.com", live.User);

        h.Advance(TimeSpan.FromMinutes(49));
        await h.SettleAsync();
        Assert.Single(engineer.Sent);

        h.Advance(TimeSpan.FromMinutes(1));
        await h.SettleAsync();
        var soon = engineer.Sent[^1];
        Assert.Equal(NotificationKind.ExpiresSoon, soon.Kind);
        Assert.Contains("expires in 10m 00s", soon.Title);

        h.Advance(TimeSpan.FromMinutes(10));
        await h.SettleAsync();
        var removed = engineer.Sent.Skip(2).ToList();
        Assert.Equal(2, removed.Count); // one per account assignment (Prod and Staging)
        Assert.All(removed, n => Assert.Equal(NotificationKind.AccessRemoved, n.Kind));
        Assert.All(removed, n => Assert.Contains("fenced", n.Text));
        Assert.Empty(security.Sent);
    }

    [Fact]
    public async Task An_extension_replaces_the_expiry_warning()
    {
        var (h, engineer, _) = await StartAsync();
        await using var _h = h;
        var activation = h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        h.Advance(TimeSpan.FromMinutes(30));
        h.Extend(activation, TimeSpan.FromHours(1));
        await h.ReconcileAsync();

        h.Advance(TimeSpan.FromMinutes(21)); // past the first warning time (50m)
        await h.SettleAsync();
        Assert.DoesNotContain(engineer.Sent, n => n.Kind == NotificationKind.ExpiresSoon);

        h.Advance(TimeSpan.FromMinutes(60)); // the new warning time (1h50m)
        await h.SettleAsync();
        var soon = Assert.Single(engineer.Sent, n => n.Kind == NotificationKind.ExpiresSoon);
        Assert.Contains(h.Now.AddMinutes(9).ToString("yyyy-MM-ddTHH", System.Globalization.CultureInfo.InvariantCulture), soon.Text);
    }

    [Fact]
    public async Task A_failing_sink_is_retried_and_its_stuck_alert_goes_only_to_the_others()
    {
        var (h, engineer, security) = await StartAsync(securityFailures: 3);
        await using var _h = h;
        var change = new StateChange();
        var alert = new Alert { Id = "test-alert", At = h.Now, Severity = AlertSeverity.Warning, Kind = "unmapped-user", Subject = "carol", Message = "m" };
        change.Alerts.Add(alert);
        new NotificationOutbox([engineer, security], [new NotificationRoute("security", new HashSet<NotificationKind> { NotificationKind.Alert }, AlertSeverity.Info), new NotificationRoute("engineer-chat", new HashSet<NotificationKind> { NotificationKind.Alert }, AlertSeverity.Info)], TimeSpan.FromMinutes(10))
            .EnqueueAlert(change, alert, h.Now);
        await h.Store.CommitAsync(change);

        for (var i = 0; i < 6; i++)
        {
            await h.SettleAsync();
            h.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal("alert:test-alert", Assert.Single(security.Sent).Id); // delivered once it came back
        var stuck = (await h.Store.ListAlertsAsync(null)).Single(a => a.Kind == "intent-stuck");
        Assert.Contains(engineer.Sent, n => n.Id == $"alert:{stuck.Id}");
        Assert.DoesNotContain(security.Sent, n => n.Id == $"alert:{stuck.Id}");
    }

    [Fact]
    public async Task A_receivers_retry_after_is_waited_when_longer_than_the_backoff()
    {
        var (h, engineer, _) = await StartAsync();
        await using var _h = h;
        engineer.Failure = () => new ThrottledException(TimeSpan.FromMinutes(7));
        engineer.FailuresLeft = 1;
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        await h.ReconcileAsync();
        await h.SettleAsync();
        Assert.Empty(engineer.Sent);

        h.Advance(TimeSpan.FromMinutes(6)); // the default backoff (5s) has long passed, the receiver's 7 minutes not
        await h.SettleAsync();
        Assert.Empty(engineer.Sent);

        h.Advance(TimeSpan.FromMinutes(1));
        await h.SettleAsync();
        Assert.Equal(NotificationKind.AccessLive, Assert.Single(engineer.Sent).Kind);
    }

    private sealed class ThrottledException(TimeSpan after) : Exception("429"), IRetryAfterHint
    {
        public TimeSpan? RetryAfter => after;
    }

    [Fact]
    public void Routes_filter_by_kind_and_by_alert_severity()
    {
        var route = new NotificationRoute("s", new HashSet<NotificationKind> { NotificationKind.Alert, NotificationKind.AccessLive }, AlertSeverity.Warning);

        Assert.True(route.Accepts(NotificationKind.Alert, AlertSeverity.Critical));
        Assert.False(route.Accepts(NotificationKind.Alert, AlertSeverity.Info));
        Assert.True(route.Accepts(NotificationKind.AccessLive, AlertSeverity.Info)); // grant news has no severity threshold
        Assert.False(route.Accepts(NotificationKind.AccessRemoved, AlertSeverity.Info));
        Assert.Throws<ArgumentException>(() => new NotificationOutbox([], [route], TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public void Gap_alert_notifications_keep_the_alert_facts_in_order()
    {
        var alert = new Alert
        {
            Id = "gap|e1", At = DateTimeOffset.UnixEpoch, Severity = AlertSeverity.Critical, Kind = "gap.succeeded-after-fence", Subject = "alice", Message = "msg",
            Facts = new Dictionary<string, string> { ["class"] = "succeeded-after-fence", ["user"] = "alice", ["eventId"] = "e1" },
        };

        var n = NotificationOutbox.ForAlert(alert);

        Assert.Equal(["class", "user", "eventId"], n.Facts.Select(f => f.Key));
        Assert.Equal("alert:gap|e1", n.Id);
        Assert.Equal(GapAlert.KindPrefix + "succeeded-after-fence", n.AlertKind);
    }
}
