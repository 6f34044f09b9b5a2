using PimBridge.Core.Domain;

namespace PimBridge.Store.Sqlite;

/// <summary>The statements, in one place so their query plans can be checked against the indexes.</summary>
internal static class SqliteStatements
{
    // The stored states of an active grant (Grant.IsActive) and a pending intent (Intent.IsPending), named by Core.
    private const string GrantActive = nameof(GrantState.Active);
    private const string IntentPending = nameof(IntentState.Pending);

    public const string AuditColumns = "seq, at, at_offset_minutes, kind, subject, data, prev_hash, hash";

    public const string GrantById = "SELECT json, version FROM grants WHERE id = @id";
    public const string ActiveGrantsForGroups =
        $"SELECT id, mapping, principal_id, group_id, access, start_at, due_at FROM grants INDEXED BY grants_active_slots WHERE group_id IN (SELECT value FROM json_each(@groups)) AND state = '{GrantActive}'";
    public const string DueGrants =
        "SELECT json, version FROM grants WHERE due_at IS NOT NULL AND due_at <= @now ORDER BY due_at, id LIMIT @limit";
    public const string AllGrants = "SELECT json, version FROM grants ORDER BY start_at, id";
    public const string ActiveGrants = $"SELECT json, version FROM grants WHERE state = '{GrantActive}' ORDER BY start_at, id";
    public const string GrantsOfUser =
        "SELECT json, version FROM grants WHERE user_id_ci = @user OR user_name_ci = @user ORDER BY start_at, id";
    // `+state`: keeps the planner on the two user indexes rather than walking every active grant.
    public const string ActiveGrantsOfUser =
        $"SELECT json, version FROM grants WHERE (user_id_ci = @user OR user_name_ci = @user) AND +state = '{GrantActive}' ORDER BY start_at, id";

    public const string LedgerEntryByKey = "SELECT json, version FROM ledger WHERE key = @key";
    public const string LedgerEntriesOfUser = "SELECT json, version FROM ledger WHERE user_id = @user ORDER BY key";

    public const string IntentById = "SELECT json, version FROM intents WHERE id = @id";
    public const string DueIntents =
        "SELECT json, version FROM intents WHERE due_at IS NOT NULL AND due_at <= @now ORDER BY due_at, id LIMIT @limit";
    public const string DueIntentsOfKind =
        "SELECT json, version FROM intents INDEXED BY intents_kind_due WHERE kind = @kind AND due_at IS NOT NULL AND due_at <= @now ORDER BY due_at, id LIMIT @limit";
    public const string PendingIntentsOf =
        $"SELECT json, version FROM intents WHERE kind = @kind AND subject = @subject AND state = '{IntentPending}' ORDER BY created_at, id";

    public const string FenceById = "SELECT json, version FROM fences WHERE id = @id";
    public const string OpenFencesOfPermissionSet =
        "SELECT json, version FROM fences WHERE permission_set_arn = @arn AND is_open = 1 ORDER BY created_at, id";
    public const string DueFences =
        "SELECT json, version FROM fences WHERE due_at IS NOT NULL AND due_at <= @now ORDER BY due_at, id LIMIT @limit";
    public const string AllFences = "SELECT json, version FROM fences ORDER BY created_at, id";
    public const string OpenFences = "SELECT json, version FROM fences WHERE is_open = 1 ORDER BY created_at, id";

    public const string AlertsSince = "SELECT json FROM alerts WHERE at >= @since ORDER BY at, id";
    public const string AllAlerts = "SELECT json FROM alerts ORDER BY at, id";
    public const string AlertById = "SELECT json FROM alerts WHERE id = @id";

    public const string CheckpointByName = "SELECT name, value, updated_at, version FROM checkpoints WHERE name = @name";

    public const string AuditHead = $"SELECT {AuditColumns} FROM audit WHERE seq = (SELECT max(seq) FROM audit)";
    public const string AuditFrom = $"SELECT {AuditColumns} FROM audit WHERE seq >= @from ORDER BY seq LIMIT @limit";

    // A lease whose expiry is at or before now is free; one statement, so taking it is atomic.
    public const string AcquireLease = """
        INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @expires)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE leases.owner = excluded.owner OR leases.expires_at <= @now
        """;
    public const string ReleaseLease = "DELETE FROM leases WHERE name = @name AND owner = @owner";
}
