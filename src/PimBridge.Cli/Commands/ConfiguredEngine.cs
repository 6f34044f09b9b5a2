using System.CommandLine;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Store.Sqlite;

namespace PimBridge.Cli.Commands;

/// <summary>
/// The engine as <c>pimbridge serve</c> composes it (<see cref="ComposedEngine"/>), opened by a command that acts
/// through it: the configuration file, the state store the command names, PIM through Graph, and Identity Center.
/// Shared by <c>reconcile</c>, <c>revoke</c> and <c>verify</c>.
/// </summary>
internal sealed class ConfiguredEngine : IAsyncDisposable
{
    /// <summary>At most this many ticks in one run, whatever the time limit: a loop that keeps finding work is a bug to report, not to spin on.</summary>
    private const int MaxTicks = 200;

    private readonly ComposedEngine _components;
    private readonly IDisposable? _graph;
    private readonly ILoggerFactory _loggers;

    private ConfiguredEngine(ComposedEngine components, IDisposable? graph, ILoggerFactory loggers)
    {
        _components = components;
        _graph = graph;
        _loggers = loggers;
    }

    public Enforcer Enforcer => _components.Enforcer;

    public IStateStore Store => _components.Store;

    public DriftSweep Sweep => _components.Sweep ?? throw new InvalidOperationException("The engine was composed without its drift sweep.");

