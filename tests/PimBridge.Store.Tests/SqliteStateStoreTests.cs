using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;

namespace PimBridge.Store.Tests;

/// <summary>The conformance suite and the SQLite-specific behaviour, on files in a temporary directory.</summary>
public sealed class SqliteStateStoreTests : StateStoreConformance
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pimbridge-sqlite-" + Guid.NewGuid().ToString("N"));

    protected override async Task<IStateStore> CreateStoreAsync() => await SqliteStateStore.OpenAsync(NewPath());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private string NewPath() => Path.Combine(_directory, $"state-{Guid.NewGuid():N}.db");

    /// <summary>A plain connection to the file, outside the store, without pooling so it lets go of the file.</summary>
    private static SqliteConnection OpenRaw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(string path, string sql)
    {
        using var connection = OpenRaw(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static List<(long Version, string Name, string AppliedAt)> Migrations(string path)
    {
        using var connection = OpenRaw(path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string, string)>();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        return rows;
    }

    private static StateChange Change(Action<StateChange> fill)
    {
        var change = new StateChange();
        fill(change);
        return change;
    }

    [Fact]
    public async Task Opening_creates_the_file_and_its_directory()
    {
        var path = Path.Combine(_directory, "nested", "deeper", "state.db");

        await using var store = await SqliteStateStore.OpenAsync(path);

        Assert.True(File.Exists(path));
        Assert.Equal(Path.GetFullPath(path), store.Path);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode()
    {
        var path = NewPath();
        await using var store = await SqliteStateStore.OpenAsync(path);
        await store.CommitAsync(Change(c => c.Grants.Add(NewGrant("grant-1", end: At(1)))));

        Assert.Equal("wal", Scalar(path, "PRAGMA journal_mode"));
    }

    [Fact]
    public async Task The_migration_is_recorded()
    {
        var path = NewPath();
        await using (await SqliteStateStore.OpenAsync(path)) { }

        Assert.Equal((long)SqliteStateStore.SchemaVersion, Scalar(path, "PRAGMA user_version"));
        var migrations = Migrations(path);
        Assert.Equal(Enumerable.Range(1, SqliteStateStore.SchemaVersion).Select(v => (long)v), migrations.Select(m => m.Version));
        Assert.All(migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Name)));
        Assert.All(migrations, m => Assert.True(DateTimeOffset.TryParse(m.AppliedAt, out _), m.AppliedAt));
    }

    [Fact]
    public async Task Reopening_keeps_the_data_and_does_not_rerun_migrations()
    {
        var path = NewPath();
        await using (var store = await SqliteStateStore.OpenAsync(path))
            await store.CommitAsync(Change(c => c.Grants.Add(NewGrant("grant-1", end: At(1)))));
        var migrationsBefore = Migrations(path);

        await using (var store = await SqliteStateStore.OpenAsync(path))
            Assert.NotNull(await store.GetGrantAsync("grant-1"));
        await using (var store = await SqliteStateStore.OpenAsync(path))
            Assert.NotNull(await store.GetGrantAsync("grant-1"));

        Assert.Equal(migrationsBefore, Migrations(path));
        Assert.Equal((long)SqliteStateStore.SchemaVersion, Scalar(path, "PRAGMA user_version"));
    }

    [Fact]
    public async Task A_file_with_a_newer_schema_is_refused_with_a_clear_message_and_left_alone()
    {
        var path = NewPath();
        await using (var store = await SqliteStateStore.OpenAsync(path))
            await store.CommitAsync(Change(c => c.Grants.Add(NewGrant("grant-1", end: At(1)))));
        var newer = SqliteStateStore.SchemaVersion + 1;
        Scalar(path, $"PRAGMA user_version = {newer}");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteStateStore.OpenAsync(path));

        Assert.Contains($"schema version {newer}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"up to {SqliteStateStore.SchemaVersion}", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer PimBridge", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal((long)newer, Scalar(path, "PRAGMA user_version"));
        Assert.Equal(1L, Scalar(path, "SELECT count(*) FROM grants"));
    }

    [Fact]
    public async Task An_older_file_gets_only_the_migrations_it_lacks_in_order()
    {
        var path = NewPath();
        await using (var store = await SqliteStateStore.OpenAsync(path))
            await store.CommitAsync(Change(c => c.Grants.Add(NewGrant("grant-1", end: At(1)))));
        var applied = Migrations(path);
        Assert.Equal(SqliteSchema.Migrations.Select(m => m.Name), applied.Select(m => m.Name));
        var upgraded = SqliteSchema.Migrations
            .Append(new SqliteSchema.Migration(SqliteStateStore.SchemaVersion + 1, "add notes", "CREATE TABLE notes (id TEXT NOT NULL PRIMARY KEY) STRICT;"))
            .Append(new SqliteSchema.Migration(SqliteStateStore.SchemaVersion + 2, "seed notes", "INSERT INTO notes (id) VALUES ('first');"))
            .ToArray();

        using (var connection = OpenRaw(path))
            SqliteSchema.Migrate(connection, path, upgraded);

        Assert.Equal((long)SqliteStateStore.SchemaVersion + 2, Scalar(path, "PRAGMA user_version"));
        var migrations = Migrations(path);
        Assert.Equal(applied, migrations.Take(applied.Count));
        Assert.Equal(["add notes", "seed notes"], migrations.Skip(applied.Count).Select(m => m.Name).ToArray());
        Assert.Equal("first", Scalar(path, "SELECT id FROM notes"));
        Assert.Equal(1L, Scalar(path, "SELECT count(*) FROM grants"));

        // This build now finds the file newer than it knows.
        await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteStateStore.OpenAsync(path));
    }

    [Fact]
    public async Task Migration_2_backfills_the_slot_columns_of_grants_written_before_it()
    {
        var path = NewPath();
        var grant = NewGrant("grant-1", end: At(30));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var connection = OpenRaw(path))
        {
            SqliteSchema.Migrate(connection, path, SqliteSchema.Migrations.Take(1).ToArray());
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO grants (id, group_id, user_id_ci, user_name_ci, state, start_at, due_at, version, json) VALUES (@id, @group, 'u', 'n', 'Active', @start, @due, 1, @json)";
            insert.Parameters.AddWithValue("@id", grant.Id);
            insert.Parameters.AddWithValue("@group", grant.GroupId);
            insert.Parameters.AddWithValue("@start", grant.Start.UtcTicks);
            insert.Parameters.AddWithValue("@due", grant.End!.Value.UtcTicks);
            insert.Parameters.AddWithValue("@json", StateJson.Serialize(grant with { Version = 1 }));
            insert.ExecuteNonQuery();
        }

        await using var store = await SqliteStateStore.OpenAsync(path);

        var active = Assert.Single(await store.GetActiveGrantsForGroupsAsync([grant.GroupId]));
        Assert.Equal(grant.Slot, active.Slot);
        Assert.Equal(grant.End, active.End);
    }

    [Fact]
    public async Task Migration_3_adds_checkpoints_to_a_file_of_schema_2_and_keeps_its_records()
    {
        var path = NewPath();
        var grant = NewGrant("grant-1", end: At(30));
        Directory.CreateDirectory(_directory);
        using (var connection = OpenRaw(path))
        {
            SqliteSchema.Migrate(connection, path, SqliteSchema.Migrations.Take(2).ToArray());
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO grants (id, group_id, user_id_ci, user_name_ci, state, start_at, due_at, version, json, mapping, principal_id, access) " +
                                 "VALUES (@id, @group, 'u', 'n', 'Active', @start, @due, 1, @json, @mapping, @principal, 'Member')";
            insert.Parameters.AddWithValue("@id", grant.Id);
            insert.Parameters.AddWithValue("@group", grant.GroupId);
            insert.Parameters.AddWithValue("@start", grant.Start.UtcTicks);
            insert.Parameters.AddWithValue("@due", grant.End!.Value.UtcTicks);
            insert.Parameters.AddWithValue("@json", StateJson.Serialize(grant with { Version = 1 }));
            insert.Parameters.AddWithValue("@mapping", grant.Mapping);
            insert.Parameters.AddWithValue("@principal", grant.Principal.Id);
            insert.ExecuteNonQuery();
        }

        Assert.Equal(0L, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'checkpoints'"));

        await using var store = await SqliteStateStore.OpenAsync(path);
        await store.CommitAsync(Change(c => c.Checkpoints.Add(new Checkpoint { Name = "cursor", Value = "file-1", UpdatedAt = At(1) })));

        Assert.Equal(3L, Scalar(path, "SELECT version FROM schema_migrations WHERE name = 'checkpoints'"));
        Assert.Equal("file-1", (await store.GetCheckpointAsync("cursor"))!.Value);
        Assert.Equal(1, (await store.GetGrantAsync("grant-1"))!.Version);
    }

    [Fact]
    public async Task Checkpoints_survive_dispose_and_reopen_and_keep_their_version()
    {
        var path = NewPath();
        var saved = new Checkpoint { Name = "trail:o-1", Value = "file-2", UpdatedAt = new DateTimeOffset(2026, 7, 1, 9, 0, 0, 5, TimeSpan.FromHours(3)) };
        await using (var store = await SqliteStateStore.OpenAsync(path))
        {
            await store.CommitAsync(Change(c => c.Checkpoints.Add(saved with { Value = "file-1" })));
            await store.CommitAsync(Change(c => c.Checkpoints.Add(saved with { Version = 1 })));
        }

        await using (var store = await SqliteStateStore.OpenAsync(path))
        {
            var reopened = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("trail:o-1"));
            Assert.Equal(saved with { Version = 2 }, reopened);
            Assert.Equal(TimeSpan.FromHours(3), reopened.UpdatedAt.Offset);

            // The version checks go on from the stored version.
            await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(Change(c => c.Checkpoints.Add(saved with { Version = 1, Value = "stale" }))));
            await store.CommitAsync(Change(c => c.Checkpoints.Add(reopened with { Value = "file-3" })));
            Assert.Equal(3, (await store.GetCheckpointAsync("trail:o-1"))!.Version);
        }
    }

    [Fact]
    public async Task A_failing_migration_leaves_the_file_as_it_was()
    {
        var path = NewPath();
        await using (await SqliteStateStore.OpenAsync(path)) { }
        var broken = SqliteSchema.Migrations
            .Append(new SqliteSchema.Migration(SqliteStateStore.SchemaVersion + 1, "good", "CREATE TABLE notes (id TEXT NOT NULL PRIMARY KEY) STRICT;"))
            .Append(new SqliteSchema.Migration(SqliteStateStore.SchemaVersion + 2, "broken", "INSERT INTO no_such_table VALUES (1);"))
            .ToArray();

        using (var connection = OpenRaw(path))
            Assert.Throws<SqliteException>(() => SqliteSchema.Migrate(connection, path, broken));

        Assert.Equal((long)SqliteStateStore.SchemaVersion, Scalar(path, "PRAGMA user_version"));
        Assert.Equal(SqliteSchema.Migrations.Count, Migrations(path).Count);
        Assert.Equal(0L, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'notes'"));
        await using var reopened = await SqliteStateStore.OpenAsync(path);
        Assert.Null(await reopened.GetGrantAsync("grant-1"));
    }

    [Fact]
    public async Task A_database_of_another_application_is_refused()
    {
        var path = NewPath();
        Directory.CreateDirectory(_directory);
        Scalar(path, "PRAGMA application_id = 1234");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteStateStore.OpenAsync(path));

        Assert.Contains("not a PimBridge state database", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_survives_dispose_and_reopen()
    {
        var path = NewPath();
        var entry = new LedgerEntry { Entitlement = Entitlement.GroupMembership("ic-user-1", "group-1"), Holders = ["grant-1"], Status = EntitlementStatus.Applied };
        await using (var store = await SqliteStateStore.OpenAsync(path))
        {
            await store.CommitAsync(Change(c =>
            {
                c.Grants.Add(NewGrant("grant-1", end: At(5)));
                c.Ledger.Add(entry);
                c.Intents.Add(NewIntent("intent-1", At(2)));
                c.Fences.Add(NewFence("fence-1", At(3)));
                c.Alerts.Add(NewAlert("alert-1", At(4)));
                c.Audit.Add(NewAudit(1));
                c.Audit.Add(NewAudit(2));
            }));
            Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(10)));
        }

        await using (var store = await SqliteStateStore.OpenAsync(path))
        {
            Assert.Equal(1, (await store.GetGrantAsync("grant-1"))!.Version);
            Assert.Equal(["grant-1"], (await store.GetLedgerEntryAsync(entry.Key))!.Holders);
            Assert.Equal(["intent-1"], (await store.GetDueIntentsAsync(At(2), 10)).Select(i => i.Id).ToArray());
            Assert.Equal(["fence-1"], (await store.GetDueFencesAsync(At(3), 10)).Select(f => f.Id).ToArray());
            Assert.Equal(["grant-1"], (await store.GetDueGrantsAsync(At(5), 10)).Select(g => g.Id).ToArray());
            Assert.Equal("alert-1", Assert.Single(await store.ListAlertsAsync(null)).Id);
            Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(1), TimeSpan.FromMinutes(10)));

            // The chain continues after the reopened head.
            await store.CommitAsync(Change(c => c.Audit.Add(NewAudit(3))));
            Assert.Equal(3, (await store.GetAuditHeadAsync())!.Seq);
            Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
        }

        // Disposal let go of the file entirely.
        File.Delete(path);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Two_stores_on_one_file_behave_like_two_processes_and_lose_no_update()
    {
        var path = NewPath();
        await using var first = await SqliteStateStore.OpenAsync(path);
        await using var second = await SqliteStateStore.OpenAsync(path);
        await first.CommitAsync(Change(c => c.Intents.Add(NewIntent("counter", At(0)))));
        const int writersPerStore = 3, incrementsEach = 10;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var loops = new[] { first, second }.SelectMany(store => Enumerable.Range(0, writersPerStore).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            for (var n = 0; n < incrementsEach; n++)
            {
                while (true)
                {
                    var current = (await store.GetIntentAsync("counter"))!;
                    try
                    {
                        await store.CommitAsync(Change(c =>
                        {
                            c.Intents.Add(current with { Attempts = current.Attempts + 1 });
                            c.Audit.Add(new AuditRecord(At(0), "counter.incremented", "counter", (current.Attempts + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                        }));
                        break;
                    }
                    catch (ConcurrencyConflictException)
                    {
                    }
                }
            }
        }))).ToArray();
        start.SetResult();
        await Task.WhenAll(loops);

        var total = 2 * writersPerStore * incrementsEach;
        var counter = (await second.GetIntentAsync("counter"))!;
        Assert.Equal(total, counter.Attempts);
        Assert.Equal(total + 1, counter.Version);
        Assert.Equal(total, (await first.GetAuditHeadAsync())!.Seq);
        Assert.Null(await AuditChain.VerifyAsync(first.ReadAuditAsync()));
    }

    [Fact]
    public async Task A_lease_held_through_one_store_is_refused_through_another_on_the_same_file()
    {
        var path = NewPath();
        await using var first = await SqliteStateStore.OpenAsync(path);
        await using var second = await SqliteStateStore.OpenAsync(path);

        Assert.True(await first.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));
        Assert.False(await second.TryAcquireLeaseAsync("sweeper", "node-b", At(0).AddSeconds(30), TimeSpan.FromMinutes(1)));
        await first.ReleaseLeaseAsync("sweeper", "node-a");
        Assert.True(await second.TryAcquireLeaseAsync("sweeper", "node-b", At(0).AddSeconds(31), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_disposed_store_refuses_further_use()
    {
        var store = await SqliteStateStore.OpenAsync(NewPath());
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetGrantAsync("grant-1"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.CommitAsync(Change(c => c.Audit.Add(NewAudit(1)))));
    }

    [Fact]
    public async Task A_failed_commit_rolls_back_and_frees_the_writer()
    {
        var path = NewPath();
        await using var store = await SqliteStateStore.OpenAsync(path);
        await store.CommitAsync(Change(c => c.Grants.Add(NewGrant("grant-1", end: At(1)))));

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(Change(c =>
            {
                c.Audit.Add(NewAudit(i));
                c.Grants.Add(NewGrant("grant-1", end: At(1)));
            })));
        }

        await store.CommitAsync(Change(c => c.Audit.Add(NewAudit(9))));
        Assert.Equal(1, (await store.GetAuditHeadAsync())!.Seq);
        Assert.Equal(0L, Scalar(path, "SELECT count(*) FROM audit WHERE subject <> 'grant-9'"));
    }

    private static readonly (string Name, string Sql, string[] Indexes, object[] Parameters)[] IndexedQueryList =
    [
        (nameof(SqliteStatements.DueGrants), SqliteStatements.DueGrants, ["grants_due"], ["@now", 1L, "@limit", 10]),
        (nameof(SqliteStatements.DueIntents), SqliteStatements.DueIntents, ["intents_due"], ["@now", 1L, "@limit", 10]),
        (nameof(SqliteStatements.DueIntentsOfKind), SqliteStatements.DueIntentsOfKind, ["intents_kind_due (kind=?"], ["@now", 1L, "@kind", "SyncFences", "@limit", 10]),
        (nameof(SqliteStatements.DueFences), SqliteStatements.DueFences, ["fences_due"], ["@now", 1L, "@limit", 10]),
        (nameof(SqliteStatements.GrantById), SqliteStatements.GrantById, ["(id=?)"], ["@id", "x"]),
        (nameof(SqliteStatements.ActiveGrantsForGroups), SqliteStatements.ActiveGrantsForGroups, ["grants_active_slots (group_id=?)"], ["@groups", """["g1","g2"]"""]),
        (nameof(SqliteStatements.ActiveGrants), SqliteStatements.ActiveGrants, ["grants_state"], []),
        (nameof(SqliteStatements.GrantsOfUser), SqliteStatements.GrantsOfUser, ["grants_user_id", "grants_user_name"], ["@user", "alice"]),
        (nameof(SqliteStatements.ActiveGrantsOfUser), SqliteStatements.ActiveGrantsOfUser, ["grants_user_id", "grants_user_name"], ["@user", "alice"]),
        (nameof(SqliteStatements.LedgerEntryByKey), SqliteStatements.LedgerEntryByKey, ["(key=?)"], ["@key", "x"]),
        (nameof(SqliteStatements.LedgerEntriesOfUser), SqliteStatements.LedgerEntriesOfUser, ["ledger_user"], ["@user", "x"]),
        (nameof(SqliteStatements.IntentById), SqliteStatements.IntentById, ["(id=?)"], ["@id", "x"]),
        (nameof(SqliteStatements.PendingIntentsOf), SqliteStatements.PendingIntentsOf, ["intents_kind_subject (kind=? AND subject=? AND state=?)"], ["@kind", "ApplyEntitlement", "@subject", "x"]),
        (nameof(SqliteStatements.FenceById), SqliteStatements.FenceById, ["(id=?)"], ["@id", "x"]),
        (nameof(SqliteStatements.OpenFencesOfPermissionSet), SqliteStatements.OpenFencesOfPermissionSet, ["fences_permission_set (permission_set_arn=? AND is_open=?)"], ["@arn", "x"]),
        (nameof(SqliteStatements.OpenFences), SqliteStatements.OpenFences, ["fences_open"], []),
        (nameof(SqliteStatements.AlertsSince), SqliteStatements.AlertsSince, ["alerts_at"], ["@since", 1L]),
        (nameof(SqliteStatements.CheckpointByName), SqliteStatements.CheckpointByName, ["(name=?)"], ["@name", "x"]),
        (nameof(SqliteStatements.AuditHead), SqliteStatements.AuditHead, ["INTEGER PRIMARY KEY"], []),
        (nameof(SqliteStatements.AuditFrom), SqliteStatements.AuditFrom, ["INTEGER PRIMARY KEY"], ["@from", 1L, "@limit", 10]),
    ];

    public static TheoryData<string> IndexedQueries => new(IndexedQueryList.Select(q => q.Name));

    [Theory]
    [MemberData(nameof(IndexedQueries))]
    public async Task Queries_search_their_index_instead_of_scanning_the_table(string name)
    {
        var (_, sql, indexes, parameters) = IndexedQueryList.Single(q => q.Name == name);
        var path = NewPath();
        await using (await SqliteStateStore.OpenAsync(path)) { }
        using var connection = OpenRaw(path);
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        for (var i = 0; i < parameters.Length; i += 2) command.Parameters.AddWithValue((string)parameters[i], parameters[i + 1]);

        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) plan.Add(reader.GetString(3));

        var text = string.Join(" | ", plan);
        Assert.DoesNotMatch(new Regex(@"\bSCAN (grants|ledger|intents|fences|alerts|checkpoints|audit|leases)\b"), text);
        Assert.All(indexes, index => Assert.Contains(index, text, StringComparison.Ordinal));
        // Due queries come off their index already in order: no sort step, so LIMIT stops early.
        if (name.StartsWith("Due", StringComparison.Ordinal))
            Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
    }
}

/// <summary>The conformance suite on the in-memory mode that fast tests use.</summary>
public sealed class SqliteInMemoryStateStoreTests : StateStoreConformance
{
    protected override async Task<IStateStore> CreateStoreAsync() => await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);

    [Fact]
    public async Task In_memory_stores_are_independent()
    {
        await using var first = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);
        await using var second = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);
        var change = new StateChange();
        change.Grants.Add(NewGrant("grant-1", end: At(1)));

        await first.CommitAsync(change);

        Assert.NotNull(await first.GetGrantAsync("grant-1"));
        Assert.Null(await second.GetGrantAsync("grant-1"));
    }

    [Fact]
    public async Task Many_in_memory_stores_open_and_close()
    {
        for (var i = 0; i < 200; i++)
        {
            await using var store = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);
            Assert.Null(await store.GetAuditHeadAsync());
        }
    }
}
