using System.Buffers;
using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PimBridge.Core;

namespace PimBridge.Store.Sqlite;

/// <summary>
/// The embedded state store: one SQLite file in WAL mode. Each record is stored as its <see cref="StateJson"/> form
/// next to the columns its queries need, all of them indexed where a query filters or orders by them; a
/// <see cref="Checkpoint"/>, which has no JSON form, is stored as plain columns.
/// </summary>
/// <remarks>
/// <para>
/// Every <see cref="CommitAsync"/> is one <c>BEGIN IMMEDIATE</c> transaction: versions are checked by the row counts of
/// <c>UPDATE … WHERE key = @key AND version = @version</c> (or of an <c>INSERT … ON CONFLICT DO NOTHING</c> for
/// version 0), the first mismatch rolls the whole transaction back, and audit records are chained onto the head read
/// inside the same transaction, so neither another thread nor another process can interleave.
/// </para>
/// <para>
/// A file store opens one pooled connection per operation; writers of this process queue on an in-process gate
/// (so they do not spin on SQLite's busy handler), writers of other processes on <c>busy_timeout</c>. An in-memory
/// store (<see cref="InMemory"/>) is a private database on one connection that every operation takes in turn.
/// </para>
/// </remarks>
public sealed class SqliteStateStore : IStateStore, IAsyncDisposable
{
    /// <summary>The path that opens a private in-memory database living as long as the store: for tests.</summary>
    public const string InMemory = ":memory:";

    private const int BusyTimeoutMilliseconds = 30_000;
    private const int AuditPageSize = 512;

    private readonly string _connectionString;
    private readonly SqliteConnection? _memory;
    private readonly SemaphoreSlim _memoryGate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    private SqliteStateStore(string connectionString, SqliteConnection? memory)
    {
        _connectionString = connectionString;
        _memory = memory;
    }

    /// <summary>The schema version this build creates and reads (<c>PRAGMA user_version</c> of its files).</summary>
    public static int SchemaVersion => SqliteSchema.LatestVersion;

    /// <summary>The database file, or <see cref="InMemory"/>.</summary>
    public string Path { get; private init; } = "";

