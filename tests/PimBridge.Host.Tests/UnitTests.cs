using System.Net;
using PimBridge.Core.Ports;
using PimBridge.Host.Events;
using PimBridge.Host.Worker;
using PimBridge.Testing;

namespace PimBridge.Host.Tests;

public sealed class UnitTests
{
    [Fact]
    public void The_deduplicator_forgets_ids_after_their_ttl_and_the_oldest_past_its_capacity()
    {
        var clock = new ManualTimeProvider();
        var dedupe = new EventDeduplicator(clock, TimeSpan.FromMinutes(10), capacity: 3);
        dedupe.Remember("a");
        clock.Advance(TimeSpan.FromMinutes(5));
        dedupe.Remember("b");
        dedupe.Remember("c");
        Assert.True(dedupe.Contains("a"));

        dedupe.Remember("d"); // full: "a" goes first
        Assert.False(dedupe.Contains("a"));
        Assert.True(dedupe.Contains("b") && dedupe.Contains("c") && dedupe.Contains("d"));
        Assert.Equal(3, dedupe.Count);

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(dedupe.Contains("d"));
        dedupe.Remember("e");
        Assert.Equal(1, dedupe.Count);
    }

    /// <summary>A failure as an adapter reports it: Core's throttling contract, nothing SDK-specific.</summary>
    private sealed class ServiceFailed(bool throttling, TimeSpan? retryAfter, Exception? inner = null) : Exception("slow down", inner), IThrottlingFailure
    {
        public bool IsThrottling => throttling;

        public TimeSpan? RetryAfter => retryAfter;
    }

    [Fact]
    public void Throttling_is_recognised_by_Cores_contract_anywhere_in_the_chain()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), Throttling.Classify(new ServiceFailed(true, TimeSpan.FromSeconds(7)))!.RetryAfter);
        Assert.Null(Throttling.Classify(new AggregateException(new ServiceFailed(true, null)))!.RetryAfter);
        Assert.Null(Throttling.Classify(new Exception("outer", new ServiceFailed(true, TimeSpan.Zero)))!.RetryAfter);
        Assert.Null(Throttling.Classify(new ServiceFailed(false, TimeSpan.FromSeconds(7))));
        Assert.Null(Throttling.Classify(new HttpRequestException("x", null, HttpStatusCode.TooManyRequests))); // the adapter's to say
        Assert.Null(Throttling.Classify(new InvalidOperationException("no")));
    }

    [Fact]
    public void A_Retry_After_deep_in_the_chain_wins_over_a_wrapper_that_only_says_it_is_throttling()
    {
        var error = new ServiceFailed(true, null, new AggregateException(new ServiceFailed(true, TimeSpan.FromSeconds(30))));

        Assert.Equal(TimeSpan.FromSeconds(30), Throttling.Classify(error)!.RetryAfter);
    }

    [Fact]
    public void Graphs_throttling_reaches_the_worker_through_the_Entra_adapters_exception()
    {
        var graph = new Microsoft.Kiota.Abstractions.ApiException("Too many requests")
        {
            ResponseStatusCode = 429,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>> { ["Retry-After"] = ["45"] },
        };

        Assert.Equal(TimeSpan.FromSeconds(45), Throttling.Classify(new PimBridge.Entra.GraphPimException("g", "reading PIM failed", graph))!.RetryAfter);
    }

    [Fact]
    public void The_group_id_comes_from_resourceData_or_else_the_resource_or_subject_path()
    {
        var fromResource = new GraphNotification("cs", "Groups/ABC/members/u1", null, null, null);
        Assert.Equal("abc", fromResource.GroupId(null));
        Assert.Equal("def", new GraphNotification("cs", null, null, null, null).GroupId("groups/DEF"));
        Assert.Equal("x", new GraphNotification("cs", "Groups/abc", "X", null, null).GroupId("Groups/abc"));
        Assert.Null(new GraphNotification("cs", "Users/abc", null, null, null).GroupId(null));
    }
}
