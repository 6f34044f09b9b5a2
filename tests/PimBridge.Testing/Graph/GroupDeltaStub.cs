using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PimBridge.Sandbox.Graph;

namespace PimBridge.Testing.Graph;

/// <summary>
/// Graph's group delta query (<c>GET /groups/delta</c>) on a <see cref="GraphStub"/>, in the documented shapes
/// (learn.microsoft.com/graph/delta-query-groups, /graph/api/group-delta): a <c>$filter</c> of up to 50
/// <c>id eq '…'</c> terms; the first round lists every existing filtered group with its current members in
/// <c>members@delta</c> (left out for a group without members), paged with <c>@odata.nextLink</c>, and ends with an
/// <c>@odata.deltaLink</c>; a round from a delta link lists the groups whose members or owners changed since, an added
/// principal as <c>{"@odata.type","id"}</c> and a removed one with <c>"@removed": {"reason": "deleted"}</c>, or nothing
/// (an empty <c>value</c>). Tokens are opaque to the client; here they carry the change sequence and the groups.
/// </summary>
public sealed partial class GroupDeltaStub
{
    /// <summary>The SDK asks for <c>/groups/delta()</c>; Graph's own links say <c>/groups/delta</c>.</summary>
    public const string PathPattern = @"/groups/(?:microsoft\.graph\.)?delta(?:\(\))?";

    private const string Context = "https://graph.microsoft.com/v1.0/$metadata#groups";
    private readonly GraphStub _stub;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _groups = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(long Seq, string Group, string Relation, string Principal, bool Removed)> _changes = [];
    private long _seq;

    public GroupDeltaStub(GraphStub stub)
    {
        _stub = stub;
        stub.On("GET", PathPattern, Handle);
    }

    /// <summary>Groups per page.</summary>
    public int PageSize { get; set; } = 20;

    /// <summary>When set, every request with a delta token is answered with this error (and Graph's Location header for 410).</summary>
    public (int Status, string Code)? RejectDeltaTokens { get; set; }

    public GroupDeltaStub AddGroup(string group)
    {
        lock (_gate) Relations(group);
        return this;
    }

    /// <summary>PIM activated <paramref name="principal"/>: it becomes a member (or owner) of the group.</summary>
    public GroupDeltaStub AddMember(string group, string principal, string relation = "members") => Change(group, relation, principal, removed: false);

    /// <summary>The activation ended: the principal is no longer a member (or owner).</summary>
    public GroupDeltaStub RemoveMember(string group, string principal, string relation = "members") => Change(group, relation, principal, removed: true);

    private GroupDeltaStub Change(string group, string relation, string principal, bool removed)
    {
        lock (_gate)
        {
            var set = Relations(group)[relation];
            if (removed ? set.Remove(principal) : set.Add(principal))
                _changes.Add((++_seq, group.ToLowerInvariant(), relation, principal, removed));
        }

        return this;
    }

    private Dictionary<string, HashSet<string>> Relations(string group)
    {
        if (!_groups.TryGetValue(group, out var relations))
            _groups[group] = relations = new(StringComparer.Ordinal) { ["members"] = [], ["owners"] = [] };
        return relations;
    }

    private StubResponse Handle(StubRequest request)
    {
        if (request.Query.TryGetValue("$deltatoken", out var deltaToken))
        {
            if (RejectDeltaTokens is { } reject)
            {
                var headers = reject.Status == 410 ? new Dictionary<string, string> { ["Location"] = $"{_stub.BaseUrl}/groups/delta?$deltatoken=" } : null;
                return StubResponse.Error(reject.Status, reject.Code, "The sync state generation is not found. The delta token is expired and data must be synchronized again.", headers);
            }

            var (_, _, since, _, groups) = Token.Parse(deltaToken);
            long now;
            lock (_gate) now = _seq;
            return Changes(new Token("changes", 0, since, now, groups));
        }

        if (request.Query.TryGetValue("$skiptoken", out var skipToken))
            return Token.Parse(skipToken) is { Kind: "initial" } initial ? Initial(initial) : Changes(Token.Parse(skipToken));

        var filter = request.Query.GetValueOrDefault("$filter") ?? "";
        var ids = IdRegex().Matches(filter).Select(m => m.Groups[1].Value.ToLowerInvariant()).ToList();
        if (ids.Count > 50)
            return StubResponse.Error(400, "Request_UnsupportedQuery", "Too many filtered objects: the limit is 50.");
        var select = (request.Query.GetValueOrDefault("$select") ?? "").Split(',');
        if (!select.Contains("members", StringComparer.OrdinalIgnoreCase))
            return StubResponse.Error(400, "Stub_Unsupported", "The stub tracks membership only: $select must include members.");
        lock (_gate) return Initial(new Token("initial", 0, 0, _seq, ids));
    }

