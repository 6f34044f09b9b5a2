using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Scanning;

/// <summary>
/// Grants given by hand for <c>pimbridge scan --grants</c>: an investigator's list of who lost which access when, for
/// when there is no PimBridge state to read them from. A JSON array of
/// <c>{ "user", "userId"?, "permissionSet" | "permissionSets", "accounts", "end", "fencedAt"?, "removedAt"?, "regrantedAt"?, "until"?, "grant"? }</c>
/// (docs/cli.md), turned into one <see cref="GapWatchWindow"/> per permission set. Every mistake is reported with the
/// entry's index and field and what to write instead, because a scan against a mistyped grant silently finds nothing.
/// </summary>
internal static partial class GrantsFile
{
    /// <summary>The longest session a permission set can issue: without an <c>until</c>, sessions issued before the end can act this long after it.</summary>
    public static readonly TimeSpan MaxSessionDuration = TimeSpan.FromHours(12);

    private static readonly string[] Fields = ["user", "userId", "permissionSet", "permissionSets", "accounts", "end", "fencedAt", "removedAt", "regrantedAt", "until", "grant"];

    private const string TimeExample = "\"2026-11-20T14:00:00Z\"";

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="CliInputException">The file cannot be read, is not JSON, or an entry is invalid.</exception>
    public static async Task<IReadOnlyList<GapWatchWindow>> ReadAsync(string path, TimeSpan deliveryLag, CancellationToken cancellationToken = default)
    {
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var why = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"could not be read ({e.Message})";
            throw new CliInputException($"The grants file '{path}' {why}; give the path of a JSON file listing the grants to check (see docs/cli.md).", e);
        }

