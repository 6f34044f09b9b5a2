using System.Globalization;
using System.Net;
using Microsoft.Kiota.Abstractions;
using PimBridge.Core.Ports;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>
/// Graph's throttling leaves the adapter as Core's <see cref="IThrottlingFailure"/>, with the Retry-After Graph sent,
/// so a host can pause its polling without knowing Graph's or Kiota's exception types.
/// </summary>
public sealed class GraphThrottlingTests : IClassFixture<GraphStubFixture>
{
    private const string Group = "33333333-cccc-4ccc-8ccc-333333333333";
    private const string Alice = "a11ce000-0000-4000-8000-000000000001";
    private const string InstancesPath = "/identityGovernance/privilegedAccess/group/assignmentScheduleInstances";

    private readonly GraphStub _stub;
    private readonly ManualTimeProvider _clock = new();

    public GraphThrottlingTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        var tenant = new PimTenant(_stub);
        tenant.AddUser(Alice, "alice@contoso.example");
        tenant.AddInstance(GraphJson.Instance("i1", Alice, Group));
    }

    private GraphPimSource Source() => new(StubCredential.ClientFor(_stub), new ListLogger(), _clock);

    [Fact]
    public async Task A_persistent_429_surfaces_as_throttling_with_the_last_attempts_Retry_After()
    {
        var calls = 0;
        // The SDK waits each Retry-After before its next try: 0 keeps the test fast, and only the last attempt asks for 30 s.
        _stub.On("GET", InstancesPath, _ => StubResponse.Error(429, "TooManyRequests", "Too many requests.",
            new Dictionary<string, string> { ["Retry-After"] = Interlocked.Increment(ref calls) < 4 ? "0" : "30" }));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([Group]));

        var throttled = Assert.IsAssignableFrom<IThrottlingFailure>(error);
        Assert.True(throttled.IsThrottling);
        Assert.Equal(TimeSpan.FromSeconds(30), throttled.RetryAfter);
        Assert.Equal(4, calls);
    }

    [Fact]
    public void A_Retry_After_given_as_an_HTTP_date_is_read_on_the_injected_clock()
    {
        var at = _clock.GetUtcNow().AddMinutes(2).ToString("R", CultureInfo.InvariantCulture);
        var graph = new ApiException("Service is unavailable.")
        {
            ResponseStatusCode = 503,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>> { ["retry-after"] = [at] },
        };

        var error = new GraphPimException(Group, "reading PIM failed", graph, _clock);

        Assert.True(error.IsThrottling);
        Assert.Equal(TimeSpan.FromMinutes(2), error.RetryAfter);
    }

    [Fact]
    public async Task A_503_without_a_usable_Retry_After_is_throttling_without_a_hint()
    {
        _stub.On("GET", InstancesPath, _ => StubResponse.Error(503, "ServiceUnavailable", "Service is unavailable.", new Dictionary<string, string> { ["Retry-After"] = "0" }));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([Group]));

        Assert.True(error.IsThrottling);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task A_500_is_not_throttling()
    {
        _stub.On("GET", InstancesPath, _ => StubResponse.Error(500, "InternalServerError", "Something went wrong."));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([Group]));

        Assert.False(error.IsThrottling);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public void A_Retry_After_deep_in_the_chain_wins_and_of_several_attempts_the_last_one_counts()
    {
        var attempts = Enumerable.Range(1, 3).Select(i => new ApiException($"attempt {i}")
        {
            ResponseStatusCode = 429,
            ResponseHeaders = new Dictionary<string, IEnumerable<string>> { ["Retry-After"] = [(i * 10).ToString(CultureInfo.InvariantCulture)] },
        });

        var error = new GraphPimException(Group, "reading PIM failed", new InvalidOperationException("wrapped", new AggregateException(attempts)), _clock);

        Assert.True(error.IsThrottling);
        Assert.Equal(TimeSpan.FromSeconds(30), error.RetryAfter);
    }

    [Fact]
    public void An_HttpRequestException_with_429_or_503_is_throttling_too()
    {
        Assert.True(new GraphPimException(Group, "x", new HttpRequestException("429", null, HttpStatusCode.TooManyRequests), _clock).IsThrottling);
        Assert.True(new GraphPimException(Group, "x", new HttpRequestException("503", null, HttpStatusCode.ServiceUnavailable), _clock).IsThrottling);
        Assert.False(new GraphPimException(Group, "x", new HttpRequestException("404", null, HttpStatusCode.NotFound), _clock).IsThrottling);
        Assert.False(new GraphPimException(Group, "x", new InvalidOperationException("no"), _clock).IsThrottling);
    }
}
