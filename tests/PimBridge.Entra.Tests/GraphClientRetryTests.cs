using PimBridge.Testing.Graph;
using PimBridge.Testing;

namespace PimBridge.Entra.Tests;

/// <summary>
/// The SDK's default middleware, as <see cref="GraphClients"/> installs it, against the stub: 429 with Retry-After is
/// retried after the delay, a persistent 5xx surfaces as a <see cref="GraphPimException"/> naming the group.
/// </summary>
public sealed class GraphClientRetryTests : IClassFixture<GraphStubFixture>
{
    private const string Group = "33333333-cccc-4ccc-8ccc-333333333333";
    private const string Alice = "a11ce000-0000-4000-8000-000000000001";
    private const string InstancesPath = "/identityGovernance/privilegedAccess/group/assignmentScheduleInstances";

    private readonly GraphStub _stub;
    private readonly PimTenant _tenant;

    public GraphClientRetryTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _tenant = new PimTenant(_stub);
        _tenant.AddUser(Alice, "alice@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("i1", Alice, Group));
    }

    private GraphPimSource Source(StubCredential? credential = null) => new(StubCredential.ClientFor(_stub, credential), new ListLogger(), new ManualTimeProvider());

    [Fact]
    public async Task A_429_with_Retry_After_is_retried_after_the_delay_and_succeeds()
    {
        var calls = 0;
        _stub.On("GET", InstancesPath, request => Interlocked.Increment(ref calls) == 1
            ? StubResponse.Error(429, "TooManyRequests", "Too many requests.", new Dictionary<string, string> { ["Retry-After"] = "1" })
            : StubResponse.Ok(GraphJson.Page(GraphJson.InstancesContext, [GraphJson.Instance("i1", Alice, Group)])));

        var snapshot = await Source().GetSnapshotAsync([Group]);

        Assert.Equal(["i1"], snapshot.Activations.Select(a => a.Id));
        var attempts = _stub.Received("GET", InstancesPath);
        Assert.Equal(2, attempts.Count);
        Assert.Null(attempts[0].Header("Retry-Attempt"));
        Assert.Equal("1", attempts[1].Header("Retry-Attempt"));
        // The SDK waited for Retry-After (1 s) before trying again (measured on the stub's side).
        Assert.True(attempts[1].ArrivedAt - attempts[0].ArrivedAt >= TimeSpan.FromMilliseconds(900),
            $"retried after {(attempts[1].ArrivedAt - attempts[0].ArrivedAt).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_429_on_the_user_lookup_is_retried_too()
    {
        var calls = 0;
        _stub.On("GET", $"/users/{Alice}", request => Interlocked.Increment(ref calls) == 1
            ? StubResponse.Error(429, "TooManyRequests", "Too many requests.", new Dictionary<string, string> { ["Retry-After"] = "1" })
            : StubResponse.Ok(GraphJson.User(Alice, "alice@contoso.example", null)));

        var snapshot = await Source().GetSnapshotAsync([Group]);

        Assert.Equal("alice@contoso.example", Assert.Single(snapshot.Activations).Principal.UserPrincipalName);
        Assert.Equal(2, _stub.Received("GET", $"/users/{Alice}").Count);
    }

    [Fact]
    public async Task A_persistent_503_is_retried_three_times_then_fails_naming_the_group()
    {
        _stub.On("GET", InstancesPath, _ => StubResponse.Error(503, "ServiceUnavailable", "Service is unavailable.", new Dictionary<string, string> { ["Retry-After"] = "0" }));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([Group]));

        Assert.Equal(Group, error.GroupId);
        Assert.Equal(503, error.StatusCode);
        Assert.Contains(Group, error.Message);
        Assert.Contains("503", error.Message);
        Assert.Contains("ServiceUnavailable: Service is unavailable.", error.Message);
        Assert.Contains("4 attempts", error.Message);
        Assert.Equal(4, _stub.Received("GET", InstancesPath).Count); // the first try and the SDK's three retries
    }

    [Fact]
    public async Task A_persistent_500_fails_at_once_naming_the_group()
    {
        _stub.On("GET", InstancesPath, _ => StubResponse.Error(500, "InternalServerError", "Something went wrong."));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync(["44444444-dddd-4ddd-8ddd-444444444444", Group.ToUpperInvariant()]));

        Assert.Equal("44444444-dddd-4ddd-8ddd-444444444444", error.GroupId);
        Assert.Contains("group 44444444-dddd-4ddd-8ddd-444444444444", error.Message);
        Assert.Contains("Something went wrong.", error.Message);
        Assert.Single(_stub.Received("GET", InstancesPath)); // 500 is not retried, and the next group is not read
    }

    [Fact]
    public async Task A_failing_user_lookup_fails_the_group_naming_it_and_the_principal()
    {
        _stub.On("GET", $"/users/{Alice}", _ => StubResponse.Error(500, "InternalServerError", "Directory unavailable."));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([Group]));

        Assert.Equal(Group, error.GroupId);
        Assert.Contains(Alice, error.Message);
        Assert.Contains("Directory unavailable.", error.Message);
    }

    [Fact]
    public async Task The_credential_is_asked_for_a_Graph_token_and_it_is_sent()
    {
        var credential = new StubCredential();

        await Source(credential).GetSnapshotAsync([Group]);

        Assert.True(credential.Calls >= 1);
        Assert.Equal(["https://graph.microsoft.com/.default"], credential.LastScopes);
        Assert.All(_stub.Requests, r => Assert.Equal($"Bearer {StubCredential.Token}", r.Header("Authorization")));
    }
}
