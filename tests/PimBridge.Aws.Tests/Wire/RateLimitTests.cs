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

        Assert.Equal([0, 50, 100, 150], ReleaseTimes(limiter, time, 4));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.WaitAsync(RequestPriority.Normal, default).IsCompleted);
        Assert.False(limiter.WaitAsync(RequestPriority.Normal, default).IsCompleted);
    }

    [Fact]
    public async Task Waiting_requests_holding_an_operation_slot_go_first_and_a_cancelled_waiter_gives_its_turn_to_the_next()
    {
        var time = new ManualTimeProvider();
        var limiter = new RequestRateLimiter(20, time);
        Assert.True(limiter.WaitAsync(RequestPriority.Normal, default).IsCompleted);
        var listing = limiter.WaitAsync(RequestPriority.Normal, default);
        using var giveUp = new CancellationTokenSource();
        var abandoned = limiter.WaitAsync(RequestPriority.Urgent, giveUp.Token);
        var status = limiter.WaitAsync(RequestPriority.Urgent, default);

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        time.Advance(TimeSpan.FromMilliseconds(50));
        await status.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(listing.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(50));
        await listing.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Makes <paramref name="count"/> requests at once and returns when each was let go, in ms, on a clock moved 1 ms at a time.</summary>
    private static double[] ReleaseTimes(RequestRateLimiter limiter, ManualTimeProvider time, int count)
    {
        var start = time.GetUtcNow();
        var waits = Enumerable.Range(0, count).Select(_ => limiter.WaitAsync(RequestPriority.Normal, default)).ToArray();
        var released = new double?[count];
        for (var ms = 0; ms <= 10_000 && released.Any(r => r is null); ms++)
        {
            for (var i = 0; i < count; i++)
                if (released[i] is null && waits[i].IsCompleted) released[i] = (time.GetUtcNow() - start).TotalMilliseconds;
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        return [.. released.Select(r => r ?? double.NaN)];
    }

    [Fact]
    public void LookupEvents_defaults_to_two_requests_per_second()
    {
        var time = new ManualTimeProvider();
        using var client = WireClients.CloudTrail(new RecordingHandler(), time);

        var limiter = client.Transport.Limiter;

        Assert.Equal(TimeSpan.FromMilliseconds(500), limiter.Interval);
        Assert.Equal([0, 500, 1000], ReleaseTimes(limiter, time, 3));
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
