using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using PimBridge.Core.Domain;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>GraphPimSource.GetSnapshotAsync through the real Graph SDK against a loopback Graph stub.</summary>
public sealed class GraphPimSourceTests : IClassFixture<GraphStubFixture>
{
    private const string GroupA = "11111111-aaaa-4aaa-8aaa-111111111111";
    private const string GroupB = "22222222-bbbb-4bbb-8bbb-222222222222";
    private const string Alice = "a11ce000-0000-4000-8000-000000000001";
    private const string Bob = "b0b00000-0000-4000-8000-000000000002";
    private const string Carol = "ca201000-0000-4000-8000-000000000003";
    private const string InstancesPath = "/identityGovernance/privilegedAccess/group/assignmentScheduleInstances";

    private readonly GraphStub _stub;
    private readonly PimTenant _tenant;

    public GraphPimSourceTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _tenant = new PimTenant(_stub);
    }

    private GraphPimSource Source(TimeProvider? time = null, TimeSpan? ttl = null) =>
        new(StubCredential.ClientFor(_stub), new ListLogger(), time ?? new ManualTimeProvider(), ttl);

    [Fact]
    public async Task The_documented_response_maps_to_a_permanent_member_assignment()
    {
        _stub.On("GET", InstancesPath, _ => StubResponse.Ok(GraphJson.DocumentedInstances));
        _tenant.AddUser(GraphJson.DocumentedPrincipal, "adele@contoso.example", "adele.vance@contoso.example");

        var snapshot = await Source().GetSnapshotAsync([GraphJson.DocumentedGroup.ToUpperInvariant()]);

        Assert.Equal([GraphJson.DocumentedGroup], snapshot.GroupIds);
        var a = Assert.Single(snapshot.Activations);
        Assert.Equal("2b5ed229-4072-478d-9504-a047ebd4b07d_member_365163ce-df68-40b8-a782-1824c9eb7bcc", a.Id);
        Assert.Equal(new EntraPrincipal(GraphJson.DocumentedPrincipal, "adele@contoso.example", "adele.vance@contoso.example"), a.Principal);
        Assert.Equal(GraphJson.DocumentedGroup, a.GroupId);
        Assert.Equal(PimAccess.Member, a.Access);
        Assert.Equal(DateTimeOffset.Parse("2023-09-29T15:48:00.273Z"), a.Start);
        Assert.Equal(DateTimeOffset.Parse("2024-03-27T15:47:19.653Z"), a.End);
        Assert.True(a.IsPermanent);

        // The request on the wire: the documented filter on groupId, the documented $select, a bearer token.
        var list = Assert.Single(_stub.Received("GET", InstancesPath));
        Assert.Equal($"groupId eq '{GraphJson.DocumentedGroup}'", list.Query["$filter"]);
        Assert.Equal("id,principalId,groupId,accessId,assignmentType,memberType,startDateTime,endDateTime,assignmentScheduleId", list.Query["$select"]);
        Assert.Equal($"Bearer {StubCredential.Token}", list.Header("Authorization"));
        var user = Assert.Single(_stub.Received("GET", $"/users/{GraphJson.DocumentedPrincipal}"));
        Assert.Equal("id,userPrincipalName,mail", user.Query["$select"]);
    }

    [Fact]
    public async Task Paging_follows_odata_nextLink_across_two_pages()
    {
        _tenant.PageSize = 2;
        _tenant.AddUser(Alice, "alice@contoso.example").AddUser(Bob, "bob@contoso.example").AddUser(Carol, "carol@contoso.example");
        _tenant.AddInstance(GraphJson.Instance($"{GroupA}_member_1", Alice, GroupA));
        _tenant.AddInstance(GraphJson.Instance($"{GroupA}_member_2", Bob, GroupA));
        _tenant.AddInstance(GraphJson.Instance($"{GroupA}_owner_3", Carol, GroupA, accessId: "owner"));

        var snapshot = await Source().GetSnapshotAsync([GroupA]);

        Assert.Equal([$"{GroupA}_member_1", $"{GroupA}_member_2", $"{GroupA}_owner_3"], snapshot.Activations.Select(a => a.Id));
        var pages = _stub.Received("GET", InstancesPath);
        Assert.Equal(2, pages.Count);
        Assert.False(pages[0].Query.ContainsKey("$skiptoken"));
        Assert.Equal("2", pages[1].Query["$skiptoken"]);
        Assert.Equal($"groupId eq '{GroupA}'", pages[1].Query["$filter"]);
    }

    [Fact]
    public async Task Enum_values_match_whatever_their_casing()
    {
        _tenant.AddUser(Alice, "alice@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("i1", Alice, GroupA, accessId: "member", assignmentType: "Activated", memberType: "Direct"));
        _tenant.AddInstance(GraphJson.Instance("i2", Alice, GroupA, accessId: "Member", assignmentType: "activated", memberType: "direct"));
        _tenant.AddInstance(GraphJson.Instance("i3", Alice, GroupA, accessId: "OWNER", assignmentType: "ACTIVATED", memberType: "DIRECT"));
        _tenant.AddInstance(GraphJson.Instance("i4", Alice, GroupA, accessId: "owner", assignmentType: "assigned", memberType: "Direct"));
        _tenant.AddInstance(GraphJson.Instance("i5", Alice, GroupA, accessId: "Owner", assignmentType: "Assigned", memberType: null));

        var byId = (await Source().GetSnapshotAsync([GroupA])).Activations.ToDictionary(a => a.Id);

        Assert.Equal((PimAccess.Member, false), (byId["i1"].Access, byId["i1"].IsPermanent));
        Assert.Equal((PimAccess.Member, false), (byId["i2"].Access, byId["i2"].IsPermanent));
        Assert.Equal((PimAccess.Owner, false), (byId["i3"].Access, byId["i3"].IsPermanent));
        Assert.Equal((PimAccess.Owner, true), (byId["i4"].Access, byId["i4"].IsPermanent));
        Assert.Equal((PimAccess.Owner, true), (byId["i5"].Access, byId["i5"].IsPermanent));
    }

    [Fact]
    public async Task Unknown_access_and_assignment_types_are_skipped_not_guessed()
    {
        _tenant.AddUser(Alice, "alice@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("known", Alice, GroupA));
        _tenant.AddInstance(GraphJson.Instance("access-future", Alice, GroupA, accessId: "unknownFutureValue"));
        _tenant.AddInstance(GraphJson.Instance("access-new", Alice, GroupA, accessId: "approver"));
        _tenant.AddInstance(GraphJson.Instance("access-missing", Alice, GroupA, accessId: null));
        _tenant.AddInstance(GraphJson.Instance("type-future", Alice, GroupA, assignmentType: "unknownFutureValue"));
        _tenant.AddInstance(GraphJson.Instance("type-new", Alice, GroupA, assignmentType: "scheduled"));
        _tenant.AddInstance(GraphJson.Instance("type-missing", Alice, GroupA, assignmentType: null));

        var logger = new ListLogger();
        var skipped = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "pimbridge.pim.instances_skipped") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "reason") lock (skipped) skipped.AddRange(Enumerable.Repeat((string)tag.Value!, (int)value));
        });
        listener.Start();
        var snapshot = await new GraphPimSource(StubCredential.ClientFor(_stub), logger, new ManualTimeProvider()).GetSnapshotAsync([GroupA]);
        listener.Dispose();

        Assert.Equal(["known"], snapshot.Activations.Select(a => a.Id));
        // Counted by reason too, for a dashboard (other tests in parallel may add their own skips: at least these).
        Assert.True(skipped.Count(r => r == "unknown-access") >= 3 && skipped.Count(r => r == "unknown-assignment-type") >= 3, string.Join(", ", skipped));
        // Each skip is a warning naming the instance, so an SDK too old for a new value is noticed.
        Assert.Equal(6, logger.Entries.Count(e => e.Level == LogLevel.Warning));
        Assert.Contains(logger.Entries, e => e.Message.Contains("type-new", StringComparison.Ordinal) && e.Message.Contains("assignmentType is missing or unknown", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Message.Contains("access-future", StringComparison.Ordinal) && e.Message.Contains("accessId is UnknownFutureValue", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_optional_fields_do_not_throw()
    {
        _tenant.AddUser(Alice, "alice@contoso.example", omitMail: true);
        _tenant.AddUser(Bob, "bob@contoso.example", mail: null);
        // Graph leaves endDateTime out (or null) for an assignment without expiry; scheduleId and memberType are optional too.
        _tenant.AddInstance(GraphJson.Instance("no-end", Alice, GroupA, assignmentType: "Assigned", end: null, memberType: null));
        _tenant.AddInstance(GraphJson.Instance("no-start", Bob, GroupA, assignmentType: "Assigned", start: null, end: null));
        _tenant.AddInstance(GraphJson.Instance("activation-no-start", Bob, GroupA, start: null));

        var byId = (await Source().GetSnapshotAsync([GroupA])).Activations.ToDictionary(a => a.Id);

        Assert.Equal(2, byId.Count);
        Assert.Null(byId["no-end"].End);
        Assert.True(byId["no-end"].IsPermanent);
        Assert.Equal(new EntraPrincipal(Alice, "alice@contoso.example", null), byId["no-end"].Principal);
        Assert.Equal(GraphPimSource.UnknownStart, byId["no-start"].Start);
        Assert.Null(byId["no-start"].Principal.Mail);
        Assert.False(byId.ContainsKey("activation-no-start")); // an activation always has a start; this one is not trusted
    }

    [Fact]
    public async Task Owner_and_member_assigned_and_activated_are_told_apart()
    {
        _tenant.AddUser(Alice, "alice@contoso.example").AddUser(Bob, "bob@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("alice-member-activated", Alice, GroupA, "member", "Activated", start: "2026-07-01T08:00:00Z", end: "2026-07-01T10:00:00Z"));
        _tenant.AddInstance(GraphJson.Instance("alice-owner-assigned", Alice, GroupA, "owner", "Assigned", start: "2026-01-01T00:00:00Z", end: null));
        _tenant.AddInstance(GraphJson.Instance("bob-owner-activated", Bob, GroupA, "owner", "Activated", start: "2026-07-01T09:00:00Z", end: "2026-07-01T17:00:00Z"));
        _tenant.AddInstance(GraphJson.Instance("bob-member-assigned", Bob, GroupA, "member", "Assigned", start: "2026-02-01T00:00:00Z", end: "2027-02-01T00:00:00Z"));

        var byId = (await Source().GetSnapshotAsync([GroupA])).Activations.ToDictionary(a => a.Id);

        Assert.Equal((Alice, PimAccess.Member, false, (DateTimeOffset?)DateTimeOffset.Parse("2026-07-01T10:00:00Z")),
            (byId["alice-member-activated"].Principal.Id, byId["alice-member-activated"].Access, byId["alice-member-activated"].IsPermanent, byId["alice-member-activated"].End));
        Assert.Equal((Alice, PimAccess.Owner, true, (DateTimeOffset?)null),
            (byId["alice-owner-assigned"].Principal.Id, byId["alice-owner-assigned"].Access, byId["alice-owner-assigned"].IsPermanent, byId["alice-owner-assigned"].End));
        Assert.Equal((Bob, PimAccess.Owner, false), (byId["bob-owner-activated"].Principal.Id, byId["bob-owner-activated"].Access, byId["bob-owner-activated"].IsPermanent));
        Assert.Equal((Bob, PimAccess.Member, true), (byId["bob-member-assigned"].Principal.Id, byId["bob-member-assigned"].Access, byId["bob-member-assigned"].IsPermanent));
    }

    [Fact]
    public async Task Principals_that_are_not_users_are_skipped_and_the_group_still_reads()
    {
        const string NestedGroup = "9e57ed00-0000-4000-8000-00000000000a";
        const string App = "5e1f1ce0-0000-4000-8000-00000000000b";
        const string Deleted = "de1e7ed0-0000-4000-8000-00000000000c";
        _tenant.AddUser(Alice, "alice@contoso.example");
        _tenant.AddDirectoryObject(NestedGroup, "#microsoft.graph.group", "Nested admins");
        _tenant.AddDirectoryObject(App, "#microsoft.graph.servicePrincipal", "Automation");
        _tenant.AddInstance(GraphJson.Instance("user", Alice, GroupA));
        _tenant.AddInstance(GraphJson.Instance("inherited", NestedGroup, GroupA, memberType: "Group"));
        _tenant.AddInstance(GraphJson.Instance("group-principal", NestedGroup, GroupA, assignmentType: "Assigned", memberType: "Direct"));
        _tenant.AddInstance(GraphJson.Instance("service-principal", App, GroupA));
        _tenant.AddInstance(GraphJson.Instance("gone", Deleted, GroupA));

        var snapshot = await Source().GetSnapshotAsync([GroupA]);

        Assert.Equal(["user"], snapshot.Activations.Select(a => a.Id));
        // memberType group needs no lookup; the group principal is looked up (and cached) once, through its direct instance.
        Assert.Single(_stub.Received("GET", $"/users/{NestedGroup}"));
        Assert.Single(_stub.Received("GET", $"/directoryObjects/{NestedGroup}"));
        Assert.Single(_stub.Received("GET", $"/directoryObjects/{App}"));
        Assert.Single(_stub.Received("GET", $"/directoryObjects/{Deleted}"));
    }

    [Fact]
    public async Task User_lookups_are_cached_per_principal_until_the_ttl_runs_out()
    {
        var clock = new ManualTimeProvider();
        var source = Source(clock); // default TTL: 10 minutes
        _tenant.AddUser(Alice, "alice@contoso.example", "alice@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("a1", Alice, GroupA));
        _tenant.AddInstance(GraphJson.Instance("a2", Alice, GroupA, accessId: "owner"));
        _tenant.AddInstance(GraphJson.Instance("b1", Alice, GroupB));

        await source.GetSnapshotAsync([GroupA, GroupB]);
        Assert.Single(_stub.Received("GET", $"/users/{Alice}"));

        clock.Advance(TimeSpan.FromMinutes(9));
        await source.GetSnapshotAsync([GroupA, GroupB]);
        Assert.Single(_stub.Received("GET", $"/users/{Alice}"));

        clock.Advance(TimeSpan.FromMinutes(1));
        var snapshot = await source.GetSnapshotAsync([GroupA, GroupB]);
        Assert.Equal(2, _stub.Received("GET", $"/users/{Alice}").Count);
        Assert.Equal(3, snapshot.Activations.Count);
        Assert.All(snapshot.Activations, a => Assert.Equal("alice@contoso.example", a.Principal.UserPrincipalName));
    }

    [Fact]
    public async Task The_cache_ttl_comes_from_the_options()
    {
        var clock = new ManualTimeProvider();
        var source = new GraphPimSource(StubCredential.ClientFor(_stub), new EntraOptions { PrincipalCacheTtl = "2m" }, new ListLogger(), clock);
        _tenant.AddUser(Alice, "alice@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("a1", Alice, GroupA));

        await source.GetSnapshotAsync([GroupA]);
        clock.Advance(TimeSpan.FromSeconds(119));
        await source.GetSnapshotAsync([GroupA]);
        Assert.Single(_stub.Received("GET", $"/users/{Alice}"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await source.GetSnapshotAsync([GroupA]);
        Assert.Equal(2, _stub.Received("GET", $"/users/{Alice}").Count);
    }

    /// <summary>
    /// A 200 that is not the documented collection (no <c>value</c> array, or a single object) is not "no activations":
    /// read that way it would stop every active grant of the group as deactivated. The group's read fails, naming it.
    /// </summary>
    [Theory]
    [InlineData("""{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleInstances"}""")]
    [InlineData("""{"id":"x_member_y","principalId":"a11ce000-0000-4000-8000-000000000001","groupId":"11111111-aaaa-4aaa-8aaa-111111111111","accessId":"member","assignmentType":"activated","memberType":"direct","startDateTime":"2026-07-01T09:00:00Z"}""")]
    [InlineData("""{"value":null}""")]
    public async Task A_response_that_is_not_the_documented_collection_fails_the_groups_read(string body)
    {
        _stub.On("GET", InstancesPath, _ => StubResponse.Ok(body));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([GroupA]));

        Assert.Equal(GroupA, error.GroupId);
        Assert.Contains("value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_later_page_that_is_not_the_documented_collection_fails_the_groups_read()
    {
        _tenant.AddUser(Alice, "alice@contoso.example");
        var next = $"{_stub.BaseUrl}{InstancesPath}?$filter={Uri.EscapeDataString($"groupId eq '{GroupA}'")}&$skiptoken=1";
        _stub.On("GET", InstancesPath, request => request.Query.ContainsKey("$skiptoken")
            ? StubResponse.Ok("{}")
            : StubResponse.Ok(GraphJson.Page(GraphJson.InstancesContext, [GraphJson.Instance($"{GroupA}_member_1", Alice, GroupA)], next)));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetSnapshotAsync([GroupA]));

        Assert.Equal(GroupA, error.GroupId);
    }

    [Fact]
    public async Task An_activation_without_an_end_is_read_and_reported()
    {
        _tenant.AddUser(Alice, "alice@contoso.example");
        _tenant.AddInstance(GraphJson.Instance("no-end", Alice, GroupA, end: null));
        var logger = new ListLogger();

        var activation = Assert.Single((await new GraphPimSource(StubCredential.ClientFor(_stub), logger, new ManualTimeProvider()).GetSnapshotAsync([GroupA])).Activations);

        Assert.Null(activation.End);
        Assert.False(activation.IsPermanent);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("no-end", StringComparison.Ordinal) && e.Message.Contains("no endDateTime", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_group_without_instances_is_listed_with_no_activations()
    {
        _tenant.AddGroup(GroupB);

        var snapshot = await Source().GetSnapshotAsync([GroupB]);

        Assert.Equal([GroupB], snapshot.GroupIds);
        Assert.Empty(snapshot.Activations);
    }
}

/// <summary>Keeps what was logged.</summary>
internal sealed class ListLogger : ILogger<GraphPimSource>
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries { get { lock (_entries) return [.. _entries]; } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
    }
}
