using System.CommandLine;
using System.Data.Common;
using Amazon;
using Amazon.DynamoDBv2;
using PimBridge.Composition;
using PimBridge.Store.DynamoDb;
using PimBridge.Store.Sqlite;

namespace PimBridge.Cli;

/// <summary>
/// Which state store a command reads or steers, the same way for every command: a SQLite file (<c>--store PATH</c>,
/// default <c>$PIMBRIDGE_STORE</c> or <c>./pimbridge.db</c>, the file <c>pimbridge serve</c> writes) or a DynamoDB
/// table (<c>--dynamodb-table NAME</c>, in <c>--dynamodb-region</c> or, for the commands that only read it, the SDK's
/// default Region; serve, reconcile and revoke open it as a host does, see <see cref="HostSettings"/>).
/// </summary>
internal sealed class StateStoreOptions
{
    public const string DefaultSqliteFile = "pimbridge.db";
    public const string StoreVariable = "PIMBRIDGE_STORE";

    public Option<string?> Store { get; } = new("--store") { Description = $"The PimBridge SQLite state file (default: ${StoreVariable}, else ./{DefaultSqliteFile})." };
    public Option<string?> DynamoDbTable { get; } = new("--dynamodb-table") { Description = "Use this DynamoDB table as the state store instead of a SQLite file." };
    public Option<string?> DynamoDbRegion { get; } = new("--dynamodb-region") { Description = "The DynamoDB table's Region (default: the AWS SDK's default Region)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Store);
        command.Options.Add(DynamoDbTable);
        command.Options.Add(DynamoDbRegion);
        command.Validators.Add(result =>
        {
            if (result.GetResult(Store) is not null && result.GetResult(DynamoDbTable) is not null)
                result.AddError("--store and --dynamodb-table cannot be used together; give one state store.");
        });
    }

    /// <summary>
    /// Opens the store. A SQLite file must already exist: a command that inspects or steers PimBridge never creates
    /// an empty state by mistake.
    /// </summary>
    public async Task<OpenedStateStore> OpenAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(DynamoDbTable) is { Length: > 0 } table)
        {
            var region = parseResult.GetValue(DynamoDbRegion);
            var client = region is { Length: > 0 } ? new AmazonDynamoDBClient(RegionEndpoint.GetBySystemName(region)) : new AmazonDynamoDBClient();
            return new OpenedStateStore(new DynamoDbStateStore(client, table), $"DynamoDB table {table}", client);
        }

        var path = Path.GetFullPath(SqlitePath(parseResult));
        var sqlite = await OpenSqliteAsync(
            path,
            MissingSqliteFile(path),
            "Check the path and its permissions.",
            cancellationToken).ConfigureAwait(false);
        return new OpenedStateStore(sqlite, $"SQLite file {path}", sqlite);
    }

    /// <summary>
    /// Opens an existing SQLite state file; a missing or unreadable file is an input error, never a new empty state.
    /// </summary>
    /// <param name="missing">The whole error when the file does not exist: it names what the command can use instead.</param>
    /// <param name="remedy">What to do when the file exists but cannot be opened as a state file.</param>
    public static async Task<SqliteStateStore> OpenSqliteAsync(string path, string missing, string remedy, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new CliInputException(missing);
        try
        {
            return await SqliteStateStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"'{path}' could not be opened as a PimBridge state file ({e.Message}). {remedy}", e);
        }
    }

    /// <summary>
    /// The store as the host settings <see cref="ComposedEngine"/> opens it from (<c>PimBridge:Store</c>,
    /// <c>PimBridge:DynamoDbTable</c>, <c>PimBridge:DynamoDbRegion</c>, <c>PimBridge:SqlitePath</c>): serve and the
    /// engine commands open it as a deployed host does, with <c>PimBridge:AwsEndpoint</c>, the web identity credentials
    /// and, without <c>--dynamodb-region</c>, Identity Center's Region.
    /// </summary>
    public StoreHostSettings HostSettings(ParseResult parseResult)
    {
        if (parseResult.GetValue(DynamoDbTable) is { Length: > 0 } table)
        {
            var settings = new Dictionary<string, string?> { ["PimBridge:Store"] = "dynamodb", ["PimBridge:DynamoDbTable"] = table };
            if (parseResult.GetValue(DynamoDbRegion) is { Length: > 0 } region)
                settings["PimBridge:DynamoDbRegion"] = region;
            return new StoreHostSettings(settings, $"DynamoDB table {table}", SqlitePath: null);
        }

        var path = Path.GetFullPath(SqlitePath(parseResult));
        return new StoreHostSettings(
            new Dictionary<string, string?> { ["PimBridge:Store"] = "sqlite", ["PimBridge:SqlitePath"] = path }, $"SQLite file {path}", path);
    }

    /// <summary>The error for a SQLite state file that a command needs and that does not exist: the exact command that creates it.</summary>
    public static string MissingSqliteFile(string path)
    {
        var full = Path.GetFullPath(path);
        return $"No PimBridge state file at '{full}' yet. If PimBridge already runs, pass the store it uses: --store PATH, {StoreVariable}, or --dynamodb-table NAME. " +
               $"Otherwise `pimbridge reconcile --store {full}` creates it (and grants what PIM shows now), as `pimbridge serve --store {full}` does when it starts.";
    }

    /// <summary>The <c>--store</c> argument that names the same SQLite file as this command's, or nothing when it is the default.</summary>
    public string StoreArgument(ParseResult parseResult) =>
        parseResult.GetValue(Store) is { Length: > 0 } || Environment.GetEnvironmentVariable(StoreVariable) is { Length: > 0 }
            ? $" --store {Path.GetFullPath(SqlitePath(parseResult))}"
            : "";

    public string SqlitePath(ParseResult parseResult) =>
        parseResult.GetValue(Store) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(StoreVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultSqliteFile;
}
