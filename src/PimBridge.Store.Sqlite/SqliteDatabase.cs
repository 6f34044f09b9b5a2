using Microsoft.Data.Sqlite;

namespace PimBridge.Store.Sqlite;

/// <summary>
/// The store's database: opening (and migrating) it, and lending a connection for each operation, as the remarks on
/// <see cref="SqliteStateStore"/> describe.
/// </summary>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    private const int BusyTimeoutMilliseconds = 30_000;

    private readonly string _connectionString;
    private readonly SqliteConnection? _memory;
    private readonly SemaphoreSlim _memoryGate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    private SqliteDatabase(string connectionString, SqliteConnection? memory)
    {
        _connectionString = connectionString;
        _memory = memory;
    }

    /// <summary>The database file, or <see cref="SqliteStateStore.InMemory"/>.</summary>
    public string Path { get; private init; } = "";

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and migrates it to the current schema.</summary>
    public static SqliteDatabase Open(string path) => path == SqliteStateStore.InMemory ? OpenInMemory() : OpenFile(path);

    private static readonly string InMemoryConnectionString =
        new SqliteConnectionStringBuilder { DataSource = SqliteStateStore.InMemory, Pooling = false }.ToString();

    // An empty, migrated in-memory database that new in-memory stores are copied from (SQLite's backup API copies
    // its few pages), which is several times cheaper than running the migrations for every store.
    private static readonly Lazy<SqliteConnection> InMemoryTemplate = new(() =>
    {
        var template = new SqliteConnection(InMemoryConnectionString);
        template.Open();
        SqliteSchema.Migrate(template, SqliteStateStore.InMemory);
        return template;
    });

    private static readonly Lock InMemoryTemplateGate = new();

    private static SqliteDatabase OpenInMemory()
    {
        var connection = new SqliteConnection(InMemoryConnectionString);
        try
        {
            connection.Open();
            lock (InMemoryTemplateGate) InMemoryTemplate.Value.BackupDatabase(connection);
            Configure(connection);
            return new SqliteDatabase(InMemoryConnectionString, connection) { Path = SqliteStateStore.InMemory };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteDatabase OpenFile(string path)
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

        return new SqliteDatabase(connectionString, null) { Path = fullPath };
    }

    // Per-connection settings (journal_mode is per file and set once at open). synchronous stays at its default, FULL:
    // intents are the outbox written before AWS calls, so a commit must survive a power cut, not only a crash.
    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON;";
        command.ExecuteNonQuery();
    }

    /// <summary>A connection lent for one operation, and what to give back afterwards.</summary>
    internal readonly struct Session(SqliteConnection connection, SemaphoreSlim? gate, bool ownsConnection) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public void Dispose()
        {
            if (ownsConnection) Connection.Dispose();
            gate?.Release();
        }
    }

    internal async ValueTask<Session> OpenSessionAsync(bool write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, typeof(SqliteStateStore));
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

    internal async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
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

    internal async Task<T?> QuerySingleAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        where T : class =>
        (await QueryAsync(sql, map, cancellationToken, parameters).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Closes the database: the in-memory database is gone; a file's pooled connections are closed.</summary>
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
