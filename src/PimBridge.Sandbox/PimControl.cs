using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PimBridge.Sandbox.Graph;

namespace PimBridge.Sandbox;

/// <summary>
/// The sandbox's PIM control surface, served by the Graph stub beside Graph (<c>/sandbox/pim</c>): what a person calls
/// to play PIM for the sandbox's users, as they would activate in the Entra portal.
/// <list type="bullet">
/// <item><c>GET /sandbox/pim</c>: the users, the groups and the activations now.</item>
/// <item><c>POST /sandbox/pim/activate</c> <c>{"user": "alice", "group": "prod-admins", "hours": 1}</c> (or <c>"minutes"</c>):
/// PIM lists an assignment schedule instance from now for that long, and stops listing it at its end, as PIM does.</item>
/// <item><c>POST /sandbox/pim/deactivate</c> <c>{"user": "alice", "group": "prod-admins"}</c>: PIM stops listing it now.</item>
/// </list>
/// Like PIM, it notifies nobody: Graph's change notification is the caller's to post to PimBridge's webhook. Every
/// wrong request is answered with a 4xx and <c>{"error": "..."}</c> saying what is wrong and what is expected.
/// </summary>
public sealed class PimControl : IDisposable
{
    /// <summary>Where the control surface lives on the stub.</summary>
    public const string Path = "/sandbox/pim";

    /// <summary>PIM's longest activation.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromHours(24);

    /// <summary>Answers are read by people in a terminal: PIM's stays PIM's, not PIM\u0027s.</summary>
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly GraphStub _stub;
    private readonly PimTenant _tenant;
    private readonly IReadOnlyList<PimUser> _users;
    private readonly IReadOnlyList<PimGroup> _groups;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<(PimUser User, PimGroup Group), (StubActivation Activation, ITimer End)> _active = [];

    public PimControl(GraphStub stub, PimTenant tenant, IEnumerable<PimUser> users, IEnumerable<PimGroup> groups, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(stub);
        ArgumentNullException.ThrowIfNull(tenant);
        _stub = stub;
        _tenant = tenant;
        _users = [.. users];
        _groups = [.. groups];
        if (_users.Count == 0 || _groups.Count == 0)
            throw new ArgumentException("The control surface needs at least one user and one group.");
        _time = time ?? TimeProvider.System;
        stub.OnPath("GET", Path, _ => StubResponse.Ok(Describe().ToJsonString(Readable)));
        stub.OnPath("POST", $"{Path}/activate", Activate);
        stub.OnPath("POST", $"{Path}/deactivate", Deactivate);
    }

    /// <summary>http://127.0.0.1:{port}/sandbox/pim</summary>
    public Uri Url => new(_stub.Root, Path);

    /// <summary>The activations PIM lists now, oldest first.</summary>
    public IReadOnlyList<StubActivation> Activations
    {
        get { lock (_gate) return [.. _active.Values.Select(a => a.Activation).OrderBy(a => a.Start)]; }
    }

    /// <summary>The same instant as the stub writes it (Graph's millisecond precision, UTC).</summary>
    public static string GraphTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private string Example => $$"""{"user": "{{_users[0].Name}}", "group": "{{_groups[0].Name}}", "hours": 1}""";

    private StubResponse Activate(StubRequest request)
    {
        var (body, error) = Read(request, "activate", ["user", "group", "hours", "minutes"], "user, group, and hours or minutes");
        if (error is not null) return error;
        var (user, group, notFound) = Find(body!);
        if (notFound is not null) return notFound;
        var (length, badLength) = Length(body!);
        if (badLength is not null) return badLength;

        var now = _time.GetUtcNow();
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        StubActivation activation;
        lock (_gate)
        {
            if (_active.TryGetValue((user!, group!), out var current))
                return Problem(409, $"{user!.Name} is already active in {group!.Name} until {GraphTime(current.Activation.End)}; deactivate first, or wait for the end.");
            activation = new StubActivation(user!, group!, Guid.NewGuid().ToString(), start, start + length);
            _tenant.AddInstance(GraphJson.Instance(activation.InstanceId, user!.EntraId, group!.EntraGroupId, start: GraphTime(activation.Start), end: GraphTime(activation.End)));
            var end = _time.CreateTimer(_ => End(activation), null, activation.End - now, Timeout.InfiniteTimeSpan);
            _active[(user, group)] = (activation, end);
        }

        var answer = Describe(activation);
        answer["next"] = $"PIM lists the activation now. Graph tells PimBridge through an Event Grid delivery: post the change notification for group {group!.EntraGroupId} to the PimBridge webhook.";
        return StubResponse.Created(answer.ToJsonString(Readable));
    }

    private StubResponse Deactivate(StubRequest request)
    {
        var (body, error) = Read(request, "deactivate", ["user", "group"], "user and group");
        if (error is not null) return error;
        var (user, group, notFound) = Find(body!);
        if (notFound is not null) return notFound;
        StubActivation activation;
        lock (_gate)
        {
            if (!_active.Remove((user!, group!), out var current))
                return Problem(409, $"{user!.Name} has no active activation in {group!.Name} to deactivate.");
            current.End.Dispose();
            activation = current.Activation;
            _tenant.RemoveInstance(activation.InstanceId);
        }

        var answer = Describe(activation);
        answer["deactivatedAt"] = GraphTime(_time.GetUtcNow());
        answer["next"] = $"PIM no longer lists the activation. Post the change notification for group {group!.EntraGroupId} to the PimBridge webhook, as Graph would.";
        return StubResponse.Ok(answer.ToJsonString(Readable));
    }