        return Parse(content, path, deliveryLag);
    }

    /// <summary>Validates grants file content; <paramref name="name"/> names the file in messages.</summary>
    /// <exception cref="CliInputException">The content is not JSON, or an entry is invalid.</exception>
    public static IReadOnlyList<GapWatchWindow> Parse(ReadOnlySpan<byte> content, string name, TimeSpan deliveryLag)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(content, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new CliInputException($"The grants file '{name}' is not valid JSON{where}; fix the syntax (it must be an array of grants, see docs/cli.md).", e);
        }

        if (root is not JsonArray entries)
            throw new CliInputException($"The grants file '{name}' must hold a JSON array of grants, like [{{\"user\": \"alice@example.com\", \"permissionSet\": \"AdministratorAccess\", \"accounts\": [\"111122223333\"], \"end\": {TimeExample}}}].");
        if (entries.Count == 0)
            throw new CliInputException($"The grants file '{name}' lists no grants; add at least one, or scan with --store to use PimBridge's own.");

        var windows = new List<GapWatchWindow>();
        for (var index = 0; index < entries.Count; index++)
            windows.AddRange(new Entry(name, index, entries[index], deliveryLag).Windows());
        return windows;
    }

    /// <summary>One array element being validated; its errors carry the file, the index and the field.</summary>
    private sealed class Entry(string file, int index, JsonNode? node, TimeSpan deliveryLag)
    {
        private string? _user;

        public IReadOnlyList<GapWatchWindow> Windows()
        {
            if (node is not JsonObject entry)
                throw Invalid(null, $"is {Describe(node)}, not an object; write each grant as {{\"user\": ..., \"permissionSet\": ..., \"accounts\": [...], \"end\": ...}}.");

            foreach (var (key, _) in entry)
            {
                if (Array.IndexOf(Fields, key) >= 0) continue;
                var near = Fields.FirstOrDefault(f => string.Equals(f, key, StringComparison.OrdinalIgnoreCase));
                throw Invalid(key, near is not null
                    ? $"is not a field; field names are case-sensitive: write \"{near}\"."
                    : $"is not a field; the fields are {string.Join(", ", Fields)}.");
            }

            _user = RequiredText(entry, "user", "the Identity Center user name, e.g. \"alice@example.com\"");
            var userId = OptionalText(entry, "userId");
            var permissionSets = PermissionSets(entry);
            var accounts = Accounts(entry);
            var end = RequiredTime(entry, "end");
            var fencedAt = OptionalTime(entry, "fencedAt");
            var removedAt = OptionalTime(entry, "removedAt");
            var until = OptionalTime(entry, "until");
            var regrantedAt = OptionalTime(entry, "regrantedAt");
            var grant = OptionalText(entry, "grant") ?? $"{_user}/{Formats.Time(end)}";

            if (fencedAt < end)
                throw Invalid("fencedAt", $"{Formats.Time(fencedAt.Value)} is before \"end\" ({Formats.Time(end)}); a session fence is confirmed after the grant ends. Fix the time or leave it out.");
            if (removedAt < end)
                throw Invalid("removedAt", $"{Formats.Time(removedAt.Value)} is before \"end\" ({Formats.Time(end)}); access is removed after the grant ends. Fix the time or leave it out.");
            if (regrantedAt <= end)
                throw Invalid("regrantedAt", $"{Formats.Time(regrantedAt.Value)} is not after \"end\" ({Formats.Time(end)}); give when the same access was granted again, or leave it out.");
            if (until <= end)
                throw Invalid("until", $"{Formats.Time(until.Value)} is not after \"end\" ({Formats.Time(end)}); give when to stop watching, or leave it out for end + 12h + the delivery lag.");

            var watchUntil = until ?? end + MaxSessionDuration + deliveryLag;
            return permissionSets
                .Select(permissionSet => new GapWatchWindow(grant, userId ?? "", _user, PermissionSetArn: "", permissionSet, accounts, end, watchUntil, FenceId: null, fencedAt, removedAt) { RegrantedAt = regrantedAt })
                .ToList();
        }

        private List<string> PermissionSets(JsonObject entry)
        {
            var hasOne = entry.ContainsKey("permissionSet");
            var hasMany = entry.ContainsKey("permissionSets");
            if (hasOne && hasMany)
                throw Invalid("permissionSets", "is given together with \"permissionSet\"; give one of them.");
            if (hasOne)
                return [PermissionSetName(entry["permissionSet"], "permissionSet")];
            if (!hasMany)
                throw Invalid("permissionSet", "is missing; give the permission set name as CloudTrail shows it, e.g. \"permissionSet\": \"AdministratorAccess\" (or \"permissionSets\": [...]).");
            if (entry["permissionSets"] is not JsonArray names)
                throw Invalid("permissionSets", $"is {Describe(entry["permissionSets"])}; give an array of permission set names, e.g. [\"AdministratorAccess\"].");
            if (names.Count == 0)
                throw Invalid("permissionSets", "is empty; give at least one permission set name, e.g. [\"AdministratorAccess\"].");
            return names.Select((n, i) => PermissionSetName(n, $"permissionSets[{i}]")).Distinct(StringComparer.Ordinal).ToList();
        }

        private string PermissionSetName(JsonNode? value, string field)
        {
            var name = TextOf(value, field, "a permission set name, e.g. \"AdministratorAccess\"");
            if (TrailRecord.PermissionSetNameOf(name) is { } inner)
                throw Invalid(field, $"\"{name}\" is a role name; give the permission set's name, \"{inner}\".");
            if (!PermissionSetPattern().IsMatch(name))
                throw Invalid(field, $"\"{name}\" is not a permission set name (1 to 32 letters, digits and +=,.@_-).");
            return name;
        }

        private List<string> Accounts(JsonObject entry)
        {
            if (!entry.TryGetPropertyValue("accounts", out var value) || value is null)
                throw Invalid("accounts", "is missing; give the AWS accounts the grant covered, e.g. \"accounts\": [\"111122223333\"].");
            if (value is not JsonArray accounts)
                throw Invalid("accounts", $"is {Describe(value)}; give an array of 12-digit account ids, e.g. [\"111122223333\"].");
            if (accounts.Count == 0)
                throw Invalid("accounts", "is empty; give at least one 12-digit account id, e.g. [\"111122223333\"].");
            var ids = new List<string>();
            for (var i = 0; i < accounts.Count; i++)
            {
                var field = $"accounts[{i}]";
                if (accounts[i] is JsonValue number && number.GetValueKind() == JsonValueKind.Number)
                    throw Invalid(field, $"{number.ToJsonString()} is a number; write account ids as quoted strings (a number loses leading zeros), e.g. \"011122223333\".");
                var id = TextOf(accounts[i], field, "a 12-digit account id");
                if (!AccountPattern().IsMatch(id))
                    throw Invalid(field, $"\"{id}\" is not a 12-digit AWS account id; write it as 12 digits, e.g. \"111122223333\".");
                if (!ids.Contains(id)) ids.Add(id);
            }

            return ids;
        }

        private string RequiredText(JsonObject entry, string field, string what)
        {
            if (!entry.TryGetPropertyValue(field, out var value) || value is null)
                throw Invalid(field, $"is missing; give {what}.");
            return TextOf(value, field, what);
        }

        private string? OptionalText(JsonObject entry, string field) =>
            entry.TryGetPropertyValue(field, out var value) && value is not null ? TextOf(value, field, "a non-empty string") : null;

        private string TextOf(JsonNode? value, string field, string what)
        {
            if (value is not JsonValue scalar || scalar.GetValueKind() != JsonValueKind.String)
                throw Invalid(field, $"is {Describe(value)}; give {what}, as a string.");
            var text = scalar.GetValue<string>();
            if (string.IsNullOrWhiteSpace(text))
                throw Invalid(field, $"is empty; give {what}.");
            return text.Trim();
        }

        private DateTimeOffset RequiredTime(JsonObject entry, string field)
        {
            if (!entry.TryGetPropertyValue(field, out var value) || value is null)
                throw Invalid(field, $"is missing; give when the PIM activation ended, in UTC, e.g. {TimeExample}.");
            return TimeOf(value, field);
        }

        private DateTimeOffset? OptionalTime(JsonObject entry, string field) =>
            entry.TryGetPropertyValue(field, out var value) && value is not null ? TimeOf(value, field) : null;

        private DateTimeOffset TimeOf(JsonNode value, string field)
        {
            var text = TextOf(value, field, $"an ISO 8601 time with a zone, e.g. {TimeExample}");
            if (!TimePattern().IsMatch(text)
                || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var time))
                throw Invalid(field, $"\"{text}\" is not an ISO 8601 time with a zone; write it like {TimeExample} (Z for UTC, or an offset such as +10:00).");
            return time;
        }

        private CliInputException Invalid(string? field, string problem)
        {
            var who = _user is null ? "" : $" ({_user})";
            var what = field is null ? "" : $", field \"{field}\"";
            return new CliInputException($"The grants file '{file}' is invalid at entry [{index}]{who}{what}: {problem}");
        }

        private static string Describe(JsonNode? value) => value switch
        {
            null => "null",
            JsonArray => "an array",
            JsonObject => "an object",
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.String => $"the string {v.ToJsonString()}",
                JsonValueKind.Number => $"the number {v.ToJsonString()}",
                JsonValueKind.True or JsonValueKind.False => $"{v.ToJsonString()}",
                _ => v.ToJsonString(),
            },
            _ => value.ToJsonString(),
        };
    }

    [GeneratedRegex(@"^[0-9]{12}$")]
    private static partial Regex AccountPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@-]{1,32}$")]
    private static partial Regex PermissionSetPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})$")]
    private static partial Regex TimePattern();
}
