using System.Globalization;
using Microsoft.Data.Sqlite;

namespace PimBridge.Store.Sqlite;

/// <summary>
/// The database schema as an ordered list of migrations. <c>PRAGMA user_version</c> is the number of migrations
/// applied; each is applied in its own write transaction together with the bump of that number and a row in
/// <c>schema_migrations</c>, so a migration is applied completely or not at all. Append new migrations at the end;
/// never edit one that has shipped.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Marks a file as a PimBridge state database (<c>PRAGMA application_id</c>, "PIMB").</summary>
    public const int ApplicationId = 0x50494D42;

    public sealed record Migration(int Version, string Name, string Sql);

    // Timestamps in indexed columns are UTC ticks (INTEGER), so they sort and compare as instants. Each record's
    // full content is its StateJson form in `json`; the other columns exist only to be queried and are derived from
    // the record on every write. `due_at` is set only while the record can become due (grants: Active with an End;
    // intents: Pending; fences: Active), so the partial due indexes hold only candidates.
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "initial schema", $"""
            PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)};

            CREATE TABLE grants (
                id           TEXT    NOT NULL PRIMARY KEY,
                group_id     TEXT    NOT NULL,
                user_id_ci   TEXT    NOT NULL,
                user_name_ci TEXT    NOT NULL,
                state        TEXT    NOT NULL,
                start_at     INTEGER NOT NULL,
                due_at       INTEGER,
                version      INTEGER NOT NULL,
                json         TEXT    NOT NULL
            ) STRICT;
            CREATE INDEX grants_due ON grants (due_at, id) WHERE due_at IS NOT NULL;
            CREATE INDEX grants_group ON grants (group_id, state);
            CREATE INDEX grants_state ON grants (state);
            CREATE INDEX grants_user_id ON grants (user_id_ci);
            CREATE INDEX grants_user_name ON grants (user_name_ci);

            CREATE TABLE ledger (
                key     TEXT    NOT NULL PRIMARY KEY,
                user_id TEXT    NOT NULL,
                version INTEGER NOT NULL,
                json    TEXT    NOT NULL
            ) STRICT;
            CREATE INDEX ledger_user ON ledger (user_id, key);

            CREATE TABLE intents (
                id         TEXT    NOT NULL PRIMARY KEY,
                kind       TEXT    NOT NULL,
                subject    TEXT    NOT NULL,
                state      TEXT    NOT NULL,
                created_at INTEGER NOT NULL,
                due_at     INTEGER,
                version    INTEGER NOT NULL,
                json       TEXT    NOT NULL
            ) STRICT;
            CREATE INDEX intents_due ON intents (due_at, id) WHERE due_at IS NOT NULL;
            CREATE INDEX intents_kind_subject ON intents (kind, subject, state);

            CREATE TABLE fences (
                id                 TEXT    NOT NULL PRIMARY KEY,
                permission_set_arn TEXT    NOT NULL,
                state              TEXT    NOT NULL,
                is_open            INTEGER NOT NULL,
                created_at         INTEGER NOT NULL,
                due_at             INTEGER,
                version            INTEGER NOT NULL,
                json               TEXT    NOT NULL
            ) STRICT;
            CREATE INDEX fences_due ON fences (due_at, id) WHERE due_at IS NOT NULL;
            CREATE INDEX fences_permission_set ON fences (permission_set_arn, is_open, created_at);
            CREATE INDEX fences_open ON fences (is_open, created_at);

            CREATE TABLE alerts (
                id   TEXT    NOT NULL PRIMARY KEY,
                at   INTEGER NOT NULL,
                json TEXT    NOT NULL
            ) STRICT;
            CREATE INDEX alerts_at ON alerts (at, id);

            CREATE TABLE audit (
                seq               INTEGER NOT NULL PRIMARY KEY,
                at                INTEGER NOT NULL,
                at_offset_minutes INTEGER NOT NULL,
                kind              TEXT    NOT NULL,
                subject           TEXT    NOT NULL,
                data              TEXT    NOT NULL,
                prev_hash         TEXT    NOT NULL,
                hash              TEXT    NOT NULL
            ) STRICT;

            CREATE TABLE leases (
                name       TEXT    NOT NULL PRIMARY KEY,
                owner      TEXT    NOT NULL,
                expires_at INTEGER NOT NULL
            ) STRICT;
            """),

        // Reconcile reads the slot and window of every active grant of a group; a covering index over those columns
        // answers it without touching the records' JSON. For an active grant due_at is its End.
        new(2, "active grant slots", """
            ALTER TABLE grants ADD COLUMN mapping      TEXT NOT NULL DEFAULT '';
            ALTER TABLE grants ADD COLUMN principal_id TEXT NOT NULL DEFAULT '';
            ALTER TABLE grants ADD COLUMN access       TEXT NOT NULL DEFAULT '';
            UPDATE grants SET mapping      = json_extract(json, '$.Mapping'),
                              principal_id = json_extract(json, '$.Principal.Id'),
                              access       = json_extract(json, '$.Access');
            CREATE INDEX grants_active_slots ON grants (group_id, mapping, principal_id, access, start_at, due_at, id) WHERE state = 'Active';
            DROP INDEX grants_group;
            """),

        // Named positions (such as trail cursors), read only by name. `updated_at` is round-trip ("O") text rather than
        // ticks: it is never compared in SQL, and the text keeps the writer's offset.
        new(3, "checkpoints", """
            CREATE TABLE checkpoints (
                name       TEXT    NOT NULL PRIMARY KEY,
                value      TEXT    NOT NULL,
                updated_at TEXT    NOT NULL,
                version    INTEGER NOT NULL
            ) STRICT;
            """),

        // The tick reads due intents kind by kind (a mass expiry's removals never hide the fence sync behind them).
        new(4, "due intents by kind", """
            CREATE INDEX intents_kind_due ON intents (kind, due_at, id) WHERE due_at IS NOT NULL;
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>, or refuses a file this build cannot read.</summary>
    public static void Migrate(SqliteConnection connection, string displayName) => Migrate(connection, displayName, Migrations);

    /// <summary>Applies <paramref name="migrations"/> (ordered, numbered 1..n) that the database has not had yet.</summary>
    internal static void Migrate(SqliteConnection connection, string displayName, IReadOnlyList<Migration> migrations)
    {
        var latest = migrations[^1].Version;
        CheckApplicationId(connection, displayName);
        var version = ReadUserVersion(connection);
        CheckNotNewer(version, latest, displayName);
        if (version == latest) return;

        // BEGIN IMMEDIATE: another process migrating the same file waits for us (or we for it) and then re-reads.
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
        version = ReadUserVersion(connection, transaction);
        CheckNotNewer(version, latest, displayName);
        Execute(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER NOT NULL PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at TEXT    NOT NULL
            ) STRICT;
            """);
        foreach (var migration in migrations.Where(m => m.Version > version))
        {
            Execute(connection, transaction, migration.Sql);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
            record.Parameters.AddWithValue("@version", migration.Version);
            record.Parameters.AddWithValue("@name", migration.Name);
            record.ExecuteNonQuery();
            Execute(connection, transaction, $"PRAGMA user_version = {migration.Version.ToString(CultureInfo.InvariantCulture)}");
        }

        transaction.Commit();
    }

    public static int ReadUserVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void CheckNotNewer(int version, int latest, string displayName)
    {
        if (version > latest)
        {
            throw new InvalidOperationException(
                $"The state database '{displayName}' has schema version {version}, but this build of PimBridge knows schema versions up to {latest}. " +
                "It was written by a newer PimBridge; refusing to open it so it is not damaged. Run the newer PimBridge, or restore a backup taken before the upgrade.");
        }
    }

    private static void CheckApplicationId(SqliteConnection connection, string displayName)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA application_id";
        var id = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (id != 0 && id != ApplicationId)
        {
            throw new InvalidOperationException(
                $"'{displayName}' is an SQLite database of another application (application_id 0x{id:X8}), not a PimBridge state database; refusing to use it.");
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
