using System.Globalization;
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
        return Statements(policy).Any(s => BlocksAll(s, session));
    }

    /// <summary>The statements that are not PimBridge's, as written (for "customer statements preserved").</summary>
    public static IReadOnlyList<JsonNode> CustomerStatements(string? policy) =>
        string.IsNullOrWhiteSpace(policy) ? [] : Statements(policy).Where(s => !(Sid(s)?.StartsWith(PimBridgeSidPrefix, StringComparison.Ordinal) ?? false)).Select(s => s.DeepClone()).ToList();

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

    private static bool BlocksAll(JsonObject statement, SessionContext session)
    {
        if (!string.Equals(statement["Effect"]?.GetValue<string>(), "Deny", StringComparison.Ordinal)) return false;
        if (statement.ContainsKey("NotAction") || statement.ContainsKey("NotResource") || statement.ContainsKey("Principal")) return false;
        if (!Values(statement["Action"]).Contains("*") || !Values(statement["Resource"]).Contains("*")) return false;
        if (statement["Condition"] is not JsonObject conditions) return true;
        foreach (var (op, block) in conditions)
        {
            foreach (var (key, expected) in block!.AsObject())
            {
                if (!Holds(op, Lookup(key, session), Values(expected)))
                    return false;
            }
        }

        return true;
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
