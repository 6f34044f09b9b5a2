using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>GraphPimSource.GetActivationRequestAsync: finding the PIM request behind an activation.</summary>
public sealed class ActivationRequestTests : IClassFixture<GraphStubFixture>
{
    private const string Group = GraphJson.DocumentedGroup;
    private const string User = GraphJson.DocumentedRequester;
    private const string RequestsPath = "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";

    private readonly GraphStub _stub;
    private readonly PimTenant _tenant;

    public ActivationRequestTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _tenant = new PimTenant(_stub);
        _tenant.AddUser(User, "user@contoso.example");
    }

    private GraphPimSource Source() => new(StubCredential.ClientFor(_stub), new ListLogger(), new ManualTimeProvider());

    private static Activation ActivationAt(string start, string id = "instance-1", PimAccess access = PimAccess.Member) =>
        new(id, new EntraPrincipal(User, "user@contoso.example"), Group, access, DateTimeOffset.Parse(start), DateTimeOffset.Parse(start).AddHours(2));

    [Fact]
    public async Task The_documented_selfActivate_request_is_found_by_its_schedule_id()
    {
        // The instance PIM created for the documented request carries the request's targetScheduleId.
        const string ScheduleId = "2b5ed229-4072-478d-9504-a047ebd4b07d_member_6aacaee8-4089-4048-9510-3119367fc943";
        _tenant.AddInstance(GraphJson.Instance("instance-1", User, Group, start: "2023-02-07T07:05:55.34Z", end: "2023-02-07T09:05:55.34Z", scheduleId: ScheduleId));
        _tenant.AddRequest(GraphJson.Parse(GraphJson.DocumentedSelfActivateRequest).AsObject());
        // A later self-activation of another schedule must not be taken for it.
        _tenant.AddRequest(GraphJson.Request("later-request", User, Group, created: "2023-02-07T07:06:00Z", scheduleStart: "2023-02-07T07:06:00Z", justification: "Another one."));
        var source = Source();
        var activation = Assert.Single((await source.GetSnapshotAsync([Group])).Activations);

        var request = await source.GetActivationRequestAsync(activation);

        Assert.Equal(new ActivationRequest("6aacaee8-4089-4048-9510-3119367fc943", "Activate assignment.", null, null, DateTimeOffset.Parse("2023-02-07T07:05:53.7895614Z")), request);
        var call = Assert.Single(_stub.Received("GET", RequestsPath));
        Assert.Equal($"groupId eq '{Group}' and principalId eq '{User}'", call.Query["$filter"]);
    }

    /// <summary>
    /// The server-side filter is not trusted: an answer that includes another principal's or another group's requests
    /// (even with this schedule's id, or a self-activation that would fit) never lends its justification or ticket to
    /// this grant's audit record.
    /// </summary>
    [Fact]
    public async Task A_request_for_another_principal_or_group_is_never_taken()
    {
        const string ScheduleId = $"{Group}_member_req-2";
        const string OtherUser = "0e4e0000-0000-4000-8000-000000000009";
        const string OtherGroup = "99999999-9999-4999-8999-999999999999";
        _tenant.AddInstance(GraphJson.Instance("instance-2", User, Group, start: "2026-07-01T08:00:00.123Z", scheduleId: ScheduleId));
        var source = Source();
        var activation = Assert.Single((await source.GetSnapshotAsync([Group])).Activations);
        _stub.On("GET", RequestsPath, _ => StubResponse.Ok(GraphJson.Page(GraphJson.RequestsContext,
        [
            GraphJson.Request("someone-else", OtherUser, Group, justification: "Not this user's", ticketNumber: "INC-9", targetScheduleId: ScheduleId),
            GraphJson.Request("other-group", User, OtherGroup, justification: "Another group's", targetScheduleId: ScheduleId),
            GraphJson.Request("other-group-fits", User, OtherGroup, justification: "Another group's self-activation"),
        ])));

        Assert.Null(await source.GetActivationRequestAsync(activation));
    }

    [Fact]
    public async Task Justification_and_ticket_come_back_from_the_matching_request()
    {
        const string ScheduleId = $"{Group}_member_req-2";
        _tenant.AddInstance(GraphJson.Instance("instance-2", User, Group, start: "2026-07-01T08:00:00.123Z", scheduleId: ScheduleId));
        _tenant.AddRequest(GraphJson.Request("req-1", User, Group, created: "2026-06-30T08:00:00Z", scheduleStart: "2026-06-30T08:00:00Z", justification: "Yesterday's incident.", ticketNumber: "INC-1", ticketSystem: "ServiceNow"));
        _tenant.AddRequest(GraphJson.Request("req-2", User, Group, justification: "Deploy hotfix", ticketNumber: "CHG-4711", ticketSystem: "ServiceNow", targetScheduleId: ScheduleId));
        _tenant.AddRequest(GraphJson.Request("req-3", User, Group, action: "selfExtend", created: "2026-07-01T09:00:00Z", justification: "Needs longer", targetScheduleId: ScheduleId));
        var source = Source();
        var activation = Assert.Single((await source.GetSnapshotAsync([Group])).Activations);

        var request = await source.GetActivationRequestAsync(activation);

        Assert.NotNull(request);
        Assert.Equal("req-2", request.Id);
        Assert.Equal("Deploy hotfix", request.Justification);
        Assert.Equal("CHG-4711", request.TicketNumber);
        Assert.Equal("ServiceNow", request.TicketSystem);
        Assert.Equal(DateTimeOffset.Parse("2026-07-01T07:59:58.1234567Z"), request.CreatedAt);
    }

    [Fact]
    public async Task Without_a_schedule_id_the_latest_selfActivate_starting_at_or_before_the_activation_is_taken()
    {
        _tenant.AddRequest(GraphJson.Request("old", User, Group, created: "2026-06-30T07:59:00Z", scheduleStart: "2026-06-30T08:00:00Z", justification: "Old"));
        _tenant.AddRequest(GraphJson.Request("denied", User, Group, status: "Denied", created: "2026-07-01T07:30:00Z", scheduleStart: "2026-07-01T07:30:00Z", justification: "Denied"));
        _tenant.AddRequest(GraphJson.Request("owner", User, Group, accessId: "owner", created: "2026-07-01T07:40:00Z", scheduleStart: "2026-07-01T07:40:00Z", justification: "Owner"));
        _tenant.AddRequest(GraphJson.Request("deactivate", User, Group, action: "selfDeactivate", status: "Revoked", created: "2026-07-01T07:50:00Z", scheduleStart: "2026-07-01T07:50:00Z"));
        // Graph writes the request's start with 7 digits and the instance's with 3: a hair after the activation start.
        _tenant.AddRequest(GraphJson.Request("this", User, Group, created: "2026-07-01T07:59:58Z", scheduleStart: "2026-07-01T08:00:00.1234567Z", justification: "This one", ticketNumber: "CHG-1"));
        _tenant.AddRequest(GraphJson.Request("future", User, Group, created: "2026-07-01T09:00:00Z", scheduleStart: "2026-07-01T09:00:00Z", justification: "Future"));

        var request = await Source().GetActivationRequestAsync(ActivationAt("2026-07-01T08:00:00.123Z"));

        Assert.Equal(("this", "This one", "CHG-1"), (request?.Id, request?.Justification, request?.TicketNumber));
    }

    [Fact]
    public async Task A_request_without_scheduleInfo_falls_back_on_its_creation_time()
    {
        _tenant.AddRequest(GraphJson.Request("no-schedule", User, Group, created: "2026-07-01T07:59:58Z", scheduleStart: null, justification: "Minimal"));

        var request = await Source().GetActivationRequestAsync(ActivationAt("2026-07-01T08:00:00Z"));

        Assert.Equal("no-schedule", request?.Id);
        Assert.Null(request?.TicketNumber);
    }

    [Fact]
    public async Task No_matching_request_is_null()
    {
        _tenant.AddRequest(GraphJson.Request("after", User, Group, created: "2026-07-01T09:00:00Z", scheduleStart: "2026-07-01T09:00:00Z"));
        _tenant.AddRequest(GraphJson.Request("assign", User, Group, action: "adminAssign", created: "2026-06-01T00:00:00Z", scheduleStart: "2026-06-01T00:00:00Z"));

        Assert.Null(await Source().GetActivationRequestAsync(ActivationAt("2026-07-01T08:00:00Z")));
        Assert.Null(await Source().GetActivationRequestAsync(ActivationAt("2026-07-01T08:00:00Z") with { GroupId = "55555555-eeee-4eee-8eee-555555555555" }));
    }

    [Fact]
    public async Task A_failing_request_listing_names_the_group()
    {
        _stub.On("GET", RequestsPath, _ => StubResponse.Error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));

        var error = await Assert.ThrowsAsync<GraphPimException>(() => Source().GetActivationRequestAsync(ActivationAt("2026-07-01T08:00:00Z")));

        Assert.Equal(Group, error.GroupId);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains("Authorization_RequestDenied", error.Message);
    }
}
