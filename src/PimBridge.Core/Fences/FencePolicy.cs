using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PimBridge.Core;

/// <summary>The inline policy to write for a permission set's fences, and which fences did not fit.</summary>
public sealed record FencePolicyResult(string? Policy, IReadOnlyList<string> Written, IReadOnlyList<string> Overflow);

/// <summary>The customer's inline policy cannot be read, so PimBridge will not touch it.</summary>
public sealed class UnreadablePolicyException(string permissionSetArn, string reason)
    : Exception($"The inline policy of {permissionSetArn} is not a policy PimBridge can merge into ({reason}); fix or remove it in IAM Identity Center. No fence was written.");

/// <summary>
/// Writes session fences into a permission set's inline policy. Statements PimBridge owns carry a Sid starting with
/// <see cref="SidPrefix"/>; every other statement and top-level member is kept as the customer wrote it. Fences with
/// the same cutoff and accounts share one statement, and the document stays within IAM Identity Center's limits:
/// fences that do not fit are reported, never silently dropped.
/// </summary>
public static class FencePolicy
{
    public const string SidPrefix = "PimBridgeFence";
    public const int MaxNonWhitespace = 10_240;
    public const int MaxLength = 32_768;

    private static readonly JsonSerializerOptions Minified = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="permissionSetArn">For error messages.</param>
    /// <param name="current">The inline policy now, or null.</param>
    /// <param name="fences">The fences that should be in force, in priority order (earlier ones win capacity).</param>
    public static FencePolicyResult Merge(string permissionSetArn, string? current, IReadOnlyList<SessionFence> fences, int maxNonWhitespace = MaxNonWhitespace)
    {
        var document = Parse(permissionSetArn, current);
        var customer = ((JsonArray)document["Statement"]!).Where(s => !IsOurs(s)).Select(s => s!.DeepClone()).ToList();

        var groups = new List<(string Key, DateTimeOffset Cutoff, IReadOnlyList<string> Accounts, SortedSet<string> Users)>();
        var written = new List<string>();
        var overflow = new List<string>();
        string? text = Render(document, customer, groups);
        foreach (var fence in fences)
        {
            var accounts = fence.Accounts.Distinct().Order(StringComparer.Ordinal).ToList();
            var key = $"{Iso(fence.Cutoff)}|{string.Join(',', accounts)}";
            var index = groups.FindIndex(g => g.Key == key);
            var added = index < 0;
            if (added) groups.Add((key, fence.Cutoff, accounts, new SortedSet<string>(StringComparer.Ordinal)));
            var users = groups[index < 0 ? groups.Count - 1 : index].Users;
            var newUser = users.Add(fence.UserId);

            var candidate = Render(document, customer, groups);
            if (candidate is not null && Fits(candidate, maxNonWhitespace))
            {
                text = candidate;
                written.Add(fence.Id);
                continue;
            }

            // Undo: the fence stays pending and is reported.
            if (newUser) users.Remove(fence.UserId);
            if (added) groups.RemoveAt(groups.Count - 1);
            overflow.Add(fence.Id);
        }

        return new FencePolicyResult(text, written, overflow);
    }

    /// <summary>True when both are absent, or both are JSON documents with equal content.</summary>
    public static bool AreEquivalent(string? a, string? b)
    {
        if (string.IsNullOrWhiteSpace(a) || string.IsNullOrWhiteSpace(b))
            return string.IsNullOrWhiteSpace(a) && string.IsNullOrWhiteSpace(b);
        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The statements of a policy that are not PimBridge's, as written (for checks that customer content survived).</summary>
    public static IReadOnlyList<JsonNode?> CustomerStatements(string? policy) =>
        string.IsNullOrWhiteSpace(policy) ? [] : ((JsonArray)Parse("policy", policy)["Statement"]!).Where(s => !IsOurs(s)).ToList();

    /// <summary>The Sid of the statement for fences with this cutoff and these accounts: alphanumeric, deterministic.</summary>
    public static string Sid(DateTimeOffset cutoff, IEnumerable<string> accounts)
    {
        var key = $"{Iso(cutoff)}|{string.Join(',', accounts.Distinct().Order(StringComparer.Ordinal))}";
        return SidPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
    }

    public static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool IsOurs(JsonNode? statement) =>
        statement is JsonObject o && o["Sid"] is JsonValue sid && sid.TryGetValue<string>(out var s) && s.StartsWith(SidPrefix, StringComparison.Ordinal);

    private static JsonObject Parse(string permissionSetArn, string? policy)
    {
        if (string.IsNullOrWhiteSpace(policy))
            return new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = new JsonArray() };
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(policy);
        }
        catch (JsonException ex)
        {
            throw new UnreadablePolicyException(permissionSetArn, $"not JSON: {ex.Message}");
        }

        if (node is not JsonObject document)
            throw new UnreadablePolicyException(permissionSetArn, "not a JSON object");
        document = (JsonObject)document.DeepClone();
        switch (document["Statement"])
        {
            case JsonArray:
                break;
            case JsonObject single: // IAM allows a lone statement object; normalise to an array
                document["Statement"] = new JsonArray(single.DeepClone());
                break;
            case null:
                document["Statement"] = new JsonArray();
                break;
            default:
                throw new UnreadablePolicyException(permissionSetArn, "its Statement is neither an object nor an array");
        }

        return document;
    }

    /// <summary>The minified document with these fence groups, or null when it would hold no statement at all (delete the policy).</summary>
    private static string? Render(JsonObject document, List<JsonNode> customer, List<(string Key, DateTimeOffset Cutoff, IReadOnlyList<string> Accounts, SortedSet<string> Users)> groups)
    {
        var statements = new JsonArray();
        foreach (var statement in customer) statements.Add(statement.DeepClone());
        foreach (var group in groups.Where(g => g.Users.Count > 0))
            statements.Add(Statement(group.Cutoff, group.Accounts, group.Users));
        if (statements.Count == 0)
            return null;
        var output = (JsonObject)document.DeepClone();
        output["Statement"] = statements;
        return output.ToJsonString(Minified);
    }

    private static JsonObject Statement(DateTimeOffset cutoff, IReadOnlyList<string> accounts, IReadOnlyCollection<string> users) => new()
    {
        ["Sid"] = Sid(cutoff, accounts),
        ["Effect"] = "Deny",
        ["Action"] = "*",
        ["Resource"] = "*",
        ["Condition"] = new JsonObject
        {
            ["StringEquals"] = new JsonObject
            {
                ["identitystore:userId"] = OneOrMany(users),
                ["aws:PrincipalAccount"] = OneOrMany(accounts),
            },
            ["DateLessThan"] = new JsonObject { ["aws:TokenIssueTime"] = Iso(cutoff) },
        },
    };

    private static JsonNode OneOrMany(IEnumerable<string> values)
    {
        var list = values.ToList();
        return list.Count == 1 ? JsonValue.Create(list[0]) : new JsonArray(list.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
    }

    private static bool Fits(string policy, int maxNonWhitespace)
    {
        if (policy.Length > MaxLength) return false;
        var count = 0;
        foreach (var c in policy)
        {
            if (c > '\u00FF') return false;
            if (!char.IsWhiteSpace(c) && ++count > maxNonWhitespace) return false;
        }

        return true;
    }
}
