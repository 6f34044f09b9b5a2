using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Fences;

/// <summary>
/// Writes session fences into a permission set's inline policy. Statements PimBridge owns carry a Sid starting with
/// <see cref="SidPrefix"/>; every other statement and top-level member is kept as the customer wrote it. Fences with
/// the same cutoff and accounts share one statement, and the document stays within IAM Identity Center's limits:
/// fences that do not fit are reported, never silently dropped. Customer JSON is carried as text, never re-encoded: see
/// <see cref="AsWritten"/>.
/// </summary>
public static class FencePolicy
{
    public const string SidPrefix = "PimBridgeFence";
    public const int MaxNonWhitespace = 10_240;
    public const int MaxLength = 32_768;

    // A policy with a repeated key is ambiguous (which Statement would we rewrite?), so it is refused, not guessed at.
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>A policy taken apart as written: its top-level members before and after Statement, and the customer's statements.</summary>
    private sealed record Parts(IReadOnlyList<string> Before, IReadOnlyList<string> After, IReadOnlyList<string> Customer);

    /// <param name="permissionSetArn">For error messages.</param>
    /// <param name="current">The inline policy now, or null.</param>
    /// <param name="fences">The fences that should be in force, in priority order (earlier ones win capacity).</param>
    public static FencePolicyResult Merge(string permissionSetArn, string? current, IReadOnlyList<SessionFence> fences, int maxNonWhitespace = MaxNonWhitespace)
    {
        var parts = Parse(permissionSetArn, current);

        var groups = new List<(string Key, DateTimeOffset Cutoff, IReadOnlyList<string> Accounts, SortedSet<string> Users)>();
        var written = new List<string>();
        var overflow = new List<string>();
        string? text = Render(parts, groups);
        foreach (var fence in fences)
        {
            var accounts = fence.Accounts.Distinct().Order(StringComparer.Ordinal).ToList();
            var key = $"{Iso(fence.Cutoff)}|{string.Join(',', accounts)}";
            var index = groups.FindIndex(g => g.Key == key);
            var added = index < 0;
            if (added) groups.Add((key, fence.Cutoff, accounts, new SortedSet<string>(StringComparer.Ordinal)));
            var users = groups[index < 0 ? groups.Count - 1 : index].Users;
            var newUser = users.Add(fence.UserId);

            var candidate = Render(parts, groups);
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

        return new FencePolicyResult(text, written, overflow, Room(text, maxNonWhitespace));
    }

    /// <summary>
    /// Whether a fence could still fit into a policy with <paramref name="room"/> characters left. None adds less than its
    /// user id to the statement of its cutoff and accounts: the id, two quotes and a comma.
    /// </summary>
    public static bool MightFit(SessionFence fence, int room) => room >= fence.UserId.Length + 3;

    /// <summary>How many characters more the policy could take: the tighter of IAM's two limits.</summary>
    private static int Room(string? policy, int maxNonWhitespace) =>
        policy is null ? maxNonWhitespace : Math.Min(maxNonWhitespace - policy.Count(c => !char.IsWhiteSpace(c)), MaxLength - policy.Length);

    /// <summary>
    /// True when both are absent, or both are JSON documents with equal content. Equal content, not equal text: an escape
    /// and its character mean the same to IAM, so a policy is never rewritten only to change how it is written.
    /// </summary>
    public static bool AreEquivalent(string? a, string? b)
    {
        if (string.IsNullOrWhiteSpace(a) || string.IsNullOrWhiteSpace(b))
            return string.IsNullOrWhiteSpace(a) && string.IsNullOrWhiteSpace(b);
        try
        {
            using var left = JsonDocument.Parse(a, Strict);
            using var right = JsonDocument.Parse(b, Strict);
            return JsonElement.DeepEquals(left.RootElement, right.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The statements of a policy that are not PimBridge's, as written (for checks that customer content survived).</summary>
    public static IReadOnlyList<JsonNode?> CustomerStatements(string? policy) =>
        Parse("policy", policy).Customer.Select(s => JsonNode.Parse(s)).ToList();

    /// <summary>
    /// Whether the policy carries the fence: a statement with its Sid that is exactly what PimBridge writes for its
    /// cutoff and accounts, and names its user. False for a policy that cannot be read.
    /// </summary>
    public static bool Carries(string? policy, SessionFence fence)
    {
        if (string.IsNullOrWhiteSpace(policy)) return false;
        var accounts = fence.Accounts.Distinct().Order(StringComparer.Ordinal).ToList();
        var sid = Sid(fence.Cutoff, accounts);
        try
        {
            using var document = JsonDocument.Parse(policy, Strict);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("Statement", out var statements)
                || statements.ValueKind != JsonValueKind.Array)
                return false;
            foreach (var statement in statements.EnumerateArray())
            {
                if (!IsOurs(statement) || statement.GetProperty("Sid").GetString() != sid) continue;
                var users = Users(statement);
                if (users is null || !users.Contains(fence.UserId)) return false;
                using var expected = JsonDocument.Parse(Statement(fence.Cutoff, accounts, users).ToJsonString());
                return JsonElement.DeepEquals(statement, expected.RootElement);
            }
        }
        catch (JsonException)
        {
        }

        return false;

        static List<string>? Users(JsonElement statement) =>
            statement.TryGetProperty("Condition", out var condition) && condition.ValueKind == JsonValueKind.Object
            && condition.TryGetProperty("StringEquals", out var equals) && equals.ValueKind == JsonValueKind.Object
            && equals.TryGetProperty("identitystore:userId", out var users)
                ? users.ValueKind switch
                {
                    JsonValueKind.String => [users.GetString()!],
                    JsonValueKind.Array when users.EnumerateArray().All(u => u.ValueKind == JsonValueKind.String) => users.EnumerateArray().Select(u => u.GetString()!).ToList(),
                    _ => null,
                }
                : null;
    }

    /// <summary>The Sid of the statement for fences with this cutoff and these accounts: alphanumeric, deterministic.</summary>
    public static string Sid(DateTimeOffset cutoff, IEnumerable<string> accounts)
    {
        var key = $"{Iso(cutoff)}|{string.Join(',', accounts.Distinct().Order(StringComparer.Ordinal))}";
        return SidPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
    }

    public static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool IsOurs(JsonElement statement) =>
        statement.ValueKind == JsonValueKind.Object && statement.TryGetProperty("Sid", out var sid) && sid.ValueKind == JsonValueKind.String
        && sid.GetString()!.StartsWith(SidPrefix, StringComparison.Ordinal);

    private static Parts Parse(string permissionSetArn, string? policy)
    {
        if (string.IsNullOrWhiteSpace(policy))
            return new Parts(["\"Version\":\"2012-10-17\""], [], []);
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(policy, Strict);
        }
        catch (JsonException ex)
        {
            throw new UnreadablePolicyException(permissionSetArn, $"not JSON: {ex.Message}");
        }

        using var document = parsed;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new UnreadablePolicyException(permissionSetArn, "not a JSON object");
        List<string> before = [], after = [];
        List<string>? customer = null;
        foreach (var member in document.RootElement.EnumerateObject())
        {
            if (!member.NameEquals("Statement"))
            {
                // JsonProperty.ToString is the member's un-interpreted text, from the name's open quote to the value's end.
                (customer is null ? before : after).Add(AsWritten(member.ToString()));
                continue;
            }

            var statement = member.Value;
            customer = statement.ValueKind switch
            {
                JsonValueKind.Array => statement.EnumerateArray().Where(s => !IsOurs(s)).Select(s => AsWritten(s.GetRawText())).ToList(),
                JsonValueKind.Object => IsOurs(statement) ? [] : [AsWritten(statement.GetRawText())], // IAM allows a lone statement object; normalise to an array
                JsonValueKind.Null => [],
                _ => throw new UnreadablePolicyException(permissionSetArn, "its Statement is neither an object nor an array"),
            };
        }

        return new Parts(before, after, customer ?? []);
    }

    /// <summary>
    /// JSON text exactly as the customer wrote it, less the whitespace between tokens. It is never decoded and re-encoded:
    /// an encoder changes what was written and its length (a relaxed one turns <c>\u6f22</c> into a character AWS
    /// refuses, so every fence looked like it did not fit; the default one turns <c>&lt;</c> into six characters). The one
    /// change: a literal character beyond Latin-1, which AWS refuses and so should never return, becomes the
    /// <c>\uXXXX</c> escape AWS accepts; it means the same, and the fences can still be written.
    /// </summary>
    private static string AsWritten(string json)
    {
        var text = new StringBuilder(json.Length);
        bool inString = false, escaped = false;
        foreach (var c in json)
        {
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
            }
            else if (c is ' ' or '\t' or '\n' or '\r')
            {
                continue; // the only whitespace JSON allows between tokens
            }
            else if (c == '"')
            {
                inString = true;
            }

            if (c > '\u00FF') text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); // JSON allows it only inside a string
            else text.Append(c);
        }

        return text.ToString();
    }

    /// <summary>
    /// The minified document with these fence groups, or null when it would hold no statement at all (delete the policy).
    /// Our statements use the default encoder, whose output is ASCII; the customer's text is used as it is.
    /// </summary>
    private static string? Render(Parts parts, List<(string Key, DateTimeOffset Cutoff, IReadOnlyList<string> Accounts, SortedSet<string> Users)> groups)
    {
        var statements = parts.Customer
            .Concat(groups.Where(g => g.Users.Count > 0).Select(g => Statement(g.Cutoff, g.Accounts, g.Users).ToJsonString()))
            .ToList();
        if (statements.Count == 0)
            return null;
        var members = parts.Before.Append($"\"Statement\":[{string.Join(',', statements)}]").Concat(parts.After);
        return "{" + string.Join(',', members) + "}";
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
        // Only size: the text is Latin-1 by construction (AsWritten), and a character check here would report a bad
        // character as "capacity exhausted". InlinePolicyRules.Validate checks the characters again before sending.
        if (policy.Length > MaxLength) return false;
        var count = 0;
        foreach (var c in policy)
        {
            if (!char.IsWhiteSpace(c) && ++count > maxNonWhitespace) return false;
        }

        return true;
    }
}
