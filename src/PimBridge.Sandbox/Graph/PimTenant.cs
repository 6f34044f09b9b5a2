using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PimBridge.Sandbox.Graph;

/// <summary>
/// The PIM-for-Groups and directory side of a tenant, served by a <see cref="GraphStub"/>: assignment schedule
/// instances per group (paged, with @odata.nextLink pointing back at the stub), users, other directory objects,
/// assignment schedule requests, the directory's groups (paged) and eligibility schedules per group. Filters are
/// parsed the way Graph documents them (groupId / principalId eq), and the PIM lists refuse a request without one.
/// </summary>
public sealed partial class PimTenant
{
    private const string PimPath = "/identityGovernance/privilegedAccess/group";
    private readonly GraphStub _stub;
    private readonly ConcurrentDictionary<string, List<JsonObject>> _instances = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _objects = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<JsonObject> _requests = [];
    private readonly List<JsonObject> _groups = [];
    private readonly ConcurrentDictionary<string, List<JsonObject>> _eligibilities = new(StringComparer.OrdinalIgnoreCase);

    public PimTenant(GraphStub stub, int pageSize = 100)
    {
        _stub = stub;
        PageSize = pageSize;
        stub.On("GET", $"{PimPath}/assignmentScheduleInstances", ListInstances);
        stub.On("GET", $"{PimPath}/assignmentScheduleRequests", ListRequests);
        stub.On("GET", $"{PimPath}/eligibilitySchedules", ListEligibilitySchedules);
        stub.On("GET", "/groups", ListGroups);
        stub.On("GET", "/users/([^/]+)", (_, m) => _users.TryGetValue(m.Groups[1].Value, out var user)
            ? StubResponse.Ok(user)
            : StubResponse.Error(404, "Request_ResourceNotFound", $"Resource '{m.Groups[1].Value}' does not exist or one of its queried reference-property objects are not present."));
        stub.On("GET", "/directoryObjects/([^/]+)", (_, m) => _objects.TryGetValue(m.Groups[1].Value, out var o)
            ? StubResponse.Ok(o)
            : StubResponse.Error(404, "Request_ResourceNotFound", $"Resource '{m.Groups[1].Value}' does not exist or one of its queried reference-property objects are not present."));
    }

    public int PageSize { get; set; }

    public PimTenant AddInstance(JsonObject instance)
    {
        _instances.GetOrAdd(instance["groupId"]!.GetValue<string>(), _ => []).Add(instance);
        return this;
    }

    /// <summary>PIM no longer lists the instance (deactivated or expired).</summary>
    public PimTenant RemoveInstance(string id)
    {
        foreach (var instances in _instances.Values)
            lock (instances) instances.RemoveAll(i => i["id"]!.GetValue<string>() == id);
        return this;
    }

    /// <summary>A group with no instances: an empty page.</summary>
    public PimTenant AddGroup(string groupId)
    {
        _instances.GetOrAdd(groupId, _ => []);
        return this;
    }

    public PimTenant AddUser(string id, string? upn, string? mail = null, bool omitMail = false)
    {
        _users[id] = GraphJson.User(id, upn, mail, omitMail);
        _objects[id] = GraphJson.DirectoryObject(id, "#microsoft.graph.user", upn ?? id);
        return this;
    }

    /// <summary>A directory object that is not a user (/users/{id} answers 404 for it, as Graph does).</summary>
    public PimTenant AddDirectoryObject(string id, string odataType, string displayName)
    {
        _objects[id] = GraphJson.DirectoryObject(id, odataType, displayName);
        return this;
    }

    /// <summary>A group of the directory (GET /groups lists it); see <see cref="GraphJson.DirectoryGroup"/>.</summary>
    public PimTenant AddDirectoryGroup(JsonObject group)
    {
        lock (_groups) _groups.Add(group);
        return this;
    }

    /// <summary>An eligibility schedule of a group: PIM for Groups governs the group.</summary>
    public PimTenant AddEligibility(JsonObject schedule)
    {
        var list = _eligibilities.GetOrAdd(schedule["groupId"]!.GetValue<string>(), _ => []);
        lock (list) list.Add(schedule);
        return this;
    }

