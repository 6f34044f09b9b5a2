using PimBridge.Core.Domain;
using PimBridge.Core.Polling;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>
/// Core's GroupChangeFeed over the Graph adapter and the stub's group delta, with its cursors in a real (SQLite) store:
/// which groups to read from PIM, the cursor kept across restarts, and a full read whenever the delta cannot speak.
/// </summary>
public sealed class GroupChangeFeedTests : IClassFixture<GraphStubFixture>, IAsyncLifetime
{
    private const string GroupA = "11111111-aaaa-4aaa-8aaa-111111111111";
    private const string GroupB = "22222222-bbbb-4bbb-8bbb-222222222222";
    private const string GroupC = "33333333-cccc-4ccc-8ccc-333333333333";
    private const string Alice = "a11ce000-0000-4000-8000-000000000001";
    private static readonly string[] Groups = [GroupA, GroupB, GroupC];

    private readonly GraphStub _stub;
    private readonly GroupDeltaStub _delta;
    private readonly ManualTimeProvider _clock = new();
    private SqliteStateStore _store = null!;

    public GroupChangeFeedTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _delta = new GroupDeltaStub(_stub).AddGroup(GroupA).AddGroup(GroupB).AddGroup(GroupC);
    }

    public async Task InitializeAsync() => _store = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    /// <summary>A new feed each time: what a restarted host has (only the store remembers).</summary>
    private GroupChangeFeed Feed() => new(_store, new GraphGroupMembershipDelta(StubCredential.ClientFor(_stub)), _clock);

    private async Task<GroupChanges> RoundAsync(IReadOnlyCollection<string>? groups = null)
    {
        var feed = Feed();
        var changes = await feed.ReadAsync(groups ?? Groups);
        Assert.True(await feed.CommitAsync(changes));
        return changes;
    }

    private IReadOnlyList<StubRequest> DeltaRequests() => _stub.Received("GET", GroupDeltaStub.PathPattern);

    [Fact]
    public async Task The_first_round_reports_every_group_and_saves_its_cursor_only_when_committed()
    {
        var feed = Feed();

        var changes = await feed.ReadAsync(Groups);

        Assert.True(changes.FirstRound);
        Assert.Empty(changes.Warnings);
        Assert.Equal(Groups, changes.Changed.Order(StringComparer.Ordinal));
        Assert.Null(await _store.GetCheckpointAsync(GroupChangeFeed.CheckpointName));
        Assert.True(await feed.CommitAsync(changes));
        Assert.Contains("$deltatoken=", (await _store.GetCheckpointAsync(GroupChangeFeed.CheckpointName))!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_restart_only_the_groups_whose_membership_changed_are_reported()
    {
        await RoundAsync();
        _delta.AddMember(GroupB, Alice);

        var changed = await RoundAsync(); // a new feed: the cursor comes from the store
        var idle = await RoundAsync();

        Assert.False(changed.FirstRound);
        Assert.Equal([GroupB], changed.Changed);
        Assert.Empty(idle.Changed);
        Assert.Single(DeltaRequests(), r => r.Query.ContainsKey("$filter")); // one initial query, then delta links only
    }

    [Fact]
    public async Task Changes_read_but_not_committed_are_reported_again()
    {
        await RoundAsync();
        _delta.AddMember(GroupA, Alice);

        var uncommitted = await Feed().ReadAsync(Groups); // say the PIM read then failed
        var again = await RoundAsync();

        Assert.Equal([GroupA], uncommitted.Changed);
        Assert.Equal([GroupA], again.Changed);
    }

    [Fact]
    public async Task Many_groups_are_read_in_batches_of_Graphs_50_each_with_its_own_cursor()
    {
        var groups = Enumerable.Range(0, 120).Select(i => $"{i:d8}-dddd-4ddd-8ddd-dddddddddddd").ToList();
        foreach (var group in groups) _delta.AddGroup(group);

        var first = await RoundAsync(groups);
        _delta.AddMember(groups[70], Alice);
        var second = await RoundAsync(groups);

        Assert.Equal(120, first.Changed.Count);
        var initial = DeltaRequests().Where(r => r.Query.ContainsKey("$filter")).ToList();
        Assert.Equal([50, 50, 20], initial.Select(r => r.Query["$filter"].Split(" or ").Length));
        Assert.Equal([groups[70]], second.Changed);
        Assert.Equal(3, DeltaRequests().Count(r => r.Query.ContainsKey("$deltatoken")));
    }

    [Fact]
    public async Task A_cursor_Graph_rejects_reads_every_group_from_PIM_says_so_and_starts_over()
    {
        await RoundAsync();
        _delta.RejectDeltaTokens = (410, "resyncRequired");

        var rejected = await Feed().ReadAsync(Groups);
        _delta.RejectDeltaTokens = null;
        Assert.True(await Feed().CommitAsync(rejected));
        _delta.AddMember(GroupC, Alice);
        var after = await RoundAsync();

        Assert.Equal(Groups, rejected.Changed.Order(StringComparer.Ordinal));
        Assert.Contains(rejected.Warnings, w => w.Contains("rejected", StringComparison.Ordinal) && w.Contains("resyncRequired", StringComparison.Ordinal));
        Assert.Equal(2, DeltaRequests().Count(r => r.Query.ContainsKey("$filter"))); // the fresh start
        Assert.Equal([GroupC], after.Changed);
    }

    [Fact]
    public async Task An_answer_not_of_the_documented_shape_reads_every_group_from_PIM_says_so_and_starts_over()
    {
        await RoundAsync();
        _delta.AddMember(GroupA, Alice);
        _stub.On("GET", GroupDeltaStub.PathPattern, r => r.Query.ContainsKey("$deltatoken")
            ? StubResponse.Ok("""{"value":{"id":"not-a-list"},"@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=x"}""")
            : StubResponse.Ok("""{"value":[],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=x"}"""));

        var malformed = await RoundAsync();
        var next = await RoundAsync();

        Assert.Equal(Groups, malformed.Changed.Order(StringComparer.Ordinal));
        Assert.Contains(malformed.Warnings, w => w.Contains("not the documented shape", StringComparison.Ordinal));
        Assert.True(next.FirstRound); // the malformed answer's cursor was not kept
        Assert.Equal(Groups, next.Changed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_unreadable_saved_cursor_reads_every_group_from_PIM_and_says_so()
    {
        var change = new StateChange();
        change.Checkpoints.Add(new Checkpoint { Name = GroupChangeFeed.CheckpointName, Value = "garbage", UpdatedAt = _clock.GetUtcNow() });
        await _store.CommitAsync(change);

        var changes = await RoundAsync();

        Assert.Equal(Groups, changes.Changed.Order(StringComparer.Ordinal));
        Assert.Contains(changes.Warnings, w => w.Contains("unreadable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_commit_after_another_instance_moved_the_cursor_saves_nothing()
    {
        await RoundAsync();
        var slow = Feed();
        var stale = await slow.ReadAsync(Groups);
        await RoundAsync(); // another instance

        Assert.False(await slow.CommitAsync(stale));
    }
}
