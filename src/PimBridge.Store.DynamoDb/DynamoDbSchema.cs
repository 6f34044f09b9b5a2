using PimBridge.Core.Domain;

namespace PimBridge.Store.DynamoDb;

/// <summary>
/// Names of the table's key attributes, indexes and item attributes. The Pulumi deployment mirrors
/// <see cref="DynamoDbStateStore.CreateTableAsync"/>; the layout is documented on <see cref="DynamoDbStateStore"/>.
/// </summary>
public static class DynamoDbSchema
{
    /// <summary>Table partition key (S).</summary>
    public const string Pk = "pk";

    /// <summary>Table sort key (S).</summary>
    public const string Sk = "sk";

    /// <summary>Sparse index of due work: partition <see cref="DueKind"/>, sort <see cref="DueAt"/>. Keys only.</summary>
    public const string DueIndex = "due";

    /// <summary>
    /// Sparse lookup index: partition <see cref="Gsi1Pk"/>, sort <see cref="Gsi1Sk"/>. Projects the keys and
    /// <see cref="SlimGrantAttributes"/>, so reconcile's slim view of active grants is read from the index alone.
    /// </summary>
    public const string LookupIndex = "gsi1";

    /// <summary>Listing index: partition <see cref="Gsi2Pk"/>, sort <see cref="Gsi2Sk"/>. Keys only.</summary>
    public const string ListingIndex = "gsi2";

    public const string DueKind = "due_kind";
    public const string DueAt = "due_at";
    public const string Gsi1Pk = "gsi1pk";
    public const string Gsi1Sk = "gsi1sk";
    public const string Gsi2Pk = "gsi2pk";
    public const string Gsi2Sk = "gsi2sk";

    // The slim view of an Active grant (ActiveGrant), on Active grant items only and projected into the lookup index.
    public const string GrantMapping = "mapping";
    public const string GrantPrincipalId = "principal_id";
    public const string GrantGroupId = "group_id";
    public const string GrantAccess = "access";

    /// <summary>Grant start, round-trip "O" format (offset kept).</summary>
    public const string GrantStart = "start_at";

    /// <summary>Grant end, round-trip "O" format; absent when the grant has no end.</summary>
    public const string GrantEnd = "end_at";

    /// <summary>The non-key attributes the lookup index projects.</summary>
    public static readonly IReadOnlyList<string> SlimGrantAttributes = [GrantMapping, GrantPrincipalId, GrantGroupId, GrantAccess, GrantStart, GrantEnd];

    /// <summary>Record type, for operators reading the table: grant, ledger, intent, fence, alert, checkpoint, audit, audit-head, lease.</summary>
    public const string RecordType = "rtype";

    /// <summary>Optimistic version (N) of grants, ledger entries, intents, fences, checkpoints and the audit head.</summary>
    public const string VersionAttribute = "version";

    /// <summary>The record in <see cref="PimBridge.Core.Ports.StateJson"/> form (S).</summary>
    public const string Json = "json";

    /// <summary>DynamoDB TTL attribute (N, epoch seconds): set on closed records only.</summary>
    public const string ExpiresAt = "expires_at";

    /// <summary>Lease holder (S).</summary>
    public const string LeaseOwner = "owner";

    /// <summary>When the lease runs out (N, UTC ticks). Not the TTL attribute: an expired lease is taken over, not deleted.</summary>
    public const string LeaseExpiresAt = "expires_at_lease";

    /// <summary>The checkpoint's saved position (S).</summary>
    public const string CheckpointValue = "value";

    /// <summary>When the checkpoint was saved (S, round-trip "O" format, offset kept).</summary>
    public const string CheckpointUpdatedAt = "updated_at";

    // Audit entry attributes (on AUDIT items and on the AUDITHEAD item, which repeats the last entry).
    public const string AuditSeq = "seq";
    public const string AuditAt = "at";
    public const string AuditKind = "kind";
    public const string AuditSubject = "subject";
    public const string AuditData = "data";
    public const string AuditPrevHash = "prev_hash";
    public const string AuditHash = "hash";

    /// <summary>Values of <see cref="DueKind"/>.</summary>
    public const string DueGrant = "grant";
    public static string DueIntent(IntentKind kind) => "intent#" + kind;

    /// <summary>
    /// The one partition of every kind's due intents before they were split by kind; still read, so intents written by
    /// an older engine (during a rolling upgrade, or left pending) are never stranded.
    /// </summary>
    public const string DueIntentOfAnyKind = "intent";
    public const string DueFence = "fence";

    /// <summary>
    /// The most items one DynamoDB transaction may hold (TransactWriteItems). <see cref="DynamoDbStateStore.CommitAsync"/>
    /// refuses a larger change before sending it; configuration keeps every mapping's grant within it through
    /// <see cref="PimBridge.Core.Ports.CommitBudget.MaxItems"/>, which must not exceed it.
    /// </summary>
    public const int MaxTransactionItems = 100;
}
