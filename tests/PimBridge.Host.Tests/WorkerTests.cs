using System.Net;
using Microsoft.Kiota.Abstractions;
using PimBridge.Entra;
using PimBridge.Testing;
using PimBridge.Host.Worker;
using PimBridge.Testing.Graph;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The enforcement worker: prompt ticks on a signal, the poll fallback, throttling backoff, graceful stop.</summary>
public sealed class WorkerTests
{
    private static readonly Dictionary<string, string?> NoPoll = new() { ["Worker:PollInterval"] = "00:00:00" };

    /// <summary>Without a membership delta every group is read once per PollInterval: 30 s keeps two groups 15 s apart.</summary>
    private static readonly Dictionary<string, string?> Poll30Seconds = new() { ["Worker:PollInterval"] = "00:00:30" };

    /// <summary>Completes when a worker step leaves <paramref name="done"/> true.</summary>
    private static Task WhenAsync(EnforcementWorker worker, Func<bool> done)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.Stepped += _ =>
        {
            if (done()) reached.TrySetResult();
        };
        return reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_mapped_groups_event_becomes_access_in_Identity_Center_through_the_background_worker_at_once()
    {
        await using var h = await StartAsync(NoPoll, backgroundWorker: true);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        var start = h.Now;
        var granted = WhenAsync(h.Worker, () => h.Aws.IsActive(AliceOpsProd));

        Assert.Equal(HttpStatusCode.OK, (await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup))).StatusCode);
        await granted;

        Assert.Equal(start, h.Now); // signalled: no tick interval had to pass
        var grant = Assert.Single(await h.Store.ListGrantsAsync(true, "u-alice"));
        Assert.Equal(start, grant.FirstSeenAt);
        Assert.False(h.Aws.IsActive(AliceAuditStaging));
    }

    [Fact]
    public async Task The_poll_alone_converges_without_any_event()
    {
        await using var h = await StartAsync();
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        h.Activate("alice-entra", AuditGroup, TimeSpan.FromHours(1));

        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd) && h.Aws.IsActive(AliceAuditStaging));

        Assert.Equal(0, h.Counters.Hinted);
        Assert.All(h.Pim.Reads, r => Assert.Single(r.Groups)); // one group per read, two groups over 30 s
        Assert.True(h.Now - h.Pim.Reads[0].At <= TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task The_poll_spreads_the_mapped_groups_evenly_over_its_interval()
    {
        await using var h = await StartAsync(Poll30Seconds);
        var start = h.Now;

        await h.StepUntilAsync(() => h.Pim.Reads.Count >= 4);

        var reads = h.Pim.Reads.Take(4).ToList();
        Assert.All(reads, r => Assert.Single(r.Groups));
        Assert.Equal([OpsGroup, AuditGroup, OpsGroup, AuditGroup], reads.Select(r => r.Groups[0]).ToList());
        Assert.Equal([start, start.AddSeconds(15), start.AddSeconds(30), start.AddSeconds(45)], reads.Select(r => r.At).ToList());
    }

    [Fact]
    public async Task With_more_groups_than_the_spacing_allows_each_read_takes_several()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Worker:PollInterval"] = "00:00:01", ["Worker:MinPollSpacing"] = "00:00:01" });

        await h.Worker.RunOnceAsync();

        Assert.Equal([OpsGroup, AuditGroup], Assert.Single(h.Pim.Reads).Groups.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task When_PIM_throttles_with_a_Retry_After_the_poll_pauses_that_long_and_then_reads_the_same_group_again()
    {
        await using var h = await StartAsync();
        h.Pim.FailNext(new GraphPimException(OpsGroup, "throttled", new ApiException("Too many requests")
        {
            ResponseStatusCode = 429,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = ["120"] },
        }, h.Clock));
        var start = h.Now;

        var step = await h.Worker.RunOnceAsync();

        Assert.Equal(TimeSpan.FromSeconds(120), step.Throttled!.RetryAfter);
        Assert.Equal(start.AddSeconds(120), h.Worker.PollPausedUntil);
        Assert.Equal(start.AddSeconds(1), step.NextDueAt); // ticks go on meanwhile
        await h.StepUntilAsync(() => h.Pim.Reads.Count == 2, maxSteps: 200); // a tick a second meanwhile
        Assert.Equal(start.AddSeconds(120), h.Pim.Reads[1].At);
        Assert.Equal(h.Pim.Reads[0].Groups, h.Pim.Reads[1].Groups);
    }

    [Fact]
    public async Task When_PIM_throttles_without_a_Retry_After_the_poll_backs_off_exponentially_and_recovers()
    {
        await using var h = await StartAsync(Poll30Seconds);
        h.Pim.FailNext(new GraphPimException(OpsGroup, "429", new HttpRequestException("429", null, HttpStatusCode.TooManyRequests)));
        h.Pim.FailNext(new GraphPimException(OpsGroup, "429", new HttpRequestException("429", null, HttpStatusCode.TooManyRequests)));
        h.Pim.FailNext(new InvalidOperationException("wrapped", new GraphPimException(OpsGroup, "503", new HttpRequestException("503", null, HttpStatusCode.ServiceUnavailable))));

        await h.StepUntilAsync(() => h.Pim.Reads.Count == 4, maxSteps: 200); // a tick a second meanwhile

        var at = h.Pim.Reads.Select(r => r.At).ToList();
        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40)], [at[1] - at[0], at[2] - at[1], at[3] - at[2]]);
        Assert.True(h.Worker.PollPausedUntil <= h.Now);
        await h.StepUntilAsync(() => h.Pim.Reads.Count == 5);
        Assert.Equal(TimeSpan.FromSeconds(15), h.Pim.Reads[4].At - h.Pim.Reads[3].At); // back to the even spread
    }

    [Fact]
    public async Task A_poll_failure_that_is_not_throttling_moves_on_to_the_next_group()
    {
        await using var h = await StartAsync(Poll30Seconds);
        h.Pim.FailNext(new InvalidOperationException("Graph is down"));

        await h.StepUntilAsync(() => h.Pim.Reads.Count == 2);

        Assert.Equal(TimeSpan.FromSeconds(15), h.Pim.Reads[1].At - h.Pim.Reads[0].At);
        Assert.NotEqual(h.Pim.Reads[0].Groups[0], h.Pim.Reads[1].Groups[0]);
        Assert.True(h.Worker.PollPausedUntil <= h.Now);
    }

    [Fact]
    public async Task With_the_membership_delta_a_changed_group_is_read_from_PIM_within_the_poll_interval_and_an_unchanged_one_only_by_the_full_read()
    {
        var delta = new FakeMembershipDelta();
        await using var h = await StartAsync(membershipDelta: delta);
        var start = h.Now;
        await h.Worker.RunOnceAsync(); // the first round has no cursor: every group is read
        Assert.Contains(h.Pim.Reads, r => r.Groups.Contains(AuditGroup));
        var afterFirst = h.Pim.Reads.Count;
        h.Clock.Advance(TimeSpan.FromSeconds(3));

        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        delta.Changed(OpsGroup);
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd));

        Assert.Equal(start.AddSeconds(10), h.Now); // the next delta round, one PollInterval after the first
        Assert.Equal(0, h.Counters.Hinted);
        await h.StepUntilAsync(() => h.Pim.Reads.Skip(afterFirst).Any(r => r.Groups.Contains(AuditGroup)), maxSteps: 500);
        var audit = h.Pim.Reads.Skip(afterFirst).First(r => r.Groups.Contains(AuditGroup));
        Assert.Equal(start.AddSeconds(150), audit.At); // the full read: two groups over FullPollInterval's 5 minutes
        Assert.Equal(15, delta.Reads.Count(r => r.Cursor is not null)); // a delta round every 10 s meanwhile
    }

    [Fact]
    public async Task When_PIM_throttles_the_read_of_changed_groups_the_poll_pauses_and_the_same_changes_are_read_again_afterwards()
    {
        var delta = new FakeMembershipDelta();
        await using var h = await StartAsync(membershipDelta: delta);
        await h.Worker.RunOnceAsync(); // the first round
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        delta.Changed(OpsGroup);
        h.Pim.FailNext(new GraphPimException(OpsGroup, "throttled", new ApiException("Too many requests")
        {
            ResponseStatusCode = 429,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = ["60"] },
        }, h.Clock));
        var throttledAt = h.Now;

        var step = await h.Worker.RunOnceAsync();
        Assert.Equal(TimeSpan.FromSeconds(60), step.Throttled!.RetryAfter);
        Assert.Equal(FakeMembershipDelta.Cursor(0), (await h.Store.GetCheckpointAsync(Core.Polling.GroupChangeFeed.CheckpointName))!.Value.Split('\t')[1]);
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd), maxSteps: 200);

        Assert.Equal(throttledAt.AddSeconds(60), h.Now);
        Assert.Equal(FakeMembershipDelta.Cursor(0), delta.Reads[^1].Cursor); // read again from the cursor before the changes
        Assert.Equal(FakeMembershipDelta.Cursor(1), (await h.Store.GetCheckpointAsync(Core.Polling.GroupChangeFeed.CheckpointName))!.Value.Split('\t')[1]);
    }

    [Fact]
    public async Task When_reading_a_changed_group_from_PIM_fails_it_is_left_as_a_durable_hint_and_the_delta_moves_on()
    {
        var delta = new FakeMembershipDelta();
        await using var h = await StartAsync(membershipDelta: delta);
        await h.Worker.RunOnceAsync(); // the first round
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        delta.Changed(OpsGroup);
        h.Pim.FailNext(new InvalidOperationException("one group's read failed"));

        await h.Worker.RunOnceAsync();

        Assert.True(h.Aws.IsActive(AliceOpsProd)); // the hint ran in the same step's tick
        Assert.Empty(await h.HintsAsync(OpsGroup));
        Assert.Equal(FakeMembershipDelta.Cursor(1), (await h.Store.GetCheckpointAsync(Core.Polling.GroupChangeFeed.CheckpointName))!.Value.Split('\t')[1]);
    }

    [Fact]
    public async Task A_full_read_interval_shorter_than_the_poll_interval_stops_the_host_from_starting()
    {
        var invalid = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(new Dictionary<string, string?> { ["Worker:PollInterval"] = "00:01:00", ["Worker:FullPollInterval"] = "00:00:30" }));

        Assert.Contains("Worker:FullPollInterval must be at least PollInterval", invalid.ToString());
    }

    [Fact]
    public async Task Stopping_lets_the_tick_in_flight_finish()
    {
        await using var h = await StartAsync(NoPoll, backgroundWorker: true);
        h.Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
        h.Pim.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup));
        await h.Pim.Holding.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the tick is reading PIM for the hint

        var stopping = h.Worker.StopAsync(CancellationToken.None);
        Assert.False(stopping.IsCompleted);
        h.Pim.Hold.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(await h.Store.ListGrantsAsync(true, "u-alice")); // the hinted reconcile completed
        Assert.Empty(await h.HintsAsync(OpsGroup));
    }
}
