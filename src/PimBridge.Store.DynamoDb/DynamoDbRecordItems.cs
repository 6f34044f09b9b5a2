using System.Globalization;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Store.DynamoDb.DynamoDbItems;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.DynamoDb;

/// <summary>
/// How each record is laid out as an item: its JSON, the index attributes that put it into the sparse indexes while it
/// is due, open or active, and the TTL of a closed record; and the record read back from an item.
/// </summary>
internal sealed class DynamoDbRecordItems(TimeSpan retention)
{
    internal Dictionary<string, AttributeValue> GrantAttributes(Grant grant, DateTimeOffset now)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [RecordType] = S(GrantType),
            [Json] = S(StateJson.Serialize(grant with { Version = grant.Version + 1 })),
            [Gsi2Sk] = S(Sortable(grant.Start) + "#" + grant.Id),
        };
        if (grant.IsActive)
        {
            item[Gsi1Pk] = S("GROUP#" + grant.GroupId);
            item[Gsi1Sk] = S("GRANT#" + grant.Id);
            item[Gsi2Pk] = S("GRANTS#active");
            item[GrantMapping] = S(grant.Mapping);
            item[GrantPrincipalId] = S(grant.Principal.Id);
            item[GrantGroupId] = S(grant.GroupId);
            item[GrantAccess] = S(grant.Access.ToString());
            item[GrantStart] = S(RoundTrip(grant.Start));
            if (grant.End is { } end) item[GrantEnd] = S(RoundTrip(end));
            if (grant.DueAt is { } due)
            {
                item[DueKind] = S(DueGrant);
                item[DueAt] = S(Sortable(due));
            }
        }
        else
        {
            item[Gsi2Pk] = S("GRANTS#ended");
            item[ExpiresAt] = ExpiresAtValue(grant.EndedAt ?? now);
        }

        return item;
    }

    internal static Dictionary<string, AttributeValue> LedgerAttributes(LedgerEntry entry) => new()
    {
        [RecordType] = S("ledger"),
        [Json] = S(StateJson.Serialize(entry with { Version = entry.Version + 1 })),
        [Gsi1Pk] = S("USER#" + entry.Entitlement.UserId),
        [Gsi1Sk] = S("LEDGER#" + entry.Key),
    };

    internal Dictionary<string, AttributeValue> IntentAttributes(Intent intent, DateTimeOffset now)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [RecordType] = S(IntentType),
            [Json] = S(StateJson.Serialize(intent with { Version = intent.Version + 1 })),
        };
        if (intent.DueAt is { } due)
        {
            item[DueKind] = S(DueIntent(intent.Kind));
            item[DueAt] = S(Sortable(due));
            item[Gsi1Pk] = S(PendingKey(intent.Kind, intent.Subject));
            item[Gsi1Sk] = S("INTENT#" + intent.Id);
        }
        else
        {
            item[ExpiresAt] = ExpiresAtValue(intent.CompletedAt ?? now);
        }

        return item;
    }

    internal Dictionary<string, AttributeValue> FenceAttributes(SessionFence fence, DateTimeOffset now)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [RecordType] = S(FenceType),
            [Json] = S(StateJson.Serialize(fence with { Version = fence.Version + 1 })),
            [Gsi2Sk] = S(Sortable(fence.CreatedAt) + "#" + fence.Id),
        };
        if (fence.IsOpen)
        {
            item[Gsi2Pk] = S("FENCES#open");
            item[Gsi1Pk] = S("PERMSET#" + fence.PermissionSetArn);
            item[Gsi1Sk] = S("FENCE#" + fence.Id);
            if (fence.DueAt is { } due)
            {
                item[DueKind] = S(DueFence);
                item[DueAt] = S(Sortable(due));
            }
        }
        else
        {
            item[Gsi2Pk] = S("FENCES#lifted");
            item[ExpiresAt] = ExpiresAtValue(fence.LiftedAt ?? now);
        }

        return item;
    }

    // No expires_at: checkpoints must outlive any retention.
    internal static Dictionary<string, AttributeValue> CheckpointAttributes(Checkpoint checkpoint) => new()
    {
        [RecordType] = S(CheckpointType),
        [CheckpointValue] = S(checkpoint.Value),
        [CheckpointUpdatedAt] = S(RoundTrip(checkpoint.UpdatedAt)),
    };

    internal static ActiveGrant ReadActiveGrant(Dictionary<string, AttributeValue> item) => new(
        Text(item, Pk)["GRANT#".Length..],
        new GrantSlot(Text(item, GrantMapping), Text(item, GrantPrincipalId), Text(item, GrantGroupId), Enum.Parse<PimAccess>(Text(item, GrantAccess))),
        ParseRoundTrip(Text(item, GrantStart)),
        item.TryGetValue(GrantEnd, out var end) && end.S is { } e ? ParseRoundTrip(e) : null);

    internal static Grant ReadGrant(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeGrant(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    internal static LedgerEntry ReadLedger(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeLedgerEntry(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    internal static Intent ReadIntent(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeIntent(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    internal static SessionFence ReadFence(Dictionary<string, AttributeValue> item) =>
        StateJson.DeserializeFence(Text(item, Json)) with { Version = ParseLong(item, VersionAttribute) };

    internal static Alert ReadAlert(Dictionary<string, AttributeValue> item) => StateJson.DeserializeAlert(Text(item, Json));

    internal static Checkpoint ReadCheckpoint(string name, Dictionary<string, AttributeValue> item) => new()
    {
        Name = name,
        Value = Text(item, CheckpointValue),
        UpdatedAt = ParseRoundTrip(Text(item, CheckpointUpdatedAt)),
        Version = ParseLong(item, VersionAttribute),
    };

    internal AttributeValue ExpiresAtValue(DateTimeOffset closedAt) => N((closedAt + retention).ToUnixTimeSeconds());
}