    /// <summary>PIM stops listing an activation at its end.</summary>
    private void End(StubActivation activation)
    {
        lock (_gate)
        {
            if (!_active.TryGetValue((activation.User, activation.Group), out var current) || current.Activation.InstanceId != activation.InstanceId)
                return; // deactivated before its end
            _active.Remove((activation.User, activation.Group));
            current.End.Dispose();
            _tenant.RemoveInstance(activation.InstanceId);
        }
    }

    /// <summary>The body as a JSON object with only the fields the action takes, or the answer saying what is wrong.</summary>
    private (JsonObject? Body, StubResponse? Error) Read(StubRequest request, string action, string[] fields, string takes)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(request.Body);
        }
        catch (JsonException e)
        {
            return (null, Problem(400, $"The request body is not JSON ({e.Message}); send a JSON object like {Example}."));
        }

        if (node is not JsonObject body)
            return (null, Problem(400, $"The request body must be a JSON object like {Example}."));
        foreach (var (name, _) in body)
        {
            if (!fields.Contains(name, StringComparer.Ordinal))
                return (null, Problem(400, $"\"{name}\" is not a field of {action}; it takes {takes}."));
        }

        return (body, null);
    }

    /// <summary>The user (by name or user principal name) and the group (by name or object id) the body names.</summary>
    private (PimUser? User, PimGroup? Group, StubResponse? Error) Find(JsonObject body)
    {
        var userNames = string.Join(", ", _users.Select(u => u.Name));
        var groupNames = string.Join(", ", _groups.Select(g => g.Name));
        var (userName, badUser) = Text(body, "user", userNames);
        if (badUser is not null) return (null, null, badUser);
        var (groupName, badGroup) = Text(body, "group", groupNames);
        if (badGroup is not null) return (null, null, badGroup);
        var user = _users.FirstOrDefault(u => Same(u.Name, userName!) || Same(u.UserPrincipalName, userName!));
        if (user is null)
            return (null, null, Problem(404, $"There is no user '{userName}' in the sandbox's Entra; name one of: {userNames} (a name or a user principal name)."));
        var group = _groups.FirstOrDefault(g => Same(g.Name, groupName!) || Same(g.EntraGroupId, groupName!));
        if (group is null)
            return (null, null, Problem(404, $"There is no PIM group '{groupName}' in the sandbox; name one of: {groupNames} (a name or an object id)."));
        return (user, group, null);

        static bool Same(string a, string b) => string.Equals(a, b.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    private static (string? Value, StubResponse? Error) Text(JsonObject body, string field, string choices)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null)
            return (null, Problem(400, $"\"{field}\" is missing; name one of: {choices}."));
        if (node.GetValueKind() != JsonValueKind.String || node.GetValue<string>().Trim().Length == 0)
            return (null, Problem(400, $"\"{field}\" must be a string naming one of: {choices}."));
        return (node.GetValue<string>(), null);
    }

    /// <summary>The activation's length from <c>hours</c> or <c>minutes</c>: more than zero, at most PIM's 24 hours.</summary>
    private static (TimeSpan Length, StubResponse? Error) Length(JsonObject body)
    {
        var hours = body["hours"];
        var minutes = body["minutes"];
        if (hours is null && minutes is null)
            return (default, Problem(400, "Give the activation's length as \"hours\" or \"minutes\", for example \"hours\": 1 or \"minutes\": 5."));
        if (hours is not null && minutes is not null)
            return (default, Problem(400, "Give \"hours\" or \"minutes\", not both."));
        var (field, node, unit) = hours is not null ? ("hours", hours, TimeSpan.FromHours(1)) : ("minutes", minutes!, TimeSpan.FromMinutes(1));
        if (node.GetValueKind() != JsonValueKind.Number)
            return (default, Problem(400, $"\"{field}\" must be a number, like 1 or 0.25."));
        var value = node.GetValue<double>();
        var length = value > 0 && value * unit.TotalHours <= Longest.TotalHours ? unit * value : TimeSpan.Zero;
        if (length <= TimeSpan.Zero)
            return (default, Problem(400, $"\"{field}\" must be more than 0 and at most 24 hours (PIM's longest activation), got {node.ToJsonString()}."));
        return (length, null);
    }

    private JsonObject Describe() => new()
    {
        ["users"] = new JsonArray([.. _users.Select(u => (JsonNode)new JsonObject { ["name"] = u.Name, ["userPrincipalName"] = u.UserPrincipalName, ["entraId"] = u.EntraId })]),
        ["groups"] = new JsonArray([.. _groups.Select(g => (JsonNode)new JsonObject { ["name"] = g.Name, ["entraGroupId"] = g.EntraGroupId, ["reaches"] = g.Reaches })]),
        ["activations"] = new JsonArray([.. Activations.Select(a => (JsonNode)Describe(a))]),
    };

    private static JsonObject Describe(StubActivation activation) => new()
    {
        ["user"] = activation.User.Name,
        ["userPrincipalName"] = activation.User.UserPrincipalName,
        ["group"] = activation.Group.Name,
        ["entraGroupId"] = activation.Group.EntraGroupId,
        ["instanceId"] = activation.InstanceId,
        ["start"] = GraphTime(activation.Start),
        ["end"] = GraphTime(activation.End),
    };

    private static StubResponse Problem(int status, string message) => new(status, new JsonObject { ["error"] = message }.ToJsonString(Readable));

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, end) in _active.Values) end.Dispose();
            _active.Clear();
        }
    }
}
