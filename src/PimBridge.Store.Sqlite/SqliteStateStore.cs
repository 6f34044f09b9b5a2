using System.Data;
using System.Runtime.CompilerServices;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using static PimBridge.Store.Sqlite.SqliteRecords;

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

    private const int AuditPageSize = 512;

    private readonly SqliteDatabase _database;

    private SqliteStateStore(SqliteDatabase database) => _database = database;

    /// <summary>The schema version this build creates and reads (<c>PRAGMA user_version</c> of its files).</summary>
    public static int SchemaVersion => SqliteSchema.LatestVersion;

    /// <summary>The database file, or <see cref="InMemory"/>.</summary>
    public string Path => _database.Path;

    /// <summary>
    /// Opens (creating if needed) the state database at <paramref name="path"/> and migrates it to the current schema.
    /// <see cref="InMemory"/> opens a private in-memory database instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file has a newer schema than this build knows, or is not a PimBridge database.</exception>
    public static Task<SqliteStateStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new SqliteStateStore(SqliteDatabase.Open(path)));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Reads
    // ----------------------------------------------------------------------------------------------------------------

    public Task<Grant?> GetGrantAsync(string id, CancellationToken cancellationToken = default) =>
        _database.QuerySingleAsync(SqliteStatements.GrantById, ReadGrant, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<ActiveGrant>> GetActiveGrantsForGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        if (groupIds.Count == 0) return [];
        return await _database.QueryAsync(SqliteStatements.ActiveGrantsForGroups, ReadActiveGrant, cancellationToken, ("@groups", JsonArray(groupIds))).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Grant>> GetDueGrantsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) return [];
        return await _database.QueryAsync(SqliteStatements.DueGrants, ReadGrant, cancellationToken, ("@now", Ticks(now)), ("@limit", limit)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, string? user, CancellationToken cancellationToken = default)
    {
        if (user is null)
            return await _database.QueryAsync(activeOnly ? SqliteStatements.ActiveGrants : SqliteStatements.AllGrants, ReadGrant, cancellationToken).ConfigureAwait(false);

        return await _database.QueryAsync(activeOnly ? SqliteStatements.ActiveGrantsOfUser : SqliteStatements.GrantsOfUser, ReadGrant, cancellationToken, ("@user", Fold(user))).ConfigureAwait(false);
    }

    public Task<LedgerEntry?> GetLedgerEntryAsync(string key, CancellationToken cancellationToken = default) =>
        _database.QuerySingleAsync(SqliteStatements.LedgerEntryByKey, ReadLedgerEntry, cancellationToken, ("@key", key));

    public async Task<IReadOnlyList<LedgerEntry>> GetLedgerEntriesForUserAsync(string userId, CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(SqliteStatements.LedgerEntriesOfUser, ReadLedgerEntry, cancellationToken, ("@user", userId)).ConfigureAwait(false);

    public Task<Intent?> GetIntentAsync(string id, CancellationToken cancellationToken = default) =>
        _database.QuerySingleAsync(SqliteStatements.IntentById, ReadIntent, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<Intent>> GetDueIntentsAsync(DateTimeOffset now, int limit, IntentKind? kind = null, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) return [];
        return kind is { } only
            ? await _database.QueryAsync(SqliteStatements.DueIntentsOfKind, ReadIntent, cancellationToken, ("@now", Ticks(now)), ("@kind", only.ToString()), ("@limit", limit)).ConfigureAwait(false)
            : await _database.QueryAsync(SqliteStatements.DueIntents, ReadIntent, cancellationToken, ("@now", Ticks(now)), ("@limit", limit)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Intent>> GetPendingIntentsAsync(IntentKind kind, string subject, CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(SqliteStatements.PendingIntentsOf, ReadIntent, cancellationToken, ("@kind", kind.ToString()), ("@subject", subject)).ConfigureAwait(false);

    public Task<SessionFence?> GetFenceAsync(string id, CancellationToken cancellationToken = default) =>
        _database.QuerySingleAsync(SqliteStatements.FenceById, ReadFence, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<SessionFence>> GetOpenFencesForPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(SqliteStatements.OpenFencesOfPermissionSet, ReadFence, cancellationToken, ("@arn", permissionSetArn)).ConfigureAwait(false);

    public async Task<IReadOnlyList<SessionFence>> GetDueFencesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) return [];
        return await _database.QueryAsync(SqliteStatements.DueFences, ReadFence, cancellationToken, ("@now", Ticks(now)), ("@limit", limit)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SessionFence>> ListFencesAsync(bool openOnly, CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(openOnly ? SqliteStatements.OpenFences : SqliteStatements.AllFences, ReadFence, cancellationToken).ConfigureAwait(false);

    public Task<Checkpoint?> GetCheckpointAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _database.QuerySingleAsync(SqliteStatements.CheckpointByName, ReadCheckpoint, cancellationToken, ("@name", name));
    }

    public Task<Alert?> GetAlertAsync(string id, CancellationToken cancellationToken = default) =>
        _database.QuerySingleAsync(SqliteStatements.AlertById, ReadAlert, cancellationToken, ("@id", id));

    public async Task<IReadOnlyList<Alert>> ListAlertsAsync(DateTimeOffset? since, CancellationToken cancellationToken = default) =>
        since is { } from
            ? await _database.QueryAsync(SqliteStatements.AlertsSince, ReadAlert, cancellationToken, ("@since", Ticks(from))).ConfigureAwait(false)
            : await _database.QueryAsync(SqliteStatements.AllAlerts, ReadAlert, cancellationToken).ConfigureAwait(false);

    public Task<AuditEntry?> GetAuditHeadAsync(CancellationToken cancellationToken = default) =>
        _database.QuerySingleAsync(SqliteStatements.AuditHead, ReadAuditEntry, cancellationToken);

    /// <remarks>Reads in pages, holding no connection between them, so the caller may use the store while enumerating.</remarks>
    public async IAsyncEnumerable<AuditEntry> ReadAuditAsync(long fromSeq = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = Math.Max(fromSeq, 1);
        while (true)
        {
            var page = await _database.QueryAsync(SqliteStatements.AuditFrom, ReadAuditEntry, cancellationToken, ("@from", next), ("@limit", AuditPageSize)).ConfigureAwait(false);
            foreach (var entry in page) yield return entry;
            if (page.Count < AuditPageSize) yield break;
            next = page[^1].Seq + 1;
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Commit
    // ----------------------------------------------------------------------------------------------------------------

    public async Task CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.IsEmpty) return;

        using var session = await _database.OpenSessionAsync(write: true, cancellationToken).ConfigureAwait(false);
        var connection = session.Connection;
        // BEGIN IMMEDIATE: takes the database's write lock now, so the version checks and the audit head we read
        // stay true until we commit. Disposing without Commit rolls everything back.
        using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
        SqliteCommit.Write(connection, transaction, change);

        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Leases
    // ----------------------------------------------------------------------------------------------------------------

    /// <remarks>A lease whose expiry is at or before <paramref name="now"/> is free.</remarks>
    public async Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(owner);
        using var session = await _database.OpenSessionAsync(write: true, cancellationToken).ConfigureAwait(false);
        using var command = session.Connection.CreateCommand();
        command.CommandText = SqliteStatements.AcquireLease;
        command.Parameters.AddWithValue("@name", name);
        command.Parameters.AddWithValue("@owner", owner);
        command.Parameters.AddWithValue("@expires", Ticks(now + duration));
        command.Parameters.AddWithValue("@now", Ticks(now));
        return command.ExecuteNonQuery() == 1;
    }

    public async Task ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default)
    {
        using var session = await _database.OpenSessionAsync(write: true, cancellationToken).ConfigureAwait(false);
        using var command = session.Connection.CreateCommand();
        command.CommandText = SqliteStatements.ReleaseLease;
        command.Parameters.AddWithValue("@name", name);
        command.Parameters.AddWithValue("@owner", owner);
        command.ExecuteNonQuery();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Lifetime
    // ----------------------------------------------------------------------------------------------------------------

    /// <summary>Closes the database: the in-memory database is gone; a file's pooled connections are closed, so it can be moved or deleted.</summary>
    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
