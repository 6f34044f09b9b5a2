using System.Net;
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

    [Fact]
    public void A_Retry_After_may_be_an_HTTP_date()
    {
        var now = new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var headers = new Dictionary<string, IEnumerable<string>> { ["retry-after"] = ["Wed, 01 Jul 2026 09:02:00 GMT"] };

        Assert.Equal(TimeSpan.FromMinutes(2), Throttling.RetryAfter(headers, now));
    }

    /// <summary>Shaped like PimBridge's own AwsServiceException: IsThrottling and RetryAfter.</summary>
    private sealed class ServiceThrottled(TimeSpan? retryAfter) : Exception("slow down")
    {
        public bool IsThrottling => true;

        public TimeSpan? RetryAfter { get; } = retryAfter;
    }

    [Fact]
    public void Throttling_is_recognised_in_exceptions_that_expose_it_and_anywhere_in_the_chain()
    {
        var now = DateTimeOffset.UnixEpoch;

        Assert.Equal(TimeSpan.FromSeconds(7), Throttling.Classify(new ServiceThrottled(TimeSpan.FromSeconds(7)), now)!.RetryAfter);
        Assert.Null(Throttling.Classify(new AggregateException(new ServiceThrottled(null)), now)!.RetryAfter);
        Assert.NotNull(Throttling.Classify(new Exception("outer", new HttpRequestException("x", null, HttpStatusCode.TooManyRequests)), now));
        Assert.Null(Throttling.Classify(new HttpRequestException("x", null, HttpStatusCode.NotFound), now));
        Assert.Null(Throttling.Classify(new InvalidOperationException("no"), now));
    }

    /// <summary>Shaped like a PIM source's own wrapper: a status code, and Graph's exceptions inside.</summary>
    private sealed class PimReadFailed(int statusCode, Exception inner) : Exception("reading PIM failed", inner)
    {
        public int? StatusCode { get; } = statusCode;
    }

    [Fact]
    public void A_Retry_After_deep_in_the_chain_wins_over_a_wrapper_that_only_says_429()
    {
        var attempts = Enumerable.Range(1, 3).Select(i => new Microsoft.Kiota.Abstractions.ApiException($"attempt {i}")
        {
            ResponseStatusCode = 429,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>> { ["Retry-After"] = [(i * 10).ToString(System.Globalization.CultureInfo.InvariantCulture)] },
        });
        var error = new PimReadFailed(429, new AggregateException(attempts));

        Assert.Equal(TimeSpan.FromSeconds(30), Throttling.Classify(error, DateTimeOffset.UnixEpoch)!.RetryAfter); // the last attempt's
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
