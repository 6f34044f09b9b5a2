using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Core.Domain;
using PimBridge.Entra;
using PimBridge.Testing;

namespace PimBridge.Cli.Tests;

/// <summary>
/// The sandbox's PIM control surface on the Graph stub (<c>/sandbox/pim</c>): what a newcomer calls to play PIM. An
/// activation must be what the real Graph SDK then reads from the stub, with the asked duration; a deactivation or the
/// activation's end must take it away; and every wrong request must say what is wrong and what would be right.
/// </summary>
public sealed class SandboxPimControlTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _time = new(Start);
    private GraphStub _stub = null!;
    private PimControl _control = null!;
    private HttpClient _http = null!;

    private static readonly PimUser[] Users =
    [
        new("alice", "alice@example.com", "a11ce000-0000-4000-8000-00000000000a"),
        new("bob", "bob@example.com", "b0b00000-0000-4000-8000-00000000000b"),
    ];

    private static readonly PimGroup[] Groups =
    [
        new("prod-admins", "9a0d0000-0000-4000-8000-000000000001", "Admin in 111122223333"),
        new("platform-oncall", "9a0d0000-0000-4000-8000-000000000002", "member of Platform"),
    ];

    public async Task InitializeAsync()
    {
        _stub = await GraphStub.StartAsync();
        var tenant = new PimTenant(_stub);
        foreach (var user in Users) tenant.AddUser(user.EntraId, user.UserPrincipalName, user.UserPrincipalName);
        foreach (var group in Groups) tenant.AddGroup(group.EntraGroupId);
        _control = new PimControl(_stub, tenant, Users, Groups, _time);
        _http = new HttpClient { BaseAddress = _stub.Root };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _control.Dispose();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task An_activation_is_what_Graph_lists_for_the_group_until_it_is_deactivated()
    {
        using var activated = await PostAsync("activate", """{ "user": "alice", "group": "prod-admins", "hours": 2 }""");

        Assert.Equal(HttpStatusCode.Created, activated.StatusCode);
        var body = JsonNode.Parse(await activated.Content.ReadAsStringAsync())!;
        Assert.Equal("alice", body["user"]!.GetValue<string>());
        Assert.Equal("prod-admins", body["group"]!.GetValue<string>());
        Assert.Equal(Groups[0].EntraGroupId, body["entraGroupId"]!.GetValue<string>());
        Assert.Equal("2026-07-01T11:00:00.000Z", body["end"]!.GetValue<string>());

        var listed = Assert.Single(await PimAsync(Groups[0].EntraGroupId));
        Assert.Equal("alice@example.com", listed.Principal.UserPrincipalName);
        Assert.Equal(Start, listed.Start);
        Assert.Equal(Start.AddHours(2), listed.End);
        Assert.Equal(body["instanceId"]!.GetValue<string>(), listed.Id);
        Assert.Empty(await PimAsync(Groups[1].EntraGroupId));

        using var deactivated = await PostAsync("deactivate", """{ "user": "alice@example.com", "group": "prod-admins" }""");

        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.Empty(await PimAsync(Groups[0].EntraGroupId));
        Assert.Empty(_control.Activations);
    }

    [Fact]
    public async Task An_activation_ends_at_its_end_time_as_PIM_stops_listing_it()
    {
        using var activated = await PostAsync("activate", """{ "user": "bob", "group": "platform-oncall", "minutes": 30 }""");
        Assert.Equal(HttpStatusCode.Created, activated.StatusCode);

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Single(await PimAsync(Groups[1].EntraGroupId));

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await PimAsync(Groups[1].EntraGroupId));
        Assert.Empty(_control.Activations);
        // Ended, so bob may activate again.
        using var again = await PostAsync("activate", """{ "user": "bob", "group": "platform-oncall", "minutes": 5 }""");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task The_world_lists_its_users_groups_and_activations()
    {
        using (await PostAsync("activate", """{ "user": "alice", "group": "platform-oncall", "hours": 0.5 }""")) { }

        var world = JsonNode.Parse(await _http.GetStringAsync(new Uri("/sandbox/pim", UriKind.Relative)))!;

        Assert.Equal(["alice", "bob"], world["users"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()));
        Assert.Equal("bob@example.com", world["users"]![1]!["userPrincipalName"]!.GetValue<string>());
        Assert.Equal(["prod-admins", "platform-oncall"], world["groups"]!.AsArray().Select(g => g!["name"]!.GetValue<string>()));
        Assert.Equal("member of Platform", world["groups"]![1]!["reaches"]!.GetValue<string>());
        var activation = Assert.Single(world["activations"]!.AsArray())!;
        Assert.Equal("alice", activation["user"]!.GetValue<string>());
        Assert.Equal("2026-07-01T09:30:00.000Z", activation["end"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("activate", "{ \"user\": \"alice\", ", 400, "The request body is not JSON")]
    [InlineData("activate", "[1]", 400, "The request body must be a JSON object like {\"user\": \"alice\", \"group\": \"prod-admins\", \"hours\": 1}")]
    [InlineData("activate", """{ "group": "prod-admins", "hours": 1 }""", 400, "\"user\" is missing; name one of: alice, bob")]
    [InlineData("activate", """{ "user": "alice", "hours": 1 }""", 400, "\"group\" is missing; name one of: prod-admins, platform-oncall")]
    [InlineData("activate", """{ "user": "dave", "group": "prod-admins", "hours": 1 }""", 404, "There is no user 'dave' in the sandbox's Entra; name one of: alice, bob")]
    [InlineData("activate", """{ "user": "alice", "group": "dev", "hours": 1 }""", 404, "There is no PIM group 'dev' in the sandbox; name one of: prod-admins, platform-oncall")]
    [InlineData("activate", """{ "user": "alice", "group": "prod-admins" }""", 400, "Give the activation's length as \"hours\" or \"minutes\"")]
    [InlineData("activate", """{ "user": "alice", "group": "prod-admins", "hours": 1, "minutes": 5 }""", 400, "Give \"hours\" or \"minutes\", not both")]
    [InlineData("activate", """{ "user": "alice", "group": "prod-admins", "hours": 0 }""", 400, "\"hours\" must be more than 0 and at most 24 hours (PIM's longest activation), got 0")]
    [InlineData("activate", """{ "user": "alice", "group": "prod-admins", "minutes": 1441 }""", 400, "\"minutes\" must be more than 0 and at most 24 hours (PIM's longest activation), got 1441")]
    [InlineData("activate", """{ "user": "alice", "group": "prod-admins", "hours": "1" }""", 400, "\"hours\" must be a number, like 1 or 0.25")]
    [InlineData("activate", """{ "user": 7, "group": "prod-admins", "hours": 1 }""", 400, "\"user\" must be a string")]
    [InlineData("activate", """{ "user": "alice", "group": "prod-admins", "hours": 1, "justification": "x" }""", 400, "\"justification\" is not a field of activate; it takes user, group, and hours or minutes")]
    [InlineData("deactivate", """{ "user": "alice", "group": "prod-admins" }""", 409, "alice has no active activation in prod-admins to deactivate")]
    [InlineData("deactivate", """{ "user": "alice", "group": "prod-admins", "hours": 1 }""", 400, "\"hours\" is not a field of deactivate; it takes user and group")]
    public async Task A_wrong_request_is_refused_saying_what_is_wrong(string action, string body, int status, string expected)
    {
        using var response = await PostAsync(action, body);

        Assert.Equal(status, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>();
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Empty(_control.Activations);
        Assert.Empty(await PimAsync(Groups[0].EntraGroupId));
    }

    [Fact]
    public async Task A_second_activation_while_one_is_active_is_a_conflict()
    {
        using (await PostAsync("activate", """{ "user": "alice", "group": "prod-admins", "hours": 1 }""")) { }

        using var again = await PostAsync("activate", """{ "user": "alice", "group": "prod-admins", "hours": 3 }""");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("alice is already active in prod-admins until 2026-07-01T10:00:00.000Z; deactivate first", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Start.AddHours(1), Assert.Single(await PimAsync(Groups[0].EntraGroupId)).End);
    }

    private async Task<HttpResponseMessage> PostAsync(string action, string body) =>
        await _http.PostAsync(new Uri($"/sandbox/pim/{action}", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>What PimBridge's own Graph PIM source reads from the stub for the group.</summary>
    private async Task<IReadOnlyList<Activation>> PimAsync(string group)
    {
        using var graph = StubCredential.ClientFor(_stub);
        var snapshot = await new GraphPimSource(graph, NullLogger<GraphPimSource>.Instance, _time, TimeSpan.Zero).GetSnapshotAsync([group]);
        return snapshot.Activations;
    }
}
