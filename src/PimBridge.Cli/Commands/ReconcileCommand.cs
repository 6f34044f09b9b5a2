using System.CommandLine;
using System.Data.Common;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using PimBridge.Aws;
using PimBridge.Cli.Output;
using PimBridge.Composition;
using PimBridge.Core;
using PimBridge.Core.Configuration;
using PimBridge.Entra;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge reconcile [--group G]... [--dry-run] [--json]</c>: reads PIM for the mapped Entra groups and brings
/// AWS in line now, instead of waiting for the next poll; with <c>--dry-run</c>, says what it would change and changes
/// nothing. For an operator who just fixed a mapping or a missing user, or who wants to see the drift first.
/// </summary>
public static class ReconcileCommand
{
    /// <summary>How long reconcile keeps ticking to apply what it decided before leaving the rest to the running PimBridge.</summary>
    private static readonly TimeSpan ApplyLimit = TimeSpan.FromMinutes(2);

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var groups = new Option<string[]>("--group")
        {
            Description = "An Entra group (object id) to reconcile; repeat for several. Default: every mapped group.",
            HelpName = "group-id",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would change; write nothing to the store or AWS." };
        var json = new Option<bool>("--json") { Description = "Write one JSON document instead of a table; no progress is shown." };
        var config = new ConfigFileOption();
        var store = new StateStoreOptions();

        var command = new Command("reconcile", "Read PIM for the mapped groups and make AWS match it now (or, with --dry-run, show what would change).")
        {
            groups, dryRun, json,
        };
        config.AddTo(command);
        store.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(
            parseResult, config, store, parseResult.GetValue(groups) ?? [], parseResult.GetValue(dryRun), parseResult.GetValue(json), console, ct), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parseResult, ConfigFileOption config, StateStoreOptions storeOptions, string[] requestedGroups, bool dryRun, bool json,
        CliConsole console, CancellationToken cancellationToken)
    {
        await using var engine = await ConfiguredEngine.OpenAsync(parseResult, config, storeOptions, console, pimRequired: true, cancellationToken).ConfigureAwait(false);
        var groups = SelectGroups(requestedGroups, engine.Enforcer);
        var showProgress = console.ShowsProgress && !json;

        ReconcileResult result;
        IReadOnlyDictionary<string, Grant> before;
        TickTotals? ticks = null;
        try
        {
            result = await WithStatusAsync(console, showProgress, $"Reading PIM for {Formats.Count(groups.Count, "group")}...",
                _ => engine.Enforcer.ReconcileGroupsAsync(groups, dryRun, cancellationToken: cancellationToken)).ConfigureAwait(false);
            // The stopped and moved grants in full, for the user names and entitlements the plan's slim view lacks.
            before = await engine.GrantsAsync(result.Plan.EndChanges.Select(c => c.Grant.Id).Concat(result.Plan.Stops.Select(s => s.Grant.Id)), cancellationToken).ConfigureAwait(false);
            if (!dryRun && !result.Plan.IsEmpty)
            {
                ticks = await WithStatusAsync(console, showProgress, "Applying...", status => engine.TickUntilAsync(
                    done: null, waitWhenIdle: false, ApplyLimit,
                    t => status?.Invoke($"Applying: {Formats.Count(t.Ticks, "tick")}, {Formats.Count(t.IntentsDone, "step")} done, {t.IntentsFailed} failed"),
                    cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (GraphPimException e)
        {
            return await EngineFailure.ReportAsync(console, $"{e.Message.TrimEnd('.')}. Nothing was changed. Run `pimbridge doctor` to check Graph access and permissions.").ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (!e.IsRetryable || e.Status == 0)
        {
            return await EngineFailure.ReportAsync(console, $"{e.Message.TrimEnd('.')}. Run `pimbridge doctor` to check AWS credentials and permissions.").ConfigureAwait(false);
        }

        var report = await ReconcileReport.BuildAsync(result, groups, dryRun, before, ticks, engine, cancellationToken).ConfigureAwait(false);
        if (json)
            JsonOutput.Write(console.Output, report.Document);
        else
            report.WriteTable(console.OutputConsole);

        if (report.Unfinished.Count > 0)
        {
            await console.Error.WriteLineAsync(
                $"error: {Formats.Count(report.Unfinished.Count, "change")} could not be completed in AWS yet; PimBridge keeps retrying them (pimbridge serve), and raises an alert if they keep failing:").ConfigureAwait(false);
            foreach (var line in report.Unfinished)
                await console.Error.WriteLineAsync($"  - {line}").ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;
    }

    /// <summary>The groups asked for, each checked against the mappings; all mapped groups when none is given.</summary>
    private static List<string> SelectGroups(string[] requested, Enforcer enforcer)
    {
        if (requested.Length == 0)
            return [.. enforcer.MappedGroups.Order(StringComparer.Ordinal)];
        var groups = new List<string>();
        foreach (var given in requested)
        {
            var group = given.Trim().ToLowerInvariant();
            if (!Guid.TryParse(group, out _))
                throw new CliInputException($"--group '{given}' is not an Entra group object id; give the group's Object ID (a GUID) from Entra > Groups.");
            if (!enforcer.MappedGroups.Contains(group))
                throw new CliInputException($"--group '{given}' is not in any mapping, so PimBridge has nothing to do for it; mapped groups: {string.Join(", ", enforcer.MappedGroups.Order(StringComparer.Ordinal))}.");
            if (!groups.Contains(group)) groups.Add(group);
        }

        return groups;
    }

    /// <summary>Runs <paramref name="work"/> under a status line on standard error when progress may be shown.</summary>
    internal static async Task<T> WithStatusAsync<T>(CliConsole console, bool show, string initial, Func<Action<string>?, Task<T>> work)
    {
        if (!show)
            return await work(null).ConfigureAwait(false);
        return await console.ErrorConsole.Status().StartAsync(initial, context => work(text => context.Status(Markup.Escape(text)))).ConfigureAwait(false);
    }
}

/// <summary>What reconcile planned, and after applying, how far AWS got; as a table or as the <c>--json</c> document.</summary>
internal sealed class ReconcileReport
{
    private ReconcileReport(ReconcileDocument document, IReadOnlyList<string> unfinished)
    {
        Document = document;
        Unfinished = unfinished;
    }

    public ReconcileDocument Document { get; }

    /// <summary>Changes decided but not yet confirmed in AWS, each with the last error.</summary>
    public IReadOnlyList<string> Unfinished { get; }

    public static async Task<ReconcileReport> BuildAsync(
        ReconcileResult result, IReadOnlyList<string> groups, bool dryRun, IReadOnlyDictionary<string, Grant> before, TickTotals? ticks,
        ConfiguredEngine engine, CancellationToken cancellationToken)
    {
        var plan = result.Plan;
        var applied = !dryRun;
        var unfinished = new List<string>();

        var newGrants = new List<ReconcileNewGrant>();
        foreach (var grant in plan.NewGrants)
        {
            string? status = null, error = null;
            DateTimeOffset? confirmed = null;
            if (applied)
            {
                var now = await engine.Store.GetGrantAsync(grant.Id, cancellationToken).ConfigureAwait(false);
                confirmed = now?.AccessConfirmedAt;
                if (confirmed is not null)
                {
                    status = "access-confirmed";
                }
                else
                {
                    status = "applying";
                    error = await engine.LastErrorAsync(IntentKind.ApplyEntitlement, grant.EntitlementKeys, cancellationToken).ConfigureAwait(false);
                    unfinished.Add($"grant {grant.Id} of {grant.User.UserName}: access not confirmed{(error is null ? "" : $" ({error})")}");
                }
            }

            newGrants.Add(new ReconcileNewGrant(grant.Id, grant.Mapping, grant.User.UserName, grant.User.UserId, grant.Principal.Id,
                grant.Principal.UserPrincipalName, grant.GroupId, Access(grant.Access), Formats.Time(grant.Start), Time(grant.End),
                grant.EntitlementKeys, status, Time(confirmed), error));
        }

        var endChanges = plan.EndChanges.Select(c =>
        {
            var grant = before.GetValueOrDefault(c.Grant.Id);
            return new ReconcileEndChange(c.Grant.Id, c.Grant.Slot.Mapping, grant?.User.UserName, c.Grant.Slot.GroupId,
                c.IsExtension ? "extended" : "shortened", Time(c.Grant.End), Time(c.NewEnd));
        }).ToList();

        var stops = new List<ReconcileStop>();
        foreach (var stop in plan.Stops)
        {
            var grant = before.GetValueOrDefault(stop.Grant.Id);
            string? status = null, error = null;
            if (applied && grant is not null)
            {
                var removing = await engine.EntitlementsStillRemovingAsync(grant.EntitlementKeys, cancellationToken).ConfigureAwait(false);
                status = removing.Count == 0 ? "access-removed" : "removing";
                if (removing.Count > 0)
                {
                    error = await engine.LastErrorAsync(IntentKind.RemoveEntitlement, removing, cancellationToken).ConfigureAwait(false);
                    unfinished.Add($"grant {grant.Id} of {grant.User.UserName}: access not yet removed{(error is null ? "" : $" ({error})")}");
                }
            }

            stops.Add(new ReconcileStop(stop.Grant.Id, stop.Grant.Slot.Mapping, grant?.User.UserName, stop.Grant.Slot.GroupId, stop.Reason, status, error));
        }

        var unmapped = plan.Unmapped.Select(u => new ReconcileUnmapped(u.Principal.Id, u.Principal.UserPrincipalName, u.Principal.Mail, u.Mapping, u.GroupId)).ToList();
        var suppressed = plan.Suppressed.Select(w => new ReconcileHeldBack(w.Mapping.Name, w.Principal.Id, w.Principal.UserPrincipalName, w.GroupId, Time(w.End))).ToList();
        var document = new ReconcileDocument(dryRun, [.. groups], newGrants, endChanges, stops, unmapped, suppressed,
            ticks is { } t ? new ReconcileApplied(t.Ticks, t.IntentsDone, t.IntentsFailed, t.Finished) : null);
        return new ReconcileReport(document, unfinished);
    }

    public void WriteTable(IAnsiConsole console)
    {
        var d = Document;
        var verb = d.DryRun ? "Would make" : "Made";
        var changes = d.NewGrants.Count + d.EndChanges.Count + d.Stops.Count;
        if (changes + d.Unmapped.Count + d.Suppressed.Count == 0)
        {
            console.WriteLine($"Nothing to change: AWS matches PIM for {Formats.Count(d.Groups.Count, "group")}.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "Change", "Grant", "Mapping", "User", "Group", "Detail", d.DryRun ? "" : "Status" })
        {
            if (header.Length == 0) continue;
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        void Row(string change, string grant, string mapping, string? user, string group, string detail, string? status)
        {
            var cells = new List<Text> { new(change), new(grant), new(mapping), new(user ?? "-"), new(group), new(detail) };
            if (!d.DryRun) cells.Add(new Text(status ?? "-"));
            table.AddRow(cells);
        }

        foreach (var g in d.NewGrants)
            Row("new grant", g.Grant, g.Mapping, g.User, g.Group, $"{g.Access} from {g.Start} until {g.End ?? "no end"}; {Formats.Count(g.Entitlements.Count, "entitlement")}",
                g.Status is null ? null : g.Error is null ? g.Status : $"{g.Status}: {g.Error}");
        foreach (var c in d.EndChanges)
            Row(c.Change == "extended" ? "extend" : "shorten", c.Grant, c.Mapping, c.User, c.Group, $"end {c.From ?? "none"} -> {c.To ?? "none"}", d.DryRun ? null : "moved");
        foreach (var s in d.Stops)
            Row("stop", s.Grant, s.Mapping, s.User, s.Group, $"reason: {s.Reason}", s.Status is null ? null : s.Error is null ? s.Status : $"{s.Status}: {s.Error}");
        foreach (var u in d.Unmapped)
            Row("unmapped user", "-", u.Mapping, u.UserPrincipalName ?? u.Mail ?? u.Principal, u.Group, "no IAM Identity Center user matches; no access granted (an unmapped-user alert is raised)", d.DryRun ? null : "alerted");
        foreach (var s in d.Suppressed)
            Row("held back", "-", s.Mapping, s.UserPrincipalName ?? s.Principal, s.Group, "this activation's grant was revoked; it stays revoked while PIM lists it", null);

        console.WriteLine($"{verb} {Formats.Count(changes, "change")} for {Formats.Count(d.Groups.Count, "group")}{(d.DryRun ? " (dry run: nothing was written)" : "")}:");
        console.Write(table);
        console.WriteLine($"{verb}: {Formats.Count(d.NewGrants.Count, "new grant")}, {Formats.Count(d.EndChanges.Count, "end change")}, {Formats.Count(d.Stops.Count, "stop")}; " +
            $"{Formats.Count(d.Unmapped.Count, "unmapped user")}, {Formats.Count(d.Suppressed.Count, "revoked activation")} held back.");
        if (d.Applied is { } a)
            console.WriteLine($"Applied in {Formats.Count(a.Ticks, "tick")}: {Formats.Count(a.StepsDone, "step")} done, {a.StepsFailed} failed.");
    }

    private static string Access(PimAccess access) => access == PimAccess.Owner ? "owner" : "member";

    private static string? Time(DateTimeOffset? time) => time is { } t ? Formats.Time(t) : null;
}

/// <summary>The <c>reconcile --json</c> document (docs/cli.md).</summary>
internal sealed record ReconcileDocument(
    [property: JsonPropertyName("dryRun")] bool DryRun,
    [property: JsonPropertyName("groups")] IReadOnlyList<string> Groups,
    [property: JsonPropertyName("newGrants")] IReadOnlyList<ReconcileNewGrant> NewGrants,
    [property: JsonPropertyName("endChanges")] IReadOnlyList<ReconcileEndChange> EndChanges,
    [property: JsonPropertyName("stops")] IReadOnlyList<ReconcileStop> Stops,
    [property: JsonPropertyName("unmapped")] IReadOnlyList<ReconcileUnmapped> Unmapped,
    [property: JsonPropertyName("heldBack")] IReadOnlyList<ReconcileHeldBack> Suppressed,
    [property: JsonPropertyName("applied")] ReconcileApplied? Applied);

internal sealed record ReconcileNewGrant(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("start")] string Start,
    [property: JsonPropertyName("end")] string? End,
    [property: JsonPropertyName("entitlements")] IReadOnlyList<string> Entitlements,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("accessConfirmedAt")] string? AccessConfirmedAt,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record ReconcileEndChange(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("change")] string Change,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To);

internal sealed record ReconcileStop(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record ReconcileUnmapped(
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("mail")] string? Mail,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("group")] string Group);

internal sealed record ReconcileHeldBack(
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("end")] string? End);

internal sealed record ReconcileApplied(
    [property: JsonPropertyName("ticks")] int Ticks,
    [property: JsonPropertyName("stepsDone")] int StepsDone,
    [property: JsonPropertyName("stepsFailed")] int StepsFailed,
    [property: JsonPropertyName("finished")] bool Finished);

/// <summary>What a run of ticks did in total; <see cref="Finished"/> when it reached its goal (or idleness) within its bounds.</summary>
internal sealed record TickTotals(int Ticks, int IntentsDone, int IntentsFailed, bool Finished);

/// <summary>
/// Where the engine commands (reconcile, revoke, doctor) find AWS and Microsoft Graph besides the configuration file.
/// A process uses <see cref="Process"/>: environment variables as host settings (<c>PimBridge__AwsEndpoint</c>, as for
/// <c>serve</c>), the AWS SDK's default credential chain, and the credential the file's <c>Entra</c> section names.
/// In-process runs (the tests, over moto and the Graph stub) set another one around a run with <see cref="Use"/>; it
/// flows with the async call, so concurrent runs do not see each other's.
/// </summary>
internal sealed record EngineEnvironment
{
    public static readonly EngineEnvironment Process = new();

    private static readonly AsyncLocal<EngineEnvironment?> Scoped = new();

    /// <summary>Host settings on top of the environment variables, for example <c>PimBridge:AwsEndpoint</c>.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Null: the AWS SDK's default chain.</summary>
    public AWSCredentials? AwsCredentials { get; init; }

    /// <summary>Null: the credential the <c>Entra</c> section configures.</summary>
    public TokenCredential? GraphCredential { get; init; }

    public static EngineEnvironment Current => Scoped.Value ?? Process;

    /// <summary>Makes <paramref name="environment"/> current for this async flow until the result is disposed.</summary>
    public static IDisposable Use(EngineEnvironment environment)
    {
        var previous = Scoped.Value;
        Scoped.Value = environment;
        return new Restore(previous);
    }

    /// <summary>
    /// The host configuration <see cref="ComposedEngine.ComposeAsync"/> reads, naming <paramref name="configFile"/> and, when given,
    /// the command's state store (<see cref="StateStoreOptions.HostSettings"/>).
    /// </summary>
    public IConfiguration HostConfiguration(string configFile, StoreHostSettings? store = null) => new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddInMemoryCollection(Settings)
        .AddInMemoryCollection(store?.Settings ?? new Dictionary<string, string?>())
        .AddInMemoryCollection(ConfigFileOption.HostSettings(configFile))
        .Build();

    private sealed class Restore(EngineEnvironment? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }
}

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
    public static async Task<ConfiguredEngine> OpenAsync(
        ParseResult parseResult, ConfigFileOption config, StateStoreOptions storeOptions, CliConsole console, bool pimRequired, CancellationToken cancellationToken)
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
            // The composition would create a missing file: a command that steers PimBridge never starts an empty state.
            if (store.SqlitePath is { } sqlitePath && !File.Exists(sqlitePath))
                throw new CliInputException(StateStoreOptions.MissingSqliteFile(sqlitePath));
            var components = await ComposedEngine.ComposeAsync(environment.HostConfiguration(path, store), console.Clock, loggers, new ComposedEngineInputs
            {
                Stores = ShippedParts.Stores,
                Pim = pim,
                AwsCredentials = environment.AwsCredentials,
                WaitForOperations = true,
            }, cancellationToken).ConfigureAwait(false);
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

    /// <summary>PIM for a command that must work without it (an emergency revoke): any read fails with the reason.</summary>
    private sealed class UnavailablePimSource(string reason) : IPimSource
    {
        public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException($"PIM cannot be read: {reason}.");

        public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
            Task.FromResult<ActivationRequest?>(null);
    }
}

/// <summary>How the engine commands report a failure of AWS or Graph they cannot recover from: one line, what to do.</summary>
internal static class EngineFailure
{
    public static async Task<int> ReportAsync(CliConsole console, string message)
    {
        await console.Error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
        return ExitCodes.UnexpectedFailure;
    }
}
