using PimBridge.Core.Ports;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>GraphGroupMembershipDelta through the real Graph SDK against the stub's documented group delta shapes.</summary>
public sealed class GraphGroupMembershipDeltaTests : IClassFixture<GraphStubFixture>
{
    private const string GroupA = "11111111-aaaa-4aaa-8aaa-111111111111";
    private const string GroupB = "22222222-bbbb-4bbb-8bbb-222222222222";
    private const string GroupC = "33333333-cccc-4ccc-8ccc-333333333333";
    private const string Alice = "a11ce000-0000-4000-8000-000000000001";
    private const string Bob = "b0b00000-0000-4000-8000-000000000002";

    private readonly GraphStub _stub;
    private readonly GroupDeltaStub _delta;

    public GraphGroupMembershipDeltaTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _delta = new GroupDeltaStub(_stub).AddGroup(GroupA).AddGroup(GroupB).AddGroup(GroupC).AddMember(GroupB, Bob);
    }

    private GraphGroupMembershipDelta Delta() => new(StubCredential.ClientFor(_stub));

    private IReadOnlyList<StubRequest> DeltaRequests() => _stub.Received("GET", GroupDeltaStub.PathPattern);

    [Fact]
    public async Task The_first_round_filters_the_groups_selects_members_and_owners_and_follows_nextLinks_to_the_deltaLink()
    {
        _delta.PageSize = 1;

        var round = await Delta().ReadAsync([GroupC, GroupA, GroupB], null);

        Assert.Equal(3, round.Requests);
        Assert.Equal([GroupA, GroupB, GroupC], round.ChangedGroups.Order(StringComparer.Ordinal));
        Assert.Contains("$deltatoken=", round.Cursor, StringComparison.Ordinal);
        var requests = DeltaRequests();
        Assert.Equal(3, requests.Count);
        Assert.Equal($"id eq '{GroupA}' or id eq '{GroupB}' or id eq '{GroupC}'", requests[0].Query["$filter"]);
        Assert.Equal("members,owners", requests[0].Query["$select"]);
        Assert.All(requests.Skip(1), r => Assert.True(r.Query.ContainsKey("$skiptoken")));
    }

    [Fact]
    public async Task A_round_from_the_cursor_names_only_the_groups_whose_members_were_added_or_removed()
    {
        var delta = Delta();
        var first = await delta.ReadAsync([GroupA, GroupB, GroupC], null);
        _delta.AddMember(GroupA, Alice).RemoveMember(GroupB, Bob);

        var changes = await delta.ReadAsync([GroupA, GroupB, GroupC], first.Cursor);
        var idle = await delta.ReadAsync([GroupA, GroupB, GroupC], changes.Cursor);

        Assert.Equal([GroupA, GroupB], changes.ChangedGroups.Order(StringComparer.Ordinal));
        Assert.Empty(idle.ChangedGroups);
        Assert.Equal(1, idle.Requests);
        Assert.Equal(3, DeltaRequests().Count); // one request per round: no paging when few groups changed
    }

    [Theory]
    [InlineData(410, "resyncRequired")]
    [InlineData(400, "syncStateNotFound")]
    public async Task A_cursor_Graph_no_longer_has_is_reported_as_rejected(int status, string code)
    {
        var delta = Delta();
        var first = await delta.ReadAsync([GroupA], null);
        _delta.RejectDeltaTokens = (status, code);

        var error = await Assert.ThrowsAsync<DeltaCursorRejectedException>(() => delta.ReadAsync([GroupA], first.Cursor));

        Assert.Contains(code, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"@odata.context":"x","@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=a"}""")]
    [InlineData("""{"value":{"id":"11111111-aaaa-4aaa-8aaa-111111111111"},"@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=a"}""")]
    [InlineData("""{"value":[{"id":"11111111-aaaa-4aaa-8aaa-111111111111"}]}""")]
    [InlineData("""not json""")]
    [InlineData("""{"value":[{"members@delta":[]}],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=a"}""")]
    [InlineData("""{"value":[{"id":"11111111-aaaa-4aaa-8aaa-111111111111","members@delta":{"id":"x"}}],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=a"}""")]
    [InlineData("""{"value":[],"@odata.nextLink":"https://graph.microsoft.com/v1.0/groups/delta?$skiptoken=a","@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=a"}""")]
    [InlineData("""{"value":[],"@odata.deltaLink":"groups/delta?$deltatoken=a"}""")]
    public async Task An_answer_not_of_the_documented_shape_is_refused(string body)
    {
        _stub.On("GET", GroupDeltaStub.PathPattern, _ => StubResponse.Ok(body));

        await Assert.ThrowsAsync<InvalidDataException>(() => Delta().ReadAsync([GroupA], null));
    }

    [Fact]
    public async Task More_groups_than_Graphs_filter_allows_are_refused_before_any_request()
    {
        var groups = Enumerable.Range(0, 51).Select(i => $"{i:d8}-0000-4000-8000-000000000000").ToList();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Delta().ReadAsync(groups, null));
        Assert.Empty(DeltaRequests());
    }

    [Fact]
    public async Task Graphs_other_failures_name_the_delta_and_what_Graph_said()
    {
        _stub.On("GET", GroupDeltaStub.PathPattern, _ => StubResponse.Error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));

        var error = await Assert.ThrowsAsync<GraphMembershipDeltaException>(() => Delta().ReadAsync([GroupA], null));

        Assert.Equal(403, error.StatusCode);
        Assert.False(error.IsThrottling);
        Assert.Contains("Insufficient privileges", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://graph.microsoft.com/v1.0/groups/delta()?$filter=id%20eq%20'a'", "groups/delta()")]
    [InlineData("https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=abc", "groups/delta")]
    [InlineData("https://graph.microsoft.com/v1.0/groups/11111111-aaaa-4aaa-8aaa-111111111111/members", "groups/{id}/members")]
    public void Delta_requests_are_counted_and_traced_as_the_delta_function_not_as_a_group_id(string url, string resource) =>
        Assert.Equal(resource, GraphMetricsHandler.Resource(new Uri(url)));
}
