using Microsoft.Data.Sqlite;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Store.Sqlite.SqliteRecords;

namespace PimBridge.Store.Sqlite;

/// <summary>
/// Writes a <see cref="StateChange"/> inside the caller's transaction: each versioned record inserted (version 0) or
/// updated at its expected version, alerts inserted if absent, audit records chained onto the head.
/// </summary>
internal static class SqliteCommit
{
    /// <summary>How one kind of versioned record is written: its table, key column and other columns (all but key and version).</summary>
    private sealed class RecordTable
    {
        public RecordTable(string recordType, string table, string keyColumn, params string[] columns)
        {
            RecordType = recordType;
            Columns = columns;
            var all = new[] { keyColumn, "version" }.Concat(columns).ToArray();
            InsertSql = $"INSERT INTO {table} ({string.Join(", ", all)}) VALUES ({string.Join(", ", all.Select(c => "@" + c))}) ON CONFLICT ({keyColumn}) DO NOTHING";
            UpdateSql = $"UPDATE {table} SET version = @version{string.Concat(columns.Select(c => $", {c} = @{c}"))} " +
                        $"WHERE {keyColumn} = @{keyColumn} AND version = @expected";
            KeyParameter = "@" + keyColumn;
        }

        public string RecordType { get; }
        public IReadOnlyList<string> Columns { get; }
        public string InsertSql { get; }
        public string UpdateSql { get; }
        public string KeyParameter { get; }
    }

    private static readonly RecordTable GrantTable = new(nameof(Grant), "grants", "id", "json", "group_id", "user_id_ci", "user_name_ci", "state", "start_at", "due_at", "mapping", "principal_id", "access");
    private static readonly RecordTable LedgerTable = new(nameof(LedgerEntry), "ledger", "key", "json", "user_id");
    private static readonly RecordTable IntentTable = new(nameof(Intent), "intents", "id", "json", "kind", "subject", "state", "created_at", "due_at");
    private static readonly RecordTable FenceTable = new(nameof(SessionFence), "fences", "id", "json", "permission_set_arn", "state", "is_open", "created_at", "due_at");
    private static readonly RecordTable CheckpointTable = new("checkpoint", "checkpoints", "name", "value", "updated_at");

    /// <exception cref="ConcurrencyConflictException">A record is not at its expected version; the caller's transaction must roll back.</exception>
    internal static void Write(SqliteConnection connection, SqliteTransaction transaction, StateChange change)
    {
        foreach (var g in change.Grants)
        {
            Save(connection, transaction, GrantTable, g.Id, g.Version, StateJson.Serialize(g with { Version = g.Version + 1 }),
                g.GroupId, Fold(g.User.UserId), Fold(g.User.UserName), g.State.ToString(), Ticks(g.Start), DueAt(g.DueAt),
                g.Mapping, g.Principal.Id, g.Access.ToString());
        }

        foreach (var e in change.Ledger)
        {
            Save(connection, transaction, LedgerTable, e.Key, e.Version, StateJson.Serialize(e with { Version = e.Version + 1 }),
                e.Entitlement.UserId);
        }

        foreach (var i in change.Intents)
        {
            Save(connection, transaction, IntentTable, i.Id, i.Version, StateJson.Serialize(i with { Version = i.Version + 1 }),
                i.Kind.ToString(), i.Subject, i.State.ToString(), Ticks(i.CreatedAt), DueAt(i.DueAt));
        }

        foreach (var f in change.Fences)
        {
            Save(connection, transaction, FenceTable, f.Id, f.Version, StateJson.Serialize(f with { Version = f.Version + 1 }),
                f.PermissionSetArn, f.State.ToString(), f.IsOpen ? 1 : 0, Ticks(f.CreatedAt), DueAt(f.DueAt));
        }

        foreach (var c in change.Checkpoints)
            Save(connection, transaction, CheckpointTable, c.Name, c.Version, c.Value, RoundTrip(c.UpdatedAt));

        foreach (var c in change.Unchanged)
        {
            using var read = connection.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = "SELECT version FROM checkpoints WHERE name = @name";
            read.Parameters.AddWithValue("@name", c.Name);
            if ((read.ExecuteScalar() is long version ? version : 0) != c.Version) throw new ConcurrencyConflictException(CheckpointTable.RecordType, c.Name);
        }

        if (change.Alerts.Count > 0)
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO alerts (id, at, json) VALUES (@id, @at, @json) ON CONFLICT (id) DO NOTHING";
            var id = insert.Parameters.Add("@id", SqliteType.Text);
            var at = insert.Parameters.Add("@at", SqliteType.Integer);
            var json = insert.Parameters.Add("@json", SqliteType.Text);
            foreach (var alert in change.Alerts)
            {
                id.Value = alert.Id;
                at.Value = Ticks(alert.At);
                json.Value = StateJson.Serialize(alert);
                insert.ExecuteNonQuery();
            }
        }

        if (change.Audit.Count > 0) AppendAudit(connection, transaction, change.Audit);
    }

    // `columns` are the values of table.Columns, in order.
    private static void Save(
        SqliteConnection connection, SqliteTransaction transaction, RecordTable table, string key, long version, params object?[] columns)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = version == 0 ? table.InsertSql : table.UpdateSql;
        command.Parameters.AddWithValue(table.KeyParameter, key);
        command.Parameters.AddWithValue("@version", version + 1);
        if (version != 0) command.Parameters.AddWithValue("@expected", version);
        for (var c = 0; c < columns.Length; c++) command.Parameters.AddWithValue("@" + table.Columns[c], columns[c] ?? DBNull.Value);

        // 0 rows: the insert met an existing key, or the update found no row at the expected version. Throwing leaves
        // the transaction uncommitted; disposing it rolls back everything written so far.
        if (command.ExecuteNonQuery() != 1) throw new ConcurrencyConflictException(table.RecordType, key);
    }

    private static void AppendAudit(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<AuditRecord> records)
    {
        AuditEntry? head;
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = SqliteStatements.AuditHead;
            using var reader = read.ExecuteReader();
            head = reader.Read() ? ReadAuditEntry(reader) : null;
        }

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            $"INSERT INTO audit ({SqliteStatements.AuditColumns}) VALUES (@seq, @at, @offset, @kind, @subject, @data, @prev, @hash)";
        var seq = insert.Parameters.Add("@seq", SqliteType.Integer);
        var at = insert.Parameters.Add("@at", SqliteType.Integer);
        var offset = insert.Parameters.Add("@offset", SqliteType.Integer);
        var kind = insert.Parameters.Add("@kind", SqliteType.Text);
        var subject = insert.Parameters.Add("@subject", SqliteType.Text);
        var data = insert.Parameters.Add("@data", SqliteType.Text);
        var prev = insert.Parameters.Add("@prev", SqliteType.Text);
        var hash = insert.Parameters.Add("@hash", SqliteType.Text);
        foreach (var record in records)
        {
            var entry = AuditChain.Append(head, record);
            seq.Value = entry.Seq;
            at.Value = Ticks(entry.At);
            offset.Value = (int)entry.At.Offset.TotalMinutes;
            kind.Value = entry.Kind;
            subject.Value = entry.Subject;
            data.Value = entry.Data;
            prev.Value = entry.PrevHash;
            hash.Value = entry.Hash;
            insert.ExecuteNonQuery();
            head = entry;
        }
    }
}