    public PimTenant AddRequest(JsonObject request)
    {
        lock (_requests) _requests.Add(request);
        return this;
    }

    private StubResponse ListInstances(StubRequest request)
    {
        var filter = request.Query.GetValueOrDefault("$filter") ?? "";
        var group = Eq(filter, "groupId");
        if (group is null)
            return StubResponse.Error(400, "BadRequest", "The query must include a $filter on groupId or principalId.");
        var all = _instances.GetValueOrDefault(group) ?? [];
        var skip = int.Parse(request.Query.GetValueOrDefault("$skiptoken") ?? "0", CultureInfo.InvariantCulture);
        var page = all.Skip(skip).Take(PageSize).ToList();
        string? next = null;
        if (skip + PageSize < all.Count)
        {
            var select = request.Query.GetValueOrDefault("$select");
            next = $"{_stub.BaseUrl}{PimPath}/assignmentScheduleInstances?$filter={Uri.EscapeDataString(filter)}"
                   + (select is null ? "" : $"&$select={Uri.EscapeDataString(select)}")
                   + $"&$skiptoken={skip + PageSize}";
        }

        return StubResponse.Ok(GraphJson.Page(GraphJson.InstancesContext, page, next));
    }

    private StubResponse ListRequests(StubRequest request)
    {
        if (GroupOrPrincipal(request) is not { } filter)
            return MissingGroupOrPrincipal;
        List<JsonObject> matches;
        lock (_requests) matches = _requests.Where(filter).ToList();
        return StubResponse.Ok(GraphJson.Page(GraphJson.RequestsContext, matches));
    }

    private StubResponse ListEligibilitySchedules(StubRequest request)
    {
        if (GroupOrPrincipal(request) is not { } filter)
            return MissingGroupOrPrincipal;
        var matches = _eligibilities.Values.SelectMany(list => { lock (list) return list.ToList(); }).Where(filter).ToList();
        return StubResponse.Ok(GraphJson.Page(GraphJson.EligibilitySchedulesContext, matches));
    }

    private static readonly StubResponse MissingGroupOrPrincipal = StubResponse.Error(400, "BadRequest", "The query must include a $filter on groupId or principalId.");

    /// <summary>The $filter on groupId, principalId or both, as a test of an item; null when it names neither.</summary>
    private static Func<JsonObject, bool>? GroupOrPrincipal(StubRequest request)
    {
        var filter = request.Query.GetValueOrDefault("$filter") ?? "";
        var group = Eq(filter, "groupId");
        var principal = Eq(filter, "principalId");
        if (group is null && principal is null)
            return null;
        return item => (group is null || string.Equals(item["groupId"]?.GetValue<string>(), group, StringComparison.OrdinalIgnoreCase))
            && (principal is null || string.Equals(item["principalId"]?.GetValue<string>(), principal, StringComparison.OrdinalIgnoreCase));
    }

    private StubResponse ListGroups(StubRequest request)
    {
        List<JsonObject> all;
        lock (_groups) all = [.. _groups];
        var skip = int.Parse(request.Query.GetValueOrDefault("$skiptoken") ?? "0", CultureInfo.InvariantCulture);
        var page = all.Skip(skip).Take(PageSize).ToList();
        string? next = null;
        if (skip + PageSize < all.Count)
        {
            var select = request.Query.GetValueOrDefault("$select");
            next = $"{_stub.BaseUrl}/groups?" + (select is null ? "" : $"$select={Uri.EscapeDataString(select)}&") + $"$skiptoken={skip + PageSize}";
        }

        return StubResponse.Ok(GraphJson.Page(GraphJson.GroupsContext, page, next));
    }

    private static string? Eq(string filter, string property)
    {
        var match = EqRegex().Matches(filter).FirstOrDefault(m => m.Groups[1].Value.Equals(property, StringComparison.OrdinalIgnoreCase));
        return match?.Groups[2].Value;
    }

    [GeneratedRegex(@"(\w+)\s+eq\s+'([^']*)'")]
    private static partial Regex EqRegex();
}