    /// <summary>The first round: every filtered group that exists, with its current members and owners.</summary>
    private StubResponse Initial(Token token)
    {
        var items = new List<JsonObject>();
        lock (_gate)
        {
            foreach (var group in token.Groups.Where(_groups.ContainsKey))
            {
                var item = new JsonObject { ["id"] = group };
                foreach (var (relation, principals) in _groups[group].Where(r => r.Value.Count > 0))
                    item[relation + "@delta"] = new JsonArray(principals.Order(StringComparer.Ordinal).Select(p => (JsonNode)Principal(p, removed: false)).ToArray());
                items.Add(item);
            }
        }

        return Page(items, token);
    }

    /// <summary>A round from a delta token: the groups whose members or owners changed in (Since, Until].</summary>
    private StubResponse Changes(Token token)
    {
        List<JsonObject> items;
        lock (_gate)
        {
            items = _changes.Where(c => c.Seq > token.Since && c.Seq <= token.Until && token.Groups.Contains(c.Group))
                .GroupBy(c => c.Group)
                .Select(g =>
                {
                    var item = new JsonObject { ["id"] = g.Key };
                    foreach (var relation in g.GroupBy(c => c.Relation))
                        item[relation.Key + "@delta"] = new JsonArray(relation.Select(c => (JsonNode)Principal(c.Principal, c.Removed)).ToArray());
                    return item;
                }).ToList();
        }

        return Page(items, token);
    }

    private StubResponse Page(List<JsonObject> items, Token token)
    {
        var page = new JsonObject { ["@odata.context"] = Context };
        var rest = items.Count - token.Offset - PageSize;
        if (rest > 0)
            page["@odata.nextLink"] = $"{_stub.BaseUrl}/groups/delta?$skiptoken={(token with { Offset = token.Offset + PageSize }).Encode()}";
        else
            page["@odata.deltaLink"] = $"{_stub.BaseUrl}/groups/delta?$deltatoken={new Token("delta", 0, token.Until, token.Until, token.Groups).Encode()}";
        page["value"] = new JsonArray(items.Skip(token.Offset).Take(PageSize).Select(i => (JsonNode)i).ToArray());
        return StubResponse.Ok(page.ToJsonString());
    }

    private static JsonObject Principal(string id, bool removed)
    {
        var o = new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = id };
        if (removed) o["@removed"] = new JsonObject { ["reason"] = "deleted" };
        return o;
    }

    [GeneratedRegex(@"id\s+eq\s+'([^']*)'", RegexOptions.IgnoreCase)]
    private static partial Regex IdRegex();

    /// <summary>The stub's opaque state token: what the round is, where it is, and which groups it covers.</summary>
    private sealed record Token(string Kind, int Offset, long Since, long Until, IReadOnlyList<string> Groups)
    {
        public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
            string.Join('|', Kind, Offset.ToString(CultureInfo.InvariantCulture), Since.ToString(CultureInfo.InvariantCulture), Until.ToString(CultureInfo.InvariantCulture), string.Join(',', Groups))))
            .Replace('+', '-').Replace('/', '_').TrimEnd('=');

        public static Token Parse(string value)
        {
            var base64 = value.Replace('-', '+').Replace('_', '/');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '='))).Split('|');
            return new Token(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture),
                long.Parse(parts[3], CultureInfo.InvariantCulture), parts[4].Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
    }
}
