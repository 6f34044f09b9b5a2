using System.Globalization;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Domain;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>Keys, attribute values and time formats of the table's items (see the layout on <see cref="DynamoDbStateStore"/>).</summary>
internal static class DynamoDbItems
{
    internal const string GrantType = "grant";
    internal const string LedgerType = "ledger entry";
    internal const string IntentType = "intent";
    internal const string FenceType = "fence";
    internal const string AlertType = "alert";
    internal const string CheckpointType = "checkpoint";
    internal const string AuditType = "audit";
    internal const string AuditHeadType = "audit-head";
    internal const string LeaseType = "lease";

    internal const string AuditPk = "AUDIT";
    internal const string AuditHeadKey = "AUDITHEAD";
    private const string SortableFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    internal static string GrantPk(string id) => "GRANT#" + id;
    internal static string LedgerPk(string key) => "LEDGER#" + key;
    internal static string IntentPk(string id) => "INTENT#" + id;
    internal static string FencePk(string id) => "FENCE#" + id;
    internal static string AlertPk(string id) => "ALERT#" + id;
    internal static string CheckpointPk(string name) => "CHECKPOINT#" + name;
    internal static string LeasePk(string name) => "LEASE#" + name;
    internal static string PendingKey(IntentKind kind, string subject) => $"PENDING#{kind}#{subject}";
    internal static string SeqKey(long seq) => seq.ToString("D20", CultureInfo.InvariantCulture);

    /// <summary>Fixed-width UTC to the tick: lexical order is time order.</summary>
    internal static string Sortable(DateTimeOffset time) => time.UtcDateTime.ToString(SortableFormat, CultureInfo.InvariantCulture);

    internal static string RoundTrip(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseRoundTrip(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    internal static Dictionary<string, AttributeValue> KeyOf(string pk, string sk) => new() { [Pk] = S(pk), [Sk] = S(sk) };

    internal static AttributeValue S(string value) => new() { S = value };

    internal static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    internal static string Text(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.S is { } s
            ? s
            : throw new InvalidDataException($"The DynamoDB item {Describe(item)} lacks the string attribute '{name}'.");

    internal static long ParseLong(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n
            ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"The DynamoDB item {Describe(item)} lacks the number attribute '{name}'.");

    internal static string Describe(Dictionary<string, AttributeValue> item) =>
        $"{(item.TryGetValue(Pk, out var pk) ? pk.S : "?")}/{(item.TryGetValue(Sk, out var sk) ? sk.S : "?")}";

    internal static Dictionary<string, AttributeValue> AuditAttributes(AuditEntry entry) => new()
    {
        [AuditSeq] = N(entry.Seq),
        [AuditAt] = S(RoundTrip(entry.At)),
        [AuditKind] = S(entry.Kind),
        [AuditSubject] = S(entry.Subject),
        [AuditData] = S(entry.Data),
        [AuditPrevHash] = S(entry.PrevHash),
        [AuditHash] = S(entry.Hash),
    };

    internal static AuditEntry ReadAuditEntry(Dictionary<string, AttributeValue> item) => new(
        ParseLong(item, AuditSeq),
        ParseRoundTrip(Text(item, AuditAt)),
        Text(item, AuditKind),
        Text(item, AuditSubject),
        Text(item, AuditData),
        Text(item, AuditPrevHash),
        Text(item, AuditHash));
}
