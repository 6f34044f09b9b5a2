using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PimBridge.Core.Configuration;
using PimBridge.Core.Gaps;

namespace PimBridge.Sandbox.Scenarios;

/// <summary>
/// Reads a scenario file and checks it completely before anything starts: unknown properties, missing fields, bad
/// durations, names that refer to nothing, a deactivation with nothing active, a <c>beforeFence</c> call with no ended
/// access before it. Every problem is reported at once with its JSON path.
/// </summary>
public static partial class ScenarioReader
{
    /// <summary>The alert classes an activity can expect, and <c>none</c>.</summary>
    public static readonly IReadOnlyList<string> AlertExpectations = ["none", .. Enum.GetValues<GapClass>().Select(GapAlert.ClassName)];

    public const double DefaultSpeed = 60;

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Reads a scenario file; a missing or unreadable file is a <see cref="ScenarioFormatException"/> too.</summary>
    public static Scenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioFormatException($"The scenario file '{path}'", [$"it cannot be read ({e.Message}); give the path of a scenario JSON file"]);
        }

        return Parse(text, $"The scenario file '{path}'");
    }

    public static Scenario Parse(string json, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ScenarioFormatException(source, [$"it is not JSON ({e.Message})"]);
        }

        var reader = new Reader();
        var scenario = reader.Read(root);
        if (reader.Problems.Count > 0 || scenario is null)
            throw new ScenarioFormatException(source, reader.Problems.Count > 0 ? reader.Problems : ["it could not be read"]);
        return scenario;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex MappingName();

    [GeneratedRegex(@"^[\w+=,.@-]{1,32}$")]
    private static partial Regex PermissionSetName();

    [GeneratedRegex(@"^\d{12}$")]
    private static partial Regex AccountId();

    [GeneratedRegex(@"^[a-z0-9-]+:[A-Za-z0-9]+$")]
    private static partial Regex CallName();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex UserNamePart();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9.]{0,127}$")]
    private static partial Regex ErrorCode();

    private sealed class Reader
    {
        public List<string> Problems { get; } = [];

        private void Problem(string path, string message) => Problems.Add($"{path}: {message}");

        public Scenario? Read(JsonNode? root)
        {
            if (root is not JsonObject o)
            {
                Problems.Add("the top level must be a JSON object with name, permissionSets, users, groups, timeline and expect");
                return null;
            }

            Known(o, "$", "name", "description", "speed", "permissionSets", "identityCenterGroups", "users", "groups", "timeline", "expect");
            var name = RequiredString(o, "$", "name");
            var description = OptionalString(o, "$", "description");
            var speed = DefaultSpeed;
            if (o["speed"] is { } s)
            {
                if (s is JsonValue v && v.TryGetValue<double>(out var d) && d is >= 1 and <= 3600)
                    speed = d;
                else
                    Problem("$.speed", "must be a number from 1 to 3600 (scenario seconds per real second; default 60)");
            }

            var permissionSets = ReadPermissionSets(o);
            var icGroups = ReadIdentityCenterGroups(o, permissionSets);
            var users = ReadUsers(o);
            var groups = ReadGroups(o, permissionSets, icGroups);
            var timeline = ReadTimeline(o, users, groups, permissionSets);
            var expectations = ReadExpectations(o, users, groups, permissionSets);
            var steps = Plan(timeline, groups);

            if (expectations.Count == 0 && timeline.All(e => e.ExpectAlert is null))
                Problems.Add("$: the scenario expects nothing; add entries to expect, or expectAlert to AWS activity, so the run can pass or fail");

            if (Problems.Count > 0 || name is null)
                return null;
            return new Scenario
            {
                Name = name, Description = description, Speed = speed, PermissionSets = permissionSets, IdentityCenterGroups = icGroups,
                Users = users, Groups = groups, Timeline = timeline, Steps = steps, Expectations = expectations,
            };
        }

        private List<ScenarioPermissionSet> ReadPermissionSets(JsonObject o)
        {
            var list = new List<ScenarioPermissionSet>();
            foreach (var (item, path) in Items(o, "$", "permissionSets", required: true))
            {
                if (item is not JsonObject p) { Problem(path, "must be an object with name and sessionDuration"); continue; }
                Known(p, path, "name", "sessionDuration", "customerPolicy");
                var name = RequiredString(p, path, "name");
                if (name is not null && !PermissionSetName().IsMatch(name))
                    Problem($"{path}.name", $"'{name}' is not a permission set name (1-32 of letters, digits and +=,.@_-)");
                else if (name is not null && list.Any(x => x.Name == name))
                    Problem($"{path}.name", $"'{name}' is listed twice");
                var duration = RequiredDuration(p, path, "sessionDuration");
                if (duration is { } d && (d < TimeSpan.FromHours(1) || d > TimeSpan.FromHours(12)))
                    Problem($"{path}.sessionDuration", "must be from 1h to 12h, as Identity Center allows");
                string? policy = null;
                if (p["customerPolicy"] is { } cp)
                {
                    if (cp is JsonObject policyObject && policyObject["Statement"] is JsonArray { Count: > 0 } statements && statements.All(st => st is JsonObject))
                        policy = cp.ToJsonString();
                    else
                        Problem($"{path}.customerPolicy", "must be an IAM policy object with a non-empty Statement array of statement objects");
                }

                if (name is not null && duration is not null)
                    list.Add(new ScenarioPermissionSet(name, duration.Value, policy));
            }

            return list;
        }

        private List<ScenarioIdentityCenterGroup> ReadIdentityCenterGroups(JsonObject o, List<ScenarioPermissionSet> permissionSets)
        {
            var list = new List<ScenarioIdentityCenterGroup>();
            foreach (var (item, path) in Items(o, "$", "identityCenterGroups", required: false))
            {
                if (item is not JsonObject g) { Problem(path, "must be an object with name and assignments"); continue; }
                Known(g, path, "name", "assignments");
                var name = RequiredString(g, path, "name");
                if (name is not null && list.Any(x => x.Name == name))
                    Problem($"{path}.name", $"'{name}' is listed twice");
                var assignments = new List<ScenarioAssignment>();
                foreach (var (a, apath) in Items(g, path, "assignments", required: true))
                {
                    if (a is not JsonObject ao) { Problem(apath, "must be an object with permissionSet and accounts"); continue; }
                    Known(ao, apath, "permissionSet", "accounts");
                    var ps = PermissionSetRef(ao, apath, "permissionSet", permissionSets);
                    var accounts = Accounts(ao, apath);
                    if (ps is not null && accounts.Count > 0) assignments.Add(new ScenarioAssignment(ps, accounts));
                }

                if (name is not null) list.Add(new ScenarioIdentityCenterGroup(name, assignments));
            }

            return list;
        }

        private List<ScenarioUser> ReadUsers(JsonObject o)
        {
            var list = new List<ScenarioUser>();
            foreach (var (item, path) in Items(o, "$", "users", required: true))
            {
                string? name;
                string? userName = null;
                if (item is JsonValue v && v.TryGetValue<string>(out var text))
                {
                    name = text;
                }
                else if (item is JsonObject u)
                {
                    Known(u, path, "name", "userName");
                    name = RequiredString(u, path, "name");
                    userName = OptionalString(u, path, "userName");
                }
                else
                {
                    Problem(path, "must be a name (\"alice\") or an object with name and an optional userName");
                    continue;
                }

                if (name is null) continue;
                if (!UserNamePart().IsMatch(name)) { Problem(path, $"'{name}' is not a user name (1-64 of letters, digits and ._-)"); continue; }
                if (list.Any(x => x.Name == name)) { Problem(path, $"'{name}' is listed twice"); continue; }
                list.Add(new ScenarioUser(name, userName ?? $"{name}@example.com"));
            }

            return list;
        }

        private List<ScenarioGroup> ReadGroups(JsonObject o, List<ScenarioPermissionSet> permissionSets, List<ScenarioIdentityCenterGroup> icGroups)
        {
            var list = new List<ScenarioGroup>();
            foreach (var (item, path) in Items(o, "$", "groups", required: true))
            {
                if (item is not JsonObject g) { Problem(path, "must be an object with name and either permissionSet + accounts or identityCenterGroup"); continue; }
                Known(g, path, "name", "permissionSet", "accounts", "identityCenterGroup", "fenceSessions");
                var name = RequiredString(g, path, "name");
                if (name is not null && !MappingName().IsMatch(name))
                    Problem($"{path}.name", $"'{name}' is not a mapping name (1-64 of A-Za-z0-9._-)");
                else if (name is not null && list.Any(x => x.Name == name))
                    Problem($"{path}.name", $"'{name}' is listed twice");
                var fence = true;
                if (g["fenceSessions"] is { } f)
                {
                    if (f is JsonValue fv && fv.TryGetValue<bool>(out var b)) fence = b;
                    else Problem($"{path}.fenceSessions", "must be true or false");
                }

                var hasPs = g.ContainsKey("permissionSet");
                var hasIc = g.ContainsKey("identityCenterGroup");
                if (hasPs == hasIc)
                {
                    Problem(path, "give either permissionSet with accounts, or identityCenterGroup, as the access an activation gives");
                    continue;
                }

                if (hasPs)
                {
                    var ps = PermissionSetRef(g, path, "permissionSet", permissionSets);
                    var accounts = Accounts(g, path);
                    if (name is not null && ps is not null && accounts.Count > 0)
                        list.Add(new ScenarioGroup(name, ps, accounts, null, fence, [new ScenarioAssignment(ps, accounts)]));
                }
                else
                {
                    if (g.ContainsKey("accounts")) Problem($"{path}.accounts", "belongs with permissionSet; an identityCenterGroup's accounts come from its assignments");
                    var ic = RequiredString(g, path, "identityCenterGroup");
                    var target = icGroups.FirstOrDefault(x => x.Name == ic);
                    if (ic is not null && target is null)
                        Problem($"{path}.identityCenterGroup", $"'{ic}' is not in identityCenterGroups");
                    if (name is not null && target is not null)
                        list.Add(new ScenarioGroup(name, null, [], target.Name, fence, target.Assignments));
                }
            }

            return list;
        }

        private List<ScenarioEvent> ReadTimeline(JsonObject o, List<ScenarioUser> users, List<ScenarioGroup> groups, List<ScenarioPermissionSet> permissionSets)
        {
            var list = new List<ScenarioEvent>();
            var previous = TimeSpan.Zero;
            var index = 0;
            foreach (var (item, path) in Items(o, "$", "timeline", required: true))
            {
                var i = index++;
                if (item is not JsonObject e) { Problem(path, "must be an object with at and do"); continue; }
                var at = RequiredDuration(e, path, "at");
                if (at is { } a)
                {
                    if (a < TimeSpan.Zero) Problem($"{path}.at", "must not be negative");
                    else if (a < previous) Problem($"{path}.at", $"goes back in time ({Show(a)} after {Show(previous)}); list the timeline in time order");
                    else previous = a;
                }

                var kind = RequiredString(e, path, "do") switch
                {
                    null => (ScenarioEventKind?)null,
                    "activate" => ScenarioEventKind.Activate,
                    "deactivate" => ScenarioEventKind.Deactivate,
                    "aws-call" => ScenarioEventKind.AwsCall,
                    "get-role-credentials" => ScenarioEventKind.GetRoleCredentials,
                    var other => Unknown($"{path}.do", other, "activate, deactivate, aws-call or get-role-credentials"),
                };
                var user = UserRef(e, path, users);
                if (kind is null) continue;

                switch (kind.Value)
                {
                    case ScenarioEventKind.Activate:
                    case ScenarioEventKind.Deactivate:
                    {
                        var activate = kind == ScenarioEventKind.Activate;
                        Known(e, path, activate ? ["at", "do", "user", "group", "for"] : ["at", "do", "user", "group"]);
                        var group = GroupRef(e, path, groups);
                        TimeSpan? duration = null;
                        if (activate)
                        {
                            duration = RequiredDuration(e, path, "for");
                            if (duration is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromHours(24)))
                                Problem($"{path}.for", "must be more than 0 and at most 24h, as PIM allows");
                        }

                        if (at is not null && user is not null && group is not null && (!activate || duration is not null))
                            list.Add(new ScenarioEvent { Index = i, At = at.Value, Kind = kind.Value, User = user, Group = group, For = duration });
                        break;
                    }

                    default:
                    {
                        var call = kind == ScenarioEventKind.AwsCall;
                        Known(e, path, call
                            ? ["at", "do", "user", "permissionSet", "account", "call", "error", "beforeFence", "sessionIssued", "expectAlert"]
                            : ["at", "do", "user", "permissionSet", "account", "error", "beforeFence", "expectAlert"]);
                        var ps = PermissionSetRef(e, path, "permissionSet", permissionSets);
                        var account = RequiredString(e, path, "account");
                        if (account is not null && !AccountId().IsMatch(account)) { Problem($"{path}.account", $"'{account}' is not a 12-digit AWS account id"); account = null; }
                        var (source, name) = ("sso.amazonaws.com", "GetRoleCredentials");
                        if (call)
                        {
                            var text = OptionalString(e, path, "call") ?? "s3:ListBuckets";
                            if (!CallName().IsMatch(text)) Problem($"{path}.call", $"'{text}' is not an AWS action; write it as service:Action, like s3:ListBuckets");
                            else (source, name) = (text[..text.IndexOf(':', StringComparison.Ordinal)] + ".amazonaws.com", text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..]);
                        }

                        var error = OptionalString(e, path, "error");
                        if (error is not null && !ErrorCode().IsMatch(error)) Problem($"{path}.error", $"'{error}' is not an AWS error code, like AccessDenied");
                        var beforeFence = false;
                        if (e["beforeFence"] is { } bf)
                        {
                            if (bf is JsonValue bv && bv.TryGetValue<bool>(out var b)) beforeFence = b;
                            else Problem($"{path}.beforeFence", "must be true or false");
                        }

                        TimeSpan? issued = null;
                        if (e.ContainsKey("sessionIssued"))
                        {
                            issued = RequiredDuration(e, path, "sessionIssued");
                            if (issued is { } si && at is { } when && si > when) Problem($"{path}.sessionIssued", "is after the call; a session is issued before it is used");
                        }

                        var expect = OptionalString(e, path, "expectAlert");
                        if (expect is not null && !AlertExpectations.Contains(expect))
                            Problem($"{path}.expectAlert", $"'{expect}' is not one of {string.Join(", ", AlertExpectations)}");
                        if (at is not null && user is not null && ps is not null && account is not null)
                        {
                            list.Add(new ScenarioEvent
                            {
                                Index = i, At = at.Value, Kind = kind.Value, User = user, PermissionSet = ps, Account = account,
                                EventSource = source, EventName = name, Error = error, BeforeFence = beforeFence, SessionIssued = issued, ExpectAlert = expect,
                            });
                        }

                        break;
                    }
                }
            }

            return list;
        }

        private List<ScenarioExpectation> ReadExpectations(JsonObject o, List<ScenarioUser> users, List<ScenarioGroup> groups, List<ScenarioPermissionSet> permissionSets)
        {
            var list = new List<ScenarioExpectation>();
            var index = 0;
            foreach (var (item, path) in Items(o, "$", "expect", required: false))
            {
                var i = index++;
                if (item is not JsonObject e) { Problem(path, "must be an object with outcome"); continue; }
                var kind = RequiredString(e, path, "outcome") switch
                {
                    null => (ExpectationKind?)null,
                    "access-granted" => ExpectationKind.AccessGranted,
                    "access-removed" => ExpectationKind.AccessRemoved,
                    "sessions-fenced" => ExpectationKind.SessionsFenced,
                    "customer-policy-kept" => ExpectationKind.CustomerPolicyKept,
                    var other => UnknownExpectation($"{path}.outcome", other),
                };
                switch (kind)
                {
                    case null:
                        break;
                    case ExpectationKind.AccessGranted:
                    case ExpectationKind.AccessRemoved:
                    {
                        var removed = kind == ExpectationKind.AccessRemoved;
                        Known(e, path, removed ? ["outcome", "user", "group", "reason"] : ["outcome", "user", "group"]);
                        var user = UserRef(e, path, users);
                        var group = GroupRef(e, path, groups);
                        var reason = removed ? OptionalString(e, path, "reason") : null;
                        if (reason is not null && reason is not ("expired" or "deactivated"))
                            Problem($"{path}.reason", $"'{reason}' is not expired or deactivated");
                        if (user is not null && group is not null) list.Add(new ScenarioExpectation(i, kind.Value, user, group, null, reason));
                        break;
                    }

                    case ExpectationKind.SessionsFenced:
                    {
                        Known(e, path, "outcome", "user", "permissionSet");
                        var user = UserRef(e, path, users);
                        var ps = PermissionSetRef(e, path, "permissionSet", permissionSets);
                        if (user is not null && ps is not null) list.Add(new ScenarioExpectation(i, kind.Value, user, null, ps, null));
                        break;
                    }

                    case ExpectationKind.CustomerPolicyKept:
                    {
                        Known(e, path, "outcome", "permissionSet");
                        var ps = PermissionSetRef(e, path, "permissionSet", permissionSets);
                        if (ps is not null && permissionSets.First(p => p.Name == ps).CustomerPolicy is null)
                            Problem($"{path}.permissionSet", $"'{ps}' has no customerPolicy to keep; give it one in permissionSets");
                        else if (ps is not null)
                            list.Add(new ScenarioExpectation(i, kind.Value, null, null, ps, null));
                        break;
                    }
                }
            }

            return list;
        }

        /// <summary>
        /// Inserts PIM's expiries and checks what only the whole timeline shows: a deactivation needs an active
        /// activation, an activation must not overlap the user's active one in the same group, and a beforeFence call
        /// needs the user's fenced access to that permission set and account to have ended at or before it.
        /// </summary>
        private List<ScenarioEvent> Plan(List<ScenarioEvent> timeline, List<ScenarioGroup> groups)
        {
            var steps = new List<ScenarioEvent>();
            var active = new Dictionary<(string User, string Group), ScenarioEvent>();
            var ends = new List<(ScenarioEvent Activation, TimeSpan At)>();

            void ExpireUntil(TimeSpan at, bool inclusive)
            {
                foreach (var (key, activation) in active.Where(a => inclusive ? a.Value.At + a.Value.For!.Value <= at : a.Value.At + a.Value.For!.Value < at)
                             .OrderBy(a => a.Value.At + a.Value.For!.Value).ToList())
                {
                    var end = activation.At + activation.For!.Value;
                    steps.Add(new ScenarioEvent { Index = -1, At = end, Kind = ScenarioEventKind.Expire, User = key.User, Group = key.Group, Activation = activation });
                    ends.Add((activation, end));
                    active.Remove(key);
                }
            }

            foreach (var e in timeline)
            {
                ExpireUntil(e.At, inclusive: true); // an expiry happens before anything else at the same time
                var path = $"$.timeline[{e.Index}]";
                switch (e.Kind)
                {
                    case ScenarioEventKind.Activate:
                        if (active.ContainsKey((e.User, e.Group!)))
                            Problem(path, $"{e.User} is already active in {e.Group} at {Show(e.At)}; PIM has one activation per user and group at a time");
                        else
                            active[(e.User, e.Group!)] = e;
                        break;
                    case ScenarioEventKind.Deactivate:
                        if (!active.Remove((e.User, e.Group!), out var started))
                            Problem(path, $"{e.User} has no active activation in {e.Group} at {Show(e.At)} to deactivate");
                        else
                            ends.Add((started, e.At));
                        break;
                    default:
                        if (e.BeforeFence && !ends.Any(end => end.Activation.User == e.User && groups.First(g => g.Name == end.Activation.Group) is { FenceSessions: true } g && g.Reaches(e.PermissionSet!, e.Account!)))
                            Problem(path, $"beforeFence needs {e.User}'s fenced access to {e.PermissionSet} in {e.Account} to have ended (expired or deactivated) at or before {Show(e.At)}");
                        break;
                }

                steps.Add(e);
            }

            ExpireUntil(TimeSpan.MaxValue, inclusive: true);
            return steps;
        }

        // ------------------------------------------------------------ helpers

        private ScenarioEventKind? Unknown(string path, string value, string allowed)
        {
            Problem(path, $"'{value}' is not one of {allowed}");
            return null;
        }

        private ExpectationKind? UnknownExpectation(string path, string value)
        {
            Problem(path, $"'{value}' is not one of access-granted, access-removed, sessions-fenced or customer-policy-kept (alerts are expected with expectAlert on AWS activity)");
            return null;
        }

        private void Known(JsonObject o, string path, params string[] names)
        {
            foreach (var (key, _) in o)
            {
                if (!names.Contains(key, StringComparer.Ordinal))
                    Problem($"{path}.{key}", $"is not a known property here; use {string.Join(", ", names)}");
            }
        }

        private IEnumerable<(JsonNode? Item, string Path)> Items(JsonObject o, string path, string name, bool required)
        {
            var node = o[name];
            if (node is null)
            {
                if (required) Problem($"{path}.{name}", "is required (a non-empty array)");
                yield break;
            }

            if (node is not JsonArray array || (required && array.Count == 0))
            {
                Problem($"{path}.{name}", required ? "must be a non-empty array" : "must be an array");
                yield break;
            }

            for (var i = 0; i < array.Count; i++)
                yield return (array[i], $"{path}.{name}[{i}]");
        }

        private string? RequiredString(JsonObject o, string path, string name)
        {
            var value = OptionalString(o, path, name);
            if (value is null && !o.ContainsKey(name)) Problem($"{path}.{name}", "is required");
            return value;
        }

        private string? OptionalString(JsonObject o, string path, string name)
        {
            if (!o.ContainsKey(name)) return null;
            if (o[name] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s))
                return s.Trim();
            Problem($"{path}.{name}", "must be a non-empty string");
            return null;
        }

        private TimeSpan? RequiredDuration(JsonObject o, string path, string name)
        {
            var text = RequiredString(o, path, name);
            if (text is null) return null;
            if (Duration.TryParse(text, out var value)) return value;
            Problem($"{path}.{name}", $"'{text}' is not a duration; write it like 0m, 90s, 20m, 1h or PT1H");
            return null;
        }

        private List<string> Accounts(JsonObject o, string path)
        {
            var accounts = new List<string>();
            foreach (var (item, apath) in Items(o, path, "accounts", required: true))
            {
                if (item is JsonValue v && v.TryGetValue<string>(out var s) && AccountId().IsMatch(s))
                {
                    if (!accounts.Contains(s)) accounts.Add(s);
                }
                else
                {
                    Problem(apath, "must be a 12-digit AWS account id in quotes");
                }
            }

            return accounts;
        }

        private string? PermissionSetRef(JsonObject o, string path, string name, List<ScenarioPermissionSet> permissionSets)
        {
            var value = RequiredString(o, path, name);
            if (value is not null && permissionSets.All(p => p.Name != value))
            {
                Problem($"{path}.{name}", $"'{value}' is not in permissionSets");
                return null;
            }

            return value;
        }

        private string? UserRef(JsonObject o, string path, List<ScenarioUser> users)
        {
            var value = RequiredString(o, path, "user");
            if (value is not null && users.All(u => u.Name != value))
            {
                Problem($"{path}.user", $"'{value}' is not in users");
                return null;
            }

            return value;
        }

        private string? GroupRef(JsonObject o, string path, List<ScenarioGroup> groups)
        {
            var value = RequiredString(o, path, "group");
            if (value is not null && groups.All(g => g.Name != value))
            {
                Problem($"{path}.group", $"'{value}' is not in groups");
                return null;
            }

            return value;
        }
    }

    /// <summary>Scenario time as the timeline prints it: <c>t+20:00</c>, <c>t+1:05:30</c>.</summary>
    public static string Show(TimeSpan at) =>
        "t+" + (at.TotalHours >= 1
            ? ((int)at.TotalHours).ToString(CultureInfo.InvariantCulture) + at.ToString(@"\:mm\:ss", CultureInfo.InvariantCulture)
            : at.ToString(@"mm\:ss", CultureInfo.InvariantCulture));
}
