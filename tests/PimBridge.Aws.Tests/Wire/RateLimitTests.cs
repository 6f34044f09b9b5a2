using System.Net;
using PimBridge.Aws.Transport;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Wire;

public sealed class RateLimitTests
{
    [Fact]
    public void Requests_are_spaced_at_the_configured_rate_and_idle_time_is_not_banked()
    {
        var time = new ManualTimeProvider();
        var limiter = new RequestRateLimiter(20, time);

        Assert.Equal([0, 50, 100, 150], Enumerable.Range(0, 4).Select(_ => limiter.Reserve().TotalMilliseconds));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, limiter.Reserve());
        Assert.Equal(TimeSpan.FromMilliseconds(50), limiter.Reserve());
    }

    [Fact]
    public void LookupEvents_defaults_to_two_requests_per_second()
    {
        using var client = WireClients.CloudTrail(new RecordingHandler(), new ManualTimeProvider());

        var limiter = client.Transport.Limiter;

        Assert.Equal(TimeSpan.FromMilliseconds(500), limiter.Interval);
        Assert.Equal([0, 500, 1000], Enumerable.Range(0, 3).Select(_ => limiter.Reserve().TotalMilliseconds));
    }

    [Fact]
    public async Task Sso_admin_and_identitystore_default_to_twenty_per_second_across_all_operations()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler().Respond("{}").Respond("{}").Respond("{}");
        using var client = WireClients.SsoAdmin(handler, time);
        using var ids = WireClients.IdentityStore(new RecordingHandler(), time);
        var ps = new SsoAdmin.PermissionSetRequest { InstanceArn = "i", PermissionSetArn = "p" };

        await client.DescribePermissionSetAsync(ps);
        await client.GetInlinePolicyForPermissionSetAsync(ps);
        await client.DeleteInlinePolicyFromPermissionSetAsync(ps);

        // Back-to-back calls on a clock that does not move by itself: the limiter made each wait its 50 ms slot.
        Assert.Equal([TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)], time.Delays);
        Assert.Equal(TimeSpan.FromMilliseconds(50), ids.Transport.Limiter.Interval);
    }

    [Fact]
    public async Task Retries_take_a_rate_limit_slot_like_any_request()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","message":"Rate exceeded"}""")
            .Respond("{}");
        using var client = WireClients.CloudTrail(handler, time, o => o.Retry.ThrottlingBaseDelay = TimeSpan.Zero);

        await client.LookupEventsAsync(new CloudTrail.LookupEventsRequest()).ToListAsync();

        Assert.Equal(2, handler.Requests.Count);
        Assert.Contains(TimeSpan.FromMilliseconds(500), time.Delays);
    }

    [Fact]
    public void Limits_are_configurable_and_validated()
    {
        using var fast = WireClients.SsoAdmin(new RecordingHandler(), configure: o => o.RequestsPerSecond = 5);
        Assert.Equal(TimeSpan.FromMilliseconds(200), fast.Transport.Limiter.Interval);

        var error = Assert.Throws<ArgumentException>(() => WireClients.SsoAdmin(new RecordingHandler(), configure: o => o.RequestsPerSecond = 0));
        Assert.Contains("RequestsPerSecond", error.Message);
        Assert.Throws<ArgumentException>(() => WireClients.SsoAdmin(new RecordingHandler(), configure: o => o.Region = ""));
        Assert.Throws<ArgumentException>(() => WireClients.SsoAdmin(new RecordingHandler(), configure: o => o.MaxOutstandingAssignmentOperations = 0));
    }
}