    /// <summary>
    /// Opens (creating if needed) the state database at <paramref name="path"/> and migrates it to the current schema.
    /// <see cref="InMemory"/> opens a private in-memory database instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file has a newer schema than this build knows, or is not a PimBridge database.</exception>
    public static Task<SqliteStateStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(path == InMemory ? OpenInMemory() : OpenFile(path));
    }

    private static readonly string InMemoryConnectionString =
        new SqliteConnectionStringBuilder { DataSource = InMemory, Pooling = false }.ToString();

    // An empty, migrated in-memory database that new in-memory stores are copied from (SQLite's backup API copies
    // its few pages), which is several times cheaper than running the migrations for every store.
    private static readonly Lazy<SqliteConnection> InMemoryTemplate = new(() =>
    {
        var template = new SqliteConnection(InMemoryConnectionString);
        template.Open();
        SqliteSchema.Migrate(template, InMemory);
        return template;
    });

    private static readonly Lock InMemoryTemplateGate = new();

    private static SqliteStateStore OpenInMemory()
    {
        var connection = new SqliteConnection(InMemoryConnectionString);
        try
        {
            connection.Open();
            lock (InMemoryTemplateGate) InMemoryTemplate.Value.BackupDatabase(connection);
            Configure(connection);
            return new SqliteStateStore(InMemoryConnectionString, connection) { Path = InMemory };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteStateStore OpenFile(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();

        using (var connection = new SqliteConnection(connectionString))
        {
            try
            {
                connection.Open();
                Configure(connection);
                using (var wal = connection.CreateCommand())
                {
                    wal.CommandText = "PRAGMA journal_mode = WAL";
                    var mode = wal.ExecuteScalar() as string;
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                        throw new InvalidOperationException($"The state database '{fullPath}' could not be switched to WAL mode (journal mode is '{mode}').");
                }

                SqliteSchema.Migrate(connection, fullPath);
            }
            catch
            {
                SqliteConnection.ClearPool(connection);
                throw;
            }
        }

        return new SqliteStateStore(connectionString, null) { Path = fullPath };
    }

    // Per-connection settings (journal_mode is per file and set once at open). synchronous stays at its default, FULL:
    // intents are the outbox written before AWS calls, so a commit must survive a power cut, not only a crash.
    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON;";
        command.ExecuteNonQuery();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Connections
    // ----------------------------------------------------------------------------------------------------------------

    /// <summary>A connection lent for one operation, and what to give back afterwards.</summary>
    private readonly struct Session(SqliteConnection connection, SemaphoreSlim? gate, bool ownsConnection) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public void Dispose()
        {
            if (ownsConnection) Connection.Dispose();
            gate?.Release();
        }
    }

    private async ValueTask<Session> OpenSessionAsync(bool write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_memory is not null)
        {
            await _memoryGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _disposed) != 0)
            {
                _memoryGate.Release();
                throw new ObjectDisposedException(nameof(SqliteStateStore));
            }

            return new Session(_memory, _memoryGate, ownsConnection: false);
        }

        if (write) await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection? connection = null;
        try
        {
            connection = new SqliteConnection(_connectionString);
            connection.Open();
            Configure(connection);
            return new Session(connection, write ? _writeGate : null, ownsConnection: true);
        }
        catch
        {
            connection?.Dispose();
            if (write) _writeGate.Release();
            throw;
        }
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        using var session = await OpenSessionAsync(write: false, cancellationToken).ConfigureAwait(false);
        using var command = session.Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var results = new List<T>();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(map(reader));
        }

        return results;
    }

    private async Task<T?> QuerySingleAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        where T : class =>
        (await QueryAsync(sql, map, cancellationToken, parameters).ConfigureAwait(false)).FirstOrDefault();

    // ----------------------------------------------------------------------------------------------------------------
    // Record mapping
    // ----------------------------------------------------------------------------------------------------------------

    // Every query of a JSON record selects `json, version` first.
    private static ActiveGrant ReadActiveGrant(SqliteDataReader r) => new(
        r.GetString(0),
        new GrantSlot(r.GetString(1), r.GetString(2), r.GetString(3), Enum.Parse<PimAccess>(r.GetString(4))),
        FromTicks(r.GetInt64(5)),
        r.IsDBNull(6) ? null : FromTicks(r.GetInt64(6)));

    private static Grant ReadGrant(SqliteDataReader r) => StateJson.DeserializeGrant(r.GetString(0)) with { Version = r.GetInt64(1) };
    private static LedgerEntry ReadLedgerEntry(SqliteDataReader r) => StateJson.DeserializeLedgerEntry(r.GetString(0)) with { Version = r.GetInt64(1) };
    private static Intent ReadIntent(SqliteDataReader r) => StateJson.DeserializeIntent(r.GetString(0)) with { Version = r.GetInt64(1) };
    private static SessionFence ReadFence(SqliteDataReader r) => StateJson.DeserializeFence(r.GetString(0)) with { Version = r.GetInt64(1) };
    private static Alert ReadAlert(SqliteDataReader r) => StateJson.DeserializeAlert(r.GetString(0));

    private static Checkpoint ReadCheckpoint(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        Value = r.GetString(1),
        UpdatedAt = ParseRoundTrip(r.GetString(2)),
        Version = r.GetInt64(3),
    };

    private static AuditEntry ReadAuditEntry(SqliteDataReader r) => new(
        r.GetInt64(0),
        new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(r.GetInt32(2))),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        r.GetString(6),
        r.GetString(7));

    private static long Ticks(DateTimeOffset value) => value.UtcTicks;

    private static DateTimeOffset FromTicks(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static string RoundTrip(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseRoundTrip(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    // due_at and is_open hold the records' Core rules (Grant/Intent/SessionFence.DueAt, SessionFence.IsOpen) as of the
    // write, so `due_at <= @now` and `is_open = 1` select exactly what IsDueAt(now) and IsOpen accept.
    private static long? DueAt(DateTimeOffset? dueAt) => dueAt?.UtcTicks;

    private static string Fold(string value) => value.ToLowerInvariant();

    // ----------------------------------------------------------------------------------------------------------------
    // Reads
    // ----------------------------------------------------------------------------------------------------------------

    /// <summary>The statements, in one place so their query plans can be checked against the indexes.</summary>
    internal static class Sql
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
        public const string DueIntentsExceptKind =
            "SELECT json, version FROM intents WHERE due_at IS NOT NULL AND due_at <= @now AND kind <> @kind ORDER BY due_at, id LIMIT @limit";
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

    public Task<Grant?> GetGrantAsync(string id, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(Sql.GrantById, ReadGrant, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<ActiveGrant>> GetActiveGrantsForGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        if (groupIds.Count == 0) return [];
        return await QueryAsync(Sql.ActiveGrantsForGroups, ReadActiveGrant, cancellationToken, ("@groups", JsonArray(groupIds))).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Grant>> GetDueGrantsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) return [];
        return await QueryAsync(Sql.DueGrants, ReadGrant, cancellationToken, ("@now", Ticks(now)), ("@limit", limit)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, string? user, CancellationToken cancellationToken = default)
    {
        if (user is null)
            return await QueryAsync(activeOnly ? Sql.ActiveGrants : Sql.AllGrants, ReadGrant, cancellationToken).ConfigureAwait(false);

        return await QueryAsync(activeOnly ? Sql.ActiveGrantsOfUser : Sql.GrantsOfUser, ReadGrant, cancellationToken, ("@user", Fold(user))).ConfigureAwait(false);
    }

    public Task<LedgerEntry?> GetLedgerEntryAsync(string key, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(Sql.LedgerEntryByKey, ReadLedgerEntry, cancellationToken, ("@key", key));

    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerEntriesForUserAsync(string userId, CancellationToken cancellationToken = default) =>
        await QueryAsync(Sql.LedgerEntriesOfUser, ReadLedgerEntry, cancellationToken, ("@user", userId)).ConfigureAwait(false);

    public Task<Intent?> GetIntentAsync(string id, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(Sql.IntentById, ReadIntent, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<Intent>> GetDueIntentsAsync(DateTimeOffset now, int limit, IntentKind? except = null, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) return [];
        return except is { } kind
            ? await QueryAsync(Sql.DueIntentsExceptKind, ReadIntent, cancellationToken, ("@now", Ticks(now)), ("@kind", kind.ToString()), ("@limit", limit)).ConfigureAwait(false)
            : await QueryAsync(Sql.DueIntents, ReadIntent, cancellationToken, ("@now", Ticks(now)), ("@limit", limit)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Intent>> GetPendingIntentsAsync(IntentKind kind, string subject, CancellationToken cancellationToken = default) =>
        await QueryAsync(Sql.PendingIntentsOf, ReadIntent, cancellationToken, ("@kind", kind.ToString()), ("@subject", subject)).ConfigureAwait(false);

    public Task<SessionFence?> GetFenceAsync(string id, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(Sql.FenceById, ReadFence, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<SessionFence>> GetOpenFencesForPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
        await QueryAsync(Sql.OpenFencesOfPermissionSet, ReadFence, cancellationToken, ("@arn", permissionSetArn)).ConfigureAwait(false);

    public async Task<IReadOnlyList<SessionFence>> GetDueFencesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) return [];
        return await QueryAsync(Sql.DueFences, ReadFence, cancellationToken, ("@now", Ticks(now)), ("@limit", limit)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SessionFence>> ListFencesAsync(bool openOnly, CancellationToken cancellationToken = default) =>
        await QueryAsync(openOnly ? Sql.OpenFences : Sql.AllFences, ReadFence, cancellationToken).ConfigureAwait(false);

    public Task<Checkpoint?> GetCheckpointAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return QuerySingleAsync(Sql.CheckpointByName, ReadCheckpoint, cancellationToken, ("@name", name));
    }

    public Task<Alert?> GetAlertAsync(string id, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(Sql.AlertById, ReadAlert, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<Alert>> ListAlertsAsync(DateTimeOffset? since, CancellationToken cancellationToken = default) =>
        since is { } from
            ? await QueryAsync(Sql.AlertsSince, ReadAlert, cancellationToken, ("@since", Ticks(from))).ConfigureAwait(false)
            : await QueryAsync(Sql.AllAlerts, ReadAlert, cancellationToken).ConfigureAwait(false);

    public Task<AuditEntry?> GetAuditHeadAsync(CancellationToken cancellationToken = default) =>
        QuerySingleAsync(Sql.AuditHead, ReadAuditEntry, cancellationToken);

    /// <remarks>Reads in pages, holding no connection between them, so the caller may use the store while enumerating.</remarks>
    public async IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = Math.Max(fromSeq, 1);
        while (true)
        {
            var page = await QueryAsync(Sql.AuditFrom, ReadAuditEntry, cancellationToken, ("@from", next), ("@limit", AuditPageSize)).ConfigureAwait(false);
            foreach (var entry in page) yield return entry;
            if (page.Count < AuditPageSize) yield break;
            next = page[^1].Seq + 1;
        }
    }

    private static string JsonArray(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values) writer.WriteStringValue(value);
            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Commit
    // ----------------------------------------------------------------------------------------------------------------

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

    public async Task CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.IsEmpty) return;

        using var session = await OpenSessionAsync(write: true, cancellationToken).ConfigureAwait(false);
        var connection = session.Connection;
        // BEGIN IMMEDIATE: takes the database's write lock now, so the version checks and the audit head we read
        // stay true until we commit. Disposing without Commit rolls everything back.
        using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);

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

        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
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
            read.CommandText = Sql.AuditHead;
            using var reader = read.ExecuteReader();
            head = reader.Read() ? ReadAuditEntry(reader) : null;
        }

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            $"INSERT INTO audit ({Sql.AuditColumns}) VALUES (@seq, @at, @offset, @kind, @subject, @data, @prev, @hash)";
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

    // ----------------------------------------------------------------------------------------------------------------
    // Leases
    // ----------------------------------------------------------------------------------------------------------------

    /// <remarks>A lease whose expiry is at or before <paramref name="now"/> is free.</remarks>
    public async Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(owner);
        using var session = await OpenSessionAsync(write: true, cancellationToken).ConfigureAwait(false);
        using var command = session.Connection.CreateCommand();
        command.CommandText = Sql.AcquireLease;
        command.Parameters.AddWithValue("@name", name);
        command.Parameters.AddWithValue("@owner", owner);
        command.Parameters.AddWithValue("@expires", Ticks(now + duration));
        command.Parameters.AddWithValue("@now", Ticks(now));
        return command.ExecuteNonQuery() == 1;
    }

    public async Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default)
    {
        using var session = await OpenSessionAsync(write: true, cancellationToken).ConfigureAwait(false);
        using var command = session.Connection.CreateCommand();
        command.CommandText = Sql.ReleaseLease;
        command.Parameters.AddWithValue("@name", name);
        command.Parameters.AddWithValue("@owner", owner);
        command.ExecuteNonQuery();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Lifetime
    // ----------------------------------------------------------------------------------------------------------------

    /// <summary>Closes the database: the in-memory database is gone; a file's pooled connections are closed, so it can be moved or deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_memory is not null)
        {
            // Wait for the operation in flight, if any; later ones see the store disposed.
            await _memoryGate.WaitAsync().ConfigureAwait(false);
            try
            {
                await _memory.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _memoryGate.Release();
            }
        }
        else
        {
            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
        }
    }
}
