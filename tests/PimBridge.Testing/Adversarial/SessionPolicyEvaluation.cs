using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PimBridge.Testing.Adversarial;

/// <summary>One role session as IAM sees it when it makes a call: who, in which account, since when its token exists.</summary>
public sealed record SessionContext(string UserId, string AccountId, DateTimeOffset TokenIssueTime);

/// <summary>
/// Whether an inline policy blocks a session outright, written from the IAM policy reference and Identity Center's
/// revocation pages (see ../shared/reference/session-revocation.md), not from PimBridge's <c>FencePolicy</c>:
/// <list type="bullet">
/// <item>a Deny statement blocks the session when it covers every action and resource (<c>"*"</c>) and every one of
/// its conditions holds: condition blocks and keys are ANDed, a key's values are ORed;</item>
/// <item>condition key names are case-insensitive; <c>StringEquals</c> values are case-sensitive;</item>
/// <item>the request carries <c>identitystore:userId</c>, <c>aws:PrincipalAccount</c> and <c>aws:TokenIssueTime</c>;
/// a condition on a key the request lacks does not hold (unless its operator ends in <c>IfExists</c>);</item>
/// <item>an operator the evaluation does not know fails the test: the oracle must never guess.</item>
/// </list>
/// </summary>
public static class SessionPolicyEvaluation
{
    /// <summary>Sids PimBridge's own statements carry (docs/engine.md); everything else is the customer's.</summary>
    public const string PimBridgeSidPrefix = "PimBridgeFence";

    public static bool Blocks(string? policy, SessionContext session)
    {
        if (string.IsNullOrWhiteSpace(policy)) return false;
        return DenyAllRules.GetValue(policy, Compile).Any(rule => rule.All(c => Holds(c.Operator, Lookup(c.Key, session), c.Values)));
    }

    /// <summary>The statements that are not PimBridge's, as written (for "customer statements preserved"); read-only, shared per policy text.</summary>
    public static IReadOnlyList<JsonNode> CustomerStatements(string? policy) =>
        string.IsNullOrWhiteSpace(policy) ? [] : CustomerStatementsOf.GetValue(policy, p =>
            Statements(p).Where(s => !(Sid(s)?.StartsWith(PimBridgeSidPrefix, StringComparison.Ordinal) ?? false)).ToList<JsonNode>());

    private static readonly ConditionalWeakTable<string, IReadOnlyList<JsonNode>> CustomerStatementsOf = new();

    private sealed record Condition(string Operator, string Key, IReadOnlyList<string> Values);

    /// <summary>
    /// A policy's deny-everything statements, each as the conditions that must all hold, read once per policy text
    /// (the oracle judges thousands of sessions against the same few documents).
    /// </summary>
    private static readonly ConditionalWeakTable<string, IReadOnlyList<IReadOnlyList<Condition>>> DenyAllRules = new();

    private static IReadOnlyList<IReadOnlyList<Condition>> Compile(string policy)
    {
        var rules = new List<IReadOnlyList<Condition>>();
        foreach (var statement in Statements(policy))
        {
            if (!string.Equals(statement["Effect"]?.GetValue<string>(), "Deny", StringComparison.Ordinal)) continue;
            if (statement.ContainsKey("NotAction") || statement.ContainsKey("NotResource") || statement.ContainsKey("Principal")) continue;
            if (!Values(statement["Action"]).Contains("*") || !Values(statement["Resource"]).Contains("*")) continue;
            var conditions = new List<Condition>();
            if (statement["Condition"] is JsonObject blocks)
            {
                foreach (var (op, block) in blocks)
                {
                    foreach (var (key, expected) in block!.AsObject())
                        conditions.Add(new Condition(op, key, Values(expected)));
                }
            }

            rules.Add(conditions);
        }

        return rules;
    }

    private static string? Sid(JsonObject statement) => statement["Sid"] is JsonValue v && v.TryGetValue<string>(out var sid) ? sid : null;

    private static IEnumerable<JsonObject> Statements(string policy)
    {
        var node = JsonNode.Parse(policy)?["Statement"];
        return node switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject single => [single],
            _ => [],
        };
    }

    private static string? Lookup(string key, SessionContext session) => key.ToLowerInvariant() switch
    {
        "identitystore:userid" => session.UserId,
        "aws:principalaccount" => session.AccountId,
        "aws:tokenissuetime" => session.TokenIssueTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        _ => null,
    };

    private static bool Holds(string op, string? actual, IReadOnlyList<string> expected)
    {
        var ifExists = op.EndsWith("IfExists", StringComparison.Ordinal);
        var name = ifExists ? op[..^"IfExists".Length] : op;
        if (actual is null) return ifExists;
        return name switch
        {
            "StringEquals" => expected.Contains(actual, StringComparer.Ordinal),
            "StringNotEquals" => !expected.Contains(actual, StringComparer.Ordinal),
            "StringEqualsIgnoreCase" => expected.Contains(actual, StringComparer.OrdinalIgnoreCase),
            "StringLike" => expected.Any(e => Regex.IsMatch(actual, "^" + Regex.Escape(e).Replace("\\*", ".*").Replace("\\?", ".") + "$")),
            "DateLessThan" => expected.Any(e => Date(actual) < Date(e)),
            "DateLessThanEquals" => expected.Any(e => Date(actual) <= Date(e)),
            "DateGreaterThan" => expected.Any(e => Date(actual) > Date(e)),
            "DateGreaterThanEquals" => expected.Any(e => Date(actual) >= Date(e)),
            _ => throw new InvalidOperationException($"The oracle does not evaluate the condition operator {op}."),
        };
    }

    private static DateTimeOffset Date(string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch)
            : DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static IReadOnlyList<string> Values(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => array.Select(v => v!.ToString()).ToList(),
        _ => [node.ToString()],
    };
}