    /// <param name="pimRequired">
    /// Whether the command reads PIM itself (reconcile). When false (revoke, an emergency), an unusable <c>Entra</c>
    /// section does not stop it: reads of PIM that ticks happen to need fail and are retried by the running PimBridge.
    /// </param>
    /// <param name="missing">What to do when the command's SQLite state file does not exist yet.</param>
    public static async Task<ConfiguredEngine> OpenAsync(
        ParseResult parseResult, ConfigFileOption config, StateStoreOptions storeOptions, CliConsole console, bool pimRequired, MissingStateFile missing, CancellationToken cancellationToken)
    {
        var environment = EngineEnvironment.Current;
        // Checked first, so a broken file is reported as the CLI reports it, before PIM or the store are looked at.
        config.Load(parseResult);
        var path = config.PathOf(parseResult);
        var store = storeOptions.HostSettings(parseResult);
        var loggers = StandardErrorLoggers();
        IDisposable? graph = null;
        try
        {
            (var pim, graph) = CreatePimSource(path, environment, console.Clock, pimRequired, loggers);
            // The composition would create a missing file; only the commands whose first run may start a state do.
            string? note = null;
            if (store.SqlitePath is { } sqlitePath && !File.Exists(sqlitePath))
            {
                switch (missing)
                {
                    case MissingStateFile.Create:
                        if (Path.GetDirectoryName(sqlitePath) is { } folder && !Directory.Exists(folder))
                            throw new CliInputException($"The folder of the state file '{sqlitePath}' does not exist. Create it, or pass --store PATH in an existing folder.");
                        note = $"Created the PimBridge state file '{sqlitePath}', which did not exist; `pimbridge serve{storeOptions.StoreArgument(parseResult)}` carries on from it.";
                        break;
                    case MissingStateFile.PlanOnEmpty:
                        store = new StoreHostSettings(
                            new Dictionary<string, string?> { [CompositionSettings.StoreKey] = CompositionSettings.DefaultStore, [CompositionSettings.SqlitePathKey] = SqliteStateStore.InMemory },
                            "an empty state in memory", SqlitePath: null);
                        note = $"No PimBridge state file at '{sqlitePath}' yet: planned against an empty state, as a first run would; nothing was created. `pimbridge reconcile` without --dry-run creates it.";
                        break;
                    default:
                        throw new CliInputException(StateStoreOptions.MissingSqliteFile(sqlitePath));
                }
            }

            var components = await ComposedEngine.ComposeAsync(environment.HostConfiguration(path, store), console.Clock, loggers, new ComposedEngineInputs
            {
                Stores = ShippedParts.Stores,
                Pim = pim,
                AwsCredentials = environment.AwsCredentials,
                WaitForOperations = true,
            }, cancellationToken).ConfigureAwait(false);
            if (note is not null)
                await console.Error.WriteLineAsync(note).ConfigureAwait(false);
            return new ConfiguredEngine(components, graph, loggers);
        }
        catch (Exception e)
        {
            graph?.Dispose();
            loggers.Dispose();
            if (e is ConfigurationException configuration)
                throw new CliInputException(
                    $"The engine could not be started from '{path}':{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", configuration.Problems)}{Environment.NewLine}Run `pimbridge doctor --config {path}` to check the configuration and PimBridge's access to AWS and Graph.", e);
            if (store.SqlitePath is { } file && e is DbException or IOException or UnauthorizedAccessException)
                throw new CliInputException($"'{file}' could not be opened as a PimBridge state file ({e.Message}). Check the path and its permissions.", e);
            throw;
        }
    }

    /// <summary>The Graph client for the <c>Entra</c> section, with the environment's credential when it gives one.</summary>
    public static GraphServiceClient CreateGraph(EntraOptions entra, EngineEnvironment environment) =>
        environment.GraphCredential is { } credential ? GraphClients.Create(credential, entra.GraphBaseUrl) : GraphClients.Create(entra);

    private static (IPimSource Pim, IDisposable? Graph) CreatePimSource(string configFile, EngineEnvironment environment, TimeProvider time, bool required, ILoggerFactory loggers)
    {
        IReadOnlyList<string> problems;
        EntraOptions? entra = null;
        try
        {
            entra = EntraPart.LoadOptions(configFile, out _);
            // Subscriptions are serve's business; reading PIM needs only the credential.
            problems = environment.GraphCredential is null ? entra.Problems(subscriptions: false) : [];
        }
        catch (InvalidOperationException e)
        {
            problems = [$"{CompositionSettings.EntraSection}: {e.Message}"];
        }

        if (problems.Count == 0)
        {
            try
            {
                var graph = CreateGraph(entra!, environment);
                return (new GraphPimSource(graph, entra!, loggers.CreateLogger<GraphPimSource>(), time), graph);
            }
            catch (ConfigurationException e)
            {
                problems = e.Problems;
            }
        }

        if (required)
            throw new CliInputException($"PIM cannot be read with the configuration '{configFile}':{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", problems)}");
        return (new UnavailablePimSource($"the Entra section of '{configFile}' is not usable ({problems[0]})"), null);
    }

    /// <summary>
    /// Loggers for the <c>log</c> notification sink and for warnings (PIM instances skipped, for one): the CLI has no
    /// log pipeline, so they write one line each to standard error, which never carries results.
    /// </summary>
    public static ILoggerFactory StandardErrorLoggers() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Warning)
        .AddFilter("PimBridge.Notifications", LogLevel.Information)
        .AddSimpleConsole(o => o.SingleLine = true)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));

    /// <summary>Grants by id, as stored now; ids not found are left out.</summary>
    public async Task<IReadOnlyDictionary<string, Grant>> GrantsAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var grants = new Dictionary<string, Grant>(StringComparer.Ordinal);
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (await Store.GetGrantAsync(id, cancellationToken).ConfigureAwait(false) is { } grant)
                grants[id] = grant;
        }

        return grants;
    }

    /// <summary>The entitlements among <paramref name="keys"/> still waiting to be removed from AWS.</summary>
    public async Task<IReadOnlyList<string>> EntitlementsStillRemovingAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var removing = new List<string>();
        foreach (var key in keys)
        {
            if ((await Store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false))?.Status == EntitlementStatus.Removing)
                removing.Add(key);
        }

        return removing;
    }

    /// <summary>The last error of a pending intent of this kind for any of the subjects: why the change is not done yet.</summary>
    public async Task<string?> LastErrorAsync(IntentKind kind, IEnumerable<string> subjects, CancellationToken cancellationToken)
    {
        foreach (var subject in subjects)
        {
            foreach (var intent in await Store.GetPendingIntentsAsync(kind, subject, cancellationToken).ConfigureAwait(false))
            {
                if (intent.LastError is { Length: > 0 } error)
                    return error;
            }
        }

        return null;
    }

    /// <summary>
    /// Ticks the engine so what was decided reaches AWS. Without <paramref name="done"/>, until a tick finds nothing to
    /// do; with it, until it holds, waiting briefly between idle ticks (an intent backing off after a failure). Bounded by
    /// <paramref name="limit"/> of wall-clock time and <see cref="MaxTicks"/>, then it returns unfinished: the running
    /// PimBridge carries on from the store.
    /// </summary>
    public async Task<TickTotals> TickUntilAsync(
        Func<CancellationToken, Task<bool>>? done, bool waitWhenIdle, TimeSpan limit, Action<TickTotals>? progress, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        var totals = new TickTotals(0, 0, 0, Finished: false);
        while (true)
        {
            if (done is not null && await done(cancellationToken).ConfigureAwait(false))
                return totals with { Finished = true };
            if (elapsed.Elapsed >= limit || totals.Ticks >= MaxTicks)
                return totals;

            // The wall-clock limit stops the drain between ticks (a window of at most a timer's range; the loop opens the
            // next); a condition is looked at between ticks, so then it drains one tick at a time.
            using var window = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Min((limit - elapsed.Elapsed).TotalMilliseconds, int.MaxValue - 1)));
            var drain = await Enforcer.DrainAsync(done is null ? MaxTicks - totals.Ticks : 1, window.Token, cancellationToken, tick =>
            {
                totals = totals with { Ticks = totals.Ticks + 1, IntentsDone = totals.IntentsDone + tick.IntentsDone, IntentsFailed = totals.IntentsFailed + tick.IntentsFailed };
                progress?.Invoke(totals);
            }).ConfigureAwait(false);
            if (!drain.Idle)
                continue;
            if (done is null)
                return totals with { Finished = true };
            if (waitWhenIdle)
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_components.Resources is { } resources) await resources.DisposeAsync().ConfigureAwait(false);
        _graph?.Dispose();
        _loggers.Dispose();
    }
}
