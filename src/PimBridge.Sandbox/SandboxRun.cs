using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Trails;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Sandbox.Graph;
using PimBridge.Sandbox.Scenarios;
using PimBridge.Sandbox.Trails;
using PimBridge.Store.Sqlite;

namespace PimBridge.Sandbox;

/// <summary>
/// Runs a scenario end to end on one machine: a real moto_server seeded with the scenario's Identity Center, the
/// Graph PIM stub read by the real Graph SDK client, the real engine (Enforcer, Identity Center adapters, SQLite store
/// in a temporary folder) ticking in the background on an accelerated <see cref="SandboxClock"/>, and the real gap
/// detector reading an S3 organization trail the run writes into moto as the scenario's users act. The runner plays
/// PIM (activations, early deactivations, expiries, each announced by a change-notification hint) and the users
/// (their AWS calls, recorded as CloudTrail would), reads every outcome back from moto and the store, and stops
/// everything it started, whatever happens.
/// </summary>
public sealed class SandboxRun : IAsyncDisposable
{
    private const string Region = "us-east-1";
    private const string TrailBucket = "pimbridge-sandbox-trail";
    private const string Organization = "o-pimsandbox01";
    private static readonly AWSCredentials SandboxCredentials = new BasicAWSCredentials("sandbox", "sandbox");

    /// <summary>The configuration file as a user writes it: unset settings left out, so their defaults apply.</summary>
    private static readonly JsonSerializerOptions ConfigFileJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true };

    private readonly Scenario _scenario;
    private readonly SandboxOptions _options;
    private readonly string _folder;
    private readonly List<TimelineEntry> _timeline = [];
    private readonly Dictionary<ScenarioEvent, ActivationRun> _runs = [];
    private readonly Dictionary<int, string> _eventIds = [];
    private readonly Dictionary<string, string> _entraUsers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _entraGroups = new(StringComparer.Ordinal);
    private readonly Stopwatch _total = Stopwatch.StartNew();

    private MotoServer? _moto;
    private GraphStub? _graph;
    private SsoAdminClient? _ssoAdmin;
    private IdentityStoreClient? _identityStore;
    private AmazonS3Client? _s3;
    private IStateStore? _store;
    private ComposedEngine? _composed;
    private EngineLoop? _engine;
    private SandboxClock? _clock;
    private TimeSpan _zero;
    private Enforcer _enforcer = null!;
    private GapDetector _detector = null!;
    private PimTenant _tenant = null!;
    private SeededIdentityCenter _seeded = null!;
    private IdentityCenterReadBack _readBack = null!;

    private SandboxRun(Scenario scenario, SandboxOptions options, string folder)
    {
        _scenario = scenario;
        _options = options;
        _folder = folder;
    }

    /// <summary>Runs <paramref name="scenario"/> and reports what was expected and observed; never leaves anything running.</summary>
    /// <exception cref="SandboxPrerequisiteException">moto_server is missing or would not start.</exception>
    public static async Task<SandboxReport> RunAsync(Scenario scenario, SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var folder = Directory.CreateTempSubdirectory("pimbridge-sandbox-").FullName;
        var run = new SandboxRun(scenario, options, folder);
        try
        {
            return await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await run.DisposeAsync().ConfigureAwait(false);
            if (!options.KeepFolder)
                DeleteFolder(folder);
        }
    }

    private TimeSpan Now => _clock is null ? TimeSpan.Zero : _clock.Elapsed - _zero;

    private double Speed => _scenario.Speed;

    private void Emit(TimelineKind kind, string text, bool scenarioTime = true)
    {
        var entry = new TimelineEntry(scenarioTime && _clock is not null ? Now : null, kind, text);
        lock (_timeline) _timeline.Add(entry);
        _options.OnTimeline?.Invoke(entry);
    }

    private async Task<SandboxReport> ExecuteAsync(CancellationToken cancellationToken)
    {
        await StartEmulatorsAsync(cancellationToken).ConfigureAwait(false);
        await SeedAsync(cancellationToken).ConfigureAwait(false);
        await StartEngineAsync(cancellationToken).ConfigureAwait(false);

        Emit(TimelineKind.Setup, $"Scenario '{_scenario.Name}' starts: {TimelineText.Minutes(_scenario.Steps.Max(s => s.At))} of scenario time at {Speed.ToString("0.#", CultureInfo.InvariantCulture)}x (a scenario minute takes {(60_000 / Speed).ToString("0", CultureInfo.InvariantCulture)} ms), quiet stretches skipped.", scenarioTime: false);
        _zero = _clock!.Elapsed;
        foreach (var step in _scenario.Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (step.Kind)
            {
                case ScenarioEventKind.Activate: await ActivateAsync(step, cancellationToken).ConfigureAwait(false); break;
                case ScenarioEventKind.Deactivate: await DeactivateAsync(step, cancellationToken).ConfigureAwait(false); break;
                case ScenarioEventKind.Expire: await ExpireAsync(step, cancellationToken).ConfigureAwait(false); break;
                default: await ActAsync(step, cancellationToken).ConfigureAwait(false); break;
            }

            ReportEngineTrouble();
        }

        // A last scan, as the detector's next interval would do, then the end state.
        await ScanAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = new List<SandboxOutcome>();
        foreach (var expectation in _scenario.Expectations)
            outcomes.Add(await EvaluateAsync(expectation, cancellationToken).ConfigureAwait(false));
        foreach (var activity in _scenario.Timeline.Where(e => e.ExpectAlert is not null))
            outcomes.Add(await EvaluateAlertAsync(activity, cancellationToken).ConfigureAwait(false));

        var scenarioTime = Now;
        if (_options.KeepFolder)
            await File.WriteAllTextAsync(Path.Combine(_folder, "README.txt"), KeptFolderReadme(), cancellationToken).ConfigureAwait(false);
        return new SandboxReport(_scenario.Name, Speed, scenarioTime, _total.Elapsed, _options.KeepFolder ? _folder : null, outcomes, Timeline());
    }

    private IReadOnlyList<TimelineEntry> Timeline()
    {
        lock (_timeline) return [.. _timeline];
    }

    // ---------------------------------------------------------------- setup

    private async Task StartEmulatorsAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        Emit(TimelineKind.Setup, "Starting moto_server (the AWS emulator) and the Graph PIM stub on loopback ports...", scenarioTime: false);
        var graph = GraphStub.StartAsync();
        try
        {
            _moto = await MotoServer.StartAsync(_options.MotoStartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            throw new SandboxPrerequisiteException(e.Message, e);
        }
        finally
        {
            _graph = await graph.ConfigureAwait(false);
        }

        Emit(TimelineKind.Setup, $"moto_server on {_moto!.Endpoint}, Graph stub on {_graph!.BaseUrl} ({started.ElapsedMilliseconds} ms).", scenarioTime: false);
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var credentials = SandboxCredentials;
        _ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = Region, Endpoint = _moto!.Endpoint, Credentials = credentials, RequestsPerSecond = 200 });
        _identityStore = new IdentityStoreClient(new IdentityStoreClientOptions { Region = Region, Endpoint = _moto.Endpoint, Credentials = credentials, RequestsPerSecond = 200 });
        _seeded = await new IdentityCenterSeed(_ssoAdmin, _identityStore).SeedAsync(_scenario, cancellationToken).ConfigureAwait(false);
        _readBack = new IdentityCenterReadBack(_ssoAdmin, _identityStore, _seeded);

        _s3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = _moto.Endpoint.ToString(), AuthenticationRegion = Region, ForcePathStyle = true });
        await _s3.PutBucketAsync(new PutBucketRequest { BucketName = TrailBucket }, cancellationToken).ConfigureAwait(false);

        _tenant = new PimTenant(_graph!);
        foreach (var group in _scenario.Groups)
        {
            _entraGroups[group.Name] = Guid.NewGuid().ToString();
            _tenant.AddGroup(_entraGroups[group.Name]);
        }

        foreach (var user in _scenario.Users)
        {
            _entraUsers[user.Name] = Guid.NewGuid().ToString();
            _tenant.AddUser(_entraUsers[user.Name], user.UserName, user.UserName);
        }

        var assignments = _scenario.IdentityCenterGroups.Sum(g => g.Assignments.Sum(a => a.Accounts.Count));
        var policies = _scenario.PermissionSets.Where(p => p.CustomerPolicy is not null).Select(p => p.Name).ToList();
        Emit(TimelineKind.Setup,
            $"Seeded Identity Center {_seeded.InstanceArn}: {TimelineText.Count(_scenario.Users.Count, "user")} ({string.Join(", ", _scenario.Users.Select(u => u.UserName))}), "
            + $"{TimelineText.Count(_scenario.IdentityCenterGroups.Count, "group")}, permission sets {string.Join(", ", _scenario.PermissionSets.Select(p => $"{p.Name} ({TimelineText.Minutes(p.SessionDuration)} sessions)"))}, "
            + $"{TimelineText.Count(assignments, "group account assignment")}"
            + (policies.Count > 0 ? $", a customer inline policy on {string.Join(", ", policies)}" : "")
            + $"; PIM has {TimelineText.Count(_scenario.Groups.Count, "group")} ({string.Join(", ", _scenario.Groups.Select(g => g.Name))}) ({started.ElapsedMilliseconds} ms).",
            scenarioTime: false);
    }

    private async Task StartEngineAsync(CancellationToken cancellationToken)
    {
        var origin = DateTimeOffset.UtcNow;
        _clock = new SandboxClock(new DateTimeOffset(origin.Year, origin.Month, origin.Day, origin.Hour, origin.Minute, 0, TimeSpan.Zero), Speed);
        // The engine is composed exactly as a deployed host composes it (ComposedEngine, from a configuration file and
        // keys), over moto at PimBridge:AwsEndpoint and the Graph stub as the PIM source.
        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = _seeded.InstanceArn, IdentityStoreId = _seeded.IdentityStoreId, Region = Region },
            Mappings = [.. _scenario.Groups.Select(g => new MappingOptions
            {
                Name = g.Name,
                EntraGroupId = _entraGroups[g.Name],
                FenceSessions = g.FenceSessions,
                AccountAssignments = g.PermissionSet is { } ps ? new() { PermissionSet = ps, Accounts = [.. g.Accounts] } : null,
                IdentityCenterGroup = g.IdentityCenterGroup is { } ic ? new() { DisplayName = ic } : null,
            })],
            Gaps = new()
            {
                Source = new()
                {
                    Type = TrailSources.S3, Bucket = TrailBucket, OrganizationId = Organization, Regions = [TrailJson.Region],
                    IdentityCenterAccountId = TrailJson.IdentityCenterAccount,
                },
            },
        };
        var configFile = Path.Combine(_folder, "pimbridge.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(options, ConfigFileJson), cancellationToken).ConfigureAwait(false);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [CompositionSettings.ConfigFileKey] = configFile,
            [CompositionSettings.StoreKey] = CompositionSettings.DefaultStore,
            [CompositionSettings.SqlitePathKey] = Path.Combine(_folder, "state.db"),
            [CompositionSettings.AwsEndpointKey] = _moto!.Endpoint.ToString(),
        }).Build();
        var pim = new GraphPimSource(StubCredential.ClientFor(_graph!), NullLogger<GraphPimSource>.Instance, _clock);
        _composed = await ComposedEngine.ComposeAsync(configuration, _clock, NullLoggerFactory.Instance, new ComposedEngineInputs
        {
            Stores = [new SqliteStoreFactory()], Pim = pim, AwsCredentials = SandboxCredentials,
        }, cancellationToken).ConfigureAwait(false);
        _store = _composed.Store;
        _enforcer = _composed.Enforcer;
        _detector = _composed.Gaps ?? throw new InvalidOperationException("The sandbox's configuration names a trail source, so the composed engine has a gap detector.");
        _engine = EngineLoop.Start(_enforcer);
        Emit(TimelineKind.Setup, $"PimBridge's engine is running: Enforcer over Identity Center on moto, PIM read with the Graph SDK from the stub, state in {Path.Combine(_folder, "state.db")}, gap detector on s3://{TrailBucket}/AWSLogs/{Organization}/.", scenarioTime: false);
    }

    private void ReportEngineTrouble()
    {
        var (failed, error) = _engine!.TakeTrouble();
        if (failed > 0)
            Emit(TimelineKind.Problem, $"PimBridge retried {TimelineText.Count(failed, "failed AWS action")} (intents keep retrying with backoff).");
        if (error is not null)
            Emit(TimelineKind.Problem, $"An engine tick failed: {error}");
    }

    /// <summary>Waits until the engine has run a whole tick that found nothing to do, so skipping time cannot overtake its work.</summary>
    private Task WaitIdleAsync(CancellationToken cancellationToken) => _engine!.WaitIdleAsync(_options.StepTimeout, cancellationToken);

    private async Task<T?> WaitForAsync<T>(Func<CancellationToken, Task<T?>> probe, CancellationToken cancellationToken)
        where T : class
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await probe(cancellationToken).ConfigureAwait(false) is { } value)
                return value;
            if (waited.Elapsed > _options.StepTimeout)
                return null;
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private void SkipTo(TimeSpan at) => _clock!.SkipTo(_zero + at);

    private TimeSpan ScenarioTime(DateTimeOffset time) => time - _clock!.Origin - _zero;

    private DateTimeOffset Wall(TimeSpan at) => _clock!.Origin + _zero + at;

    /// <summary>Real milliseconds between two engine times on the scenario clock.</summary>
    private string RealMs(DateTimeOffset from, DateTimeOffset to) =>
        Math.Max(0, (to - from).TotalMilliseconds / Speed).ToString("0", CultureInfo.InvariantCulture) + " ms";

    // ---------------------------------------------------------------- PIM


    private async Task ActivateAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        SkipTo(step.At);
        var user = _scenario.User(step.User);
        var group = _scenario.Group(step.Group!);
        var start = _clock!.GetUtcNow();
        var run = new ActivationRun { Event = step, InstanceId = Guid.NewGuid().ToString(), Start = start, End = start + step.For!.Value };
        _runs[step] = run;
        _tenant.AddInstance(GraphJson.Instance(run.InstanceId, _entraUsers[user.Name], _entraGroups[group.Name], start: GraphTime(run.Start), end: GraphTime(run.End)));
        Emit(TimelineKind.Pim, $"PIM: {user.Name} activates {group.Name} for {TimelineText.Minutes(step.For.Value)} (until {ReaderShow(ScenarioTime(run.End))}); Graph's change notification reaches PimBridge.");
        await _enforcer.HintAsync(_entraGroups[group.Name], cancellationToken).ConfigureAwait(false);

        var grant = await WaitForAsync(async ct => (await GrantOfAsync(run, ct).ConfigureAwait(false)) is { AccessConfirmedAt: not null } g ? g : null, cancellationToken).ConfigureAwait(false);
        if (grant is null)
        {
            Emit(TimelineKind.Problem, $"{user.Name} got no AWS access within {_options.StepTimeout.TotalSeconds:0} s of the activation.");
            return;
        }

        run.Grant = grant;
        var reached = await _readBack.TargetsReachedAsync(user.Name, group, cancellationToken).ConfigureAwait(false);
        var missing = IdentityCenterReadBack.Targets(group).Except(reached).Select(t => $"{t.PermissionSet} in {t.Account}").ToList();

        var latency = RealMs(run.Start, grant.AccessConfirmedAt!.Value);
        if (missing.Count > 0)
        {
            Emit(TimelineKind.Problem, $"The engine confirmed {user.Name}'s access, but Identity Center does not show {string.Join(", ", missing)}.");
            return;
        }

        run.Granted = $"granted in {latency}";
        Emit(TimelineKind.Engine, $"activation → AWS access in {latency}: {Describe(group)} (read back from Identity Center).");
        await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DeactivateAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        SkipTo(step.At);
        var run = _runs.Values.Last(r => r.Event.User == step.User && r.Event.Group == step.Group && !r.Ended);
        var at = _clock!.GetUtcNow();
        _tenant.RemoveInstance(run.InstanceId);
        Emit(TimelineKind.Pim, $"PIM: {step.User} deactivates {step.Group} early; Graph's change notification reaches PimBridge.");
        await _enforcer.HintAsync(_entraGroups[step.Group!], cancellationToken).ConfigureAwait(false);
        await EndAsync(run, at, "deactivation", cancellationToken).ConfigureAwait(false);
    }

    private async Task ExpireAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        var run = _runs[step.Activation!];
        if (run.Ended) return;
        SkipTo(ScenarioTime(run.End));
        _tenant.RemoveInstance(run.InstanceId); // PIM stops listing an expired instance
        Emit(TimelineKind.Pim, $"PIM: {step.User}'s activation of {step.Group} expires.");
        await EndAsync(run, run.End, "expiry", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the engine to end the grant, remove its access and confirm its fences, then reads it all back.</summary>
    private async Task EndAsync(ActivationRun run, DateTimeOffset endedAt, string what, CancellationToken cancellationToken)
    {
        run.Ended = true;
        run.EndedBy = endedAt;
        var user = _scenario.User(run.Event.User);
        var group = _scenario.Group(run.Event.Group!);
        if (run.Grant is null)
        {
            Emit(TimelineKind.Problem, $"{user.Name} never had access through {group.Name}, so there is nothing to remove.");
            return;
        }

        var settled = await WaitForAsync(ct => SettledEndAsync(run.Grant.Id, ct), cancellationToken).ConfigureAwait(false);
        if (settled is null)
        {
            Emit(TimelineKind.Problem, $"The engine did not finish removing {user.Name}'s access through {group.Name} within {_options.StepTimeout.TotalSeconds:0} s of the {what}.");
            return;
        }

        var (grant, removedAt, fences) = settled;
        run.Grant = grant;
        run.EndReason = grant.EndReason;
        var stillThere = (await _readBack.TargetsReachedAsync(user.Name, group, cancellationToken).ConfigureAwait(false))
            .Select(t => $"{t.PermissionSet} in {t.Account}").ToList();

        if (stillThere.Count > 0)
            Emit(TimelineKind.Problem, $"After the {what}, Identity Center still shows {user.Name} with {string.Join(", ", stillThere)}.");
        else
            run.Removed = $"removed ({grant.EndReason}) in {RealMs(endedAt, removedAt ?? endedAt)}";

        var fenced = new List<string>();
        foreach (var fence in fences)
        {
            var name = fence.PermissionSetName ?? fence.PermissionSetArn;
            if (!await _readBack.FenceInPolicyAsync(fence, cancellationToken).ConfigureAwait(false))
            {
                Emit(TimelineKind.Problem, $"The engine confirmed a fence on {name} for {user.Name}, but the permission set's inline policy in Identity Center has no statement for them.");
                continue;
            }

            run.Fences.Add((fence, $"fenced in {RealMs(endedAt, fence.ActiveSince!.Value)}"));
            fenced.Add($"{name} in {string.Join(", ", fence.Accounts)}");
        }

        var cutoff = fences.Count > 0 ? $"; sessions issued before {TimelineText.Clock(fences.Max(f => f.Cutoff))} are denied" : "";
        var total = fences.Count > 0 ? fences.Max(f => f.ActiveSince!.Value) : removedAt ?? endedAt;
        Emit(TimelineKind.Engine, stillThere.Count > 0
            ? $"{what} → fence in {RealMs(endedAt, total)}, but the removal did not show in Identity Center."
            : fenced.Count > 0
                ? $"{what} → removal and fence in {RealMs(endedAt, total)} (removed after {RealMs(endedAt, removedAt ?? endedAt)}; fenced {string.Join("; ", fenced)}{cutoff})."
                : $"{what} → removal in {RealMs(endedAt, removedAt ?? endedAt)} ({(group.FenceSessions ? "no session fence was needed" : "this mapping does not fence sessions")}).");
        await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The grant once it ended, every entitlement it held is removed (or held by another grant), and its fences are confirmed.</summary>
    private async Task<SettledEnd?> SettledEndAsync(string grantId, CancellationToken cancellationToken)
    {
        var grant = await _store!.GetGrantAsync(grantId, cancellationToken).ConfigureAwait(false);
        if (grant is not { State: GrantState.Ended, EndedAt: { } ended })
            return null;
        DateTimeOffset? removedAt = null;
        foreach (var key in grant.EntitlementKeys)
        {
            var entry = await _store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (entry is null || entry.IsHeld) continue;
            if (entry.Status != EntitlementStatus.Removed) return null;
            if (entry.RemovedAt is { } r && (removedAt is null || r > removedAt)) removedAt = r;
        }

        var fences = (await _store.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false))
            .Where(f => f.UserId == grant.User.UserId && f.CreatedAt >= ended).ToList();
        if (fences.Any(f => f.ActiveSince is null))
            return null;
        return new SettledEnd(grant, removedAt, fences);
    }

    private sealed record SettledEnd(Grant Grant, DateTimeOffset? RemovedAt, IReadOnlyList<SessionFence> Fences);

    private async Task<Grant?> GrantOfAsync(ActivationRun run, CancellationToken cancellationToken)
    {
        var userName = _scenario.User(run.Event.User).UserName;
        var grants = await _store!.ListGrantsAsync(activeOnly: false, userName, cancellationToken).ConfigureAwait(false);
        return grants.LastOrDefault(g => g.Mapping == run.Event.Group && g.ActivationId == run.InstanceId);
    }

    // ---------------------------------------------------------------- AWS activity

    private async Task ActAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        SkipTo(step.At);
        var user = _scenario.User(step.User);
        var userId = _seeded.UserIds[user.Name];
        var eventId = $"sandbox-{step.Index:00}-{Guid.NewGuid():N}"[..24];
        _eventIds[step.Index] = eventId;

        DateTimeOffset eventTime;
        string when;
        if (step.BeforeFence)
        {
            var placed = await BeforeFenceTimeAsync(step, cancellationToken).ConfigureAwait(false);
            if (placed is null)
            {
                Emit(TimelineKind.Problem, $"{user.Name}'s {Call(step)} could not be placed between the end of access and the fence: no ended grant with a confirmed fence on {step.PermissionSet} in {step.Account}, or the fence was confirmed within the same second.");
                return;
            }

            (eventTime, when) = placed.Value;
        }
        else
        {
            eventTime = CeilSecond(_clock!.GetUtcNow());
            SkipTo(ScenarioTime(eventTime)); // the record is never in the clock's future
            when = await WhenAsync(step, eventTime, cancellationToken).ConfigureAwait(false);
        }

        var sessionCreated = step.SessionIssued is { } issued
            ? CeilSecond(Wall(issued))
            : SessionIssued(step, eventTime);
        var record = step.Kind == ScenarioEventKind.GetRoleCredentials
            ? TrailJson.GetRoleCredentials(eventId, eventTime, userId, step.Account!, step.PermissionSet!, errorCode: step.Error)
            : TrailJson.RoleSessionCall(eventId, eventTime, step.Account!, step.PermissionSet!, user.UserName, userId: userId, sessionCreated: sessionCreated,
                eventSource: step.EventSource, eventName: step.EventName, errorCode: step.Error, region: TrailJson.Region);
        var recordedIn = step.Kind == ScenarioEventKind.GetRoleCredentials ? TrailJson.IdentityCenterAccount : step.Account!;
        await PutTrailFileAsync(recordedIn, eventTime, record, cancellationToken).ConfigureAwait(false);
        Emit(TimelineKind.Activity, $"{user.Name}: {Call(step)} {(step.Kind == ScenarioEventKind.GetRoleCredentials ? "for" : "as")} {step.PermissionSet} in {step.Account} at {TimelineText.Clock(eventTime)} → {(step.Error is null ? "succeeded" : step.Error)} {when}; CloudTrail delivers it to s3://{TrailBucket}.");

        if ((await _store!.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false)).Any(f => f.UserId == userId))
            await ScanAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the gap detector once, as its interval would, and prints what it raised.</summary>
    private async Task ScanAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var result = await _detector.ScanAsync(cancellationToken).ConfigureAwait(false);
        foreach (var alert in result.NewAlerts.OrderBy(a => a.EventTime))
        {
            var step = _eventIds.FirstOrDefault(e => e.Value == alert.EventId);
            var subject = step.Value is null ? alert.EventId : $"{alert.UserName}'s {TimelineText.Call(alert.EventSource, alert.EventName)}";
            Emit(TimelineKind.Alert, $"activity after expiry → alert {GapAlert.ClassName(alert.Class)} ({TimelineText.Severity(alert.Severity)}) in {started.ElapsedMilliseconds} ms: {subject} {TimelineText.Minutes(alert.AfterExpiry)} after the end ({result.Stats.Files} new trail {(result.Stats.Files == 1 ? "file" : "files")} read).");
        }
    }

    /// <summary>Where an activity falls against the user's access: during a grant, or how long after one ended and whether it was fenced.</summary>
    private async Task<string> WhenAsync(ScenarioEvent step, DateTimeOffset eventTime, CancellationToken cancellationToken)
    {
        var relevant = RunsReaching(step).ToList();
        if (relevant.Any(r => !r.Ended && r.Start <= eventTime))
            return "(during the grant: no alert expected)";
        var ended = LatestEnded(relevant);
        if (ended is null)
            return "(with no PimBridge grant behind it)";
        var fence = (await ConfirmedFencesAsync(step, cancellationToken).ConfigureAwait(false)).MaxBy(f => f.ActiveSince);
        var after = $"{TimelineText.Minutes(eventTime - ended.Grant!.EndedAt!.Value)} after the {(ended.Grant.EndReason == EndReasons.Expired ? "expiry" : "end")}";
        return fence is null ? $"({after})" : $"({after}, {(eventTime >= fence.ActiveSince ? "after" : "before")} the fence was confirmed)";
    }

    /// <summary>The user's activations whose group gives them the activity's permission set in its account.</summary>
    private IEnumerable<ActivationRun> RunsReaching(ScenarioEvent step) =>
        _runs.Values.Where(r => r.Event.User == step.User && _scenario.Group(r.Event.Group!).Reaches(step.PermissionSet!, step.Account!));

    /// <summary>The run whose grant the engine ended last, or null while none has ended.</summary>
    private static ActivationRun? LatestEnded(IEnumerable<ActivationRun> runs) =>
        runs.Where(r => r.Ended && r.Grant?.EndedAt is not null).MaxBy(r => r.Grant!.EndedAt);

    /// <summary>The confirmed fences, lifted or not, on the activity's user for its permission set in its account.</summary>
    private async Task<IEnumerable<SessionFence>> ConfirmedFencesAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        var userId = _seeded.UserIds[step.User];
        return (await _store!.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false))
            .Where(f => f.UserId == userId && f.PermissionSetName == step.PermissionSet && f.Accounts.Contains(step.Account!) && f.ActiveSince is not null);
    }

    /// <summary>A second strictly between the user's latest end of access to the permission set and its fence's confirmation.</summary>
    private async Task<(DateTimeOffset Time, string When)?> BeforeFenceTimeAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        var ended = LatestEnded(RunsReaching(step));
        if (ended is null) return null;
        var end = ended.Grant!.EndedAt!.Value;
        var fence = (await ConfirmedFencesAsync(step, cancellationToken).ConfigureAwait(false))
            .Where(f => f.CreatedAt >= end)
            .MinBy(f => f.CreatedAt);
        if (fence is null) return null;
        var fencedAt = fence.ActiveSince!.Value;
        var time = CeilSecond(end + (fencedAt - end) / 2);
        if (time <= end || time >= fencedAt) time = CeilSecond(end.AddTicks(1));
        if (time <= end || time >= fencedAt) return null;
        return (time, $"({TimelineText.Minutes(time - end)} after the end, {TimelineText.Minutes(fencedAt - time)} before the fence was confirmed)");
    }

    /// <summary>By default a session is as old as the user's access: issued the second it went live.</summary>
    private DateTimeOffset SessionIssued(ScenarioEvent step, DateTimeOffset eventTime)
    {
        var live = RunsReaching(step)
            .Where(r => r.Grant?.AccessConfirmedAt is { } a && a <= eventTime)
            .Select(r => r.Grant!.AccessConfirmedAt!.Value)
            .DefaultIfEmpty(eventTime.AddMinutes(-1))
            .Max();
        return CeilSecond(live);
    }

    private async Task PutTrailFileAsync(string account, DateTimeOffset delivered, JsonObject record, CancellationToken cancellationToken)
    {
        var unique = Guid.NewGuid().ToString("N")[..16];
        var key = TrailJson.OrganizationTrailKey(Organization, account, TrailJson.Region, delivered, unique);
        var content = TrailJson.Gzip(TrailJson.File([record]));
        using (var body = new MemoryStream(content))
            await _s3!.PutObjectAsync(new PutObjectRequest { BucketName = TrailBucket, Key = key, InputStream = body }, cancellationToken).ConfigureAwait(false);

        // A copy for `pimbridge scan` when the folder is kept.
        var local = Path.Combine(_folder, "trail", key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        await File.WriteAllBytesAsync(local, content, cancellationToken).ConfigureAwait(false);
    }

    private static string Describe(ScenarioGroup group) =>
        (group.IdentityCenterGroup is { } ic ? $"member of {ic}: " : "") + string.Join(", ", group.Reach.Select(r => $"{r.PermissionSet} in {string.Join(", ", r.Accounts)}"));

    // ---------------------------------------------------------------- outcomes

    private async Task<SandboxOutcome> EvaluateAsync(ScenarioExpectation expectation, CancellationToken cancellationToken)
    {
        var name = ScenarioExpectation.KindName(expectation.Kind);
        switch (expectation.Kind)
        {
            case ExpectationKind.AccessGranted:
            {
                var runs = RunsOf(expectation.User!, expectation.Group!);
                var seen = runs.FirstOrDefault(r => r.Granted is not null);
                return new SandboxOutcome(name, $"{expectation.User} via {expectation.Group}", "granted",
                    seen?.Granted ?? (runs.Count == 0 ? "never activated" : "no access"), seen is not null);
            }

            case ExpectationKind.AccessRemoved:
            {
                var runs = RunsOf(expectation.User!, expectation.Group!);
                var seen = runs.FirstOrDefault(r => r.Removed is not null && (expectation.Reason is null || r.EndReason == expectation.Reason));
                var other = runs.FirstOrDefault(r => r.Removed is not null);
                var observed = seen?.Removed ?? other?.Removed ?? (runs.Any(r => r.Ended) ? "still in Identity Center" : "access never ended");
                return new SandboxOutcome(name, $"{expectation.User} via {expectation.Group}", expectation.Reason is null ? "removed" : $"removed ({expectation.Reason})", observed, seen is not null);
            }

            case ExpectationKind.SessionsFenced:
            {
                var fence = _runs.Values.Where(r => r.Event.User == expectation.User)
                    .SelectMany(r => r.Fences).FirstOrDefault(f => f.Fence.PermissionSetArn == _seeded.PermissionSetArns[expectation.PermissionSet!]);
                var observed = fence.Fence is null ? "no fence" : $"{fence.Observed} ({string.Join(", ", fence.Fence.Accounts)})";
                return new SandboxOutcome(name, $"{expectation.User} on {expectation.PermissionSet}", "fenced", observed, fence.Fence is not null);
            }

            default:
            {
                var ps = _scenario.PermissionSet(expectation.PermissionSet!);
                var current = await _readBack.InlinePolicyAsync(_seeded.PermissionSetArns[ps.Name], cancellationToken).ConfigureAwait(false);
                var wanted = FencePolicy.CustomerStatements(ps.CustomerPolicy);
                var kept = current is not null && FencePolicy.CustomerStatements(current) is var have
                    && wanted.All(w => have.Any(h => JsonNode.DeepEquals(h, w)));
                var fences = current is null ? 0 : (JsonNode.Parse(current)?["Statement"] as JsonArray)?.OfType<JsonObject>()
                    .Count(s => s["Sid"]?.GetValue<string>().StartsWith(FencePolicy.SidPrefix, StringComparison.Ordinal) == true) ?? 0;
                var observed = kept
                    ? $"{TimelineText.Count(wanted.Count, "customer statement")} unchanged beside {TimelineText.Count(fences, "PimBridge fence statement")}"
                    : current is null ? "the inline policy is gone" : "customer statements changed or missing";
                Emit(TimelineKind.Check, $"{ps.Name}'s inline policy in Identity Center: {observed}.");
                return new SandboxOutcome(name, ps.Name, "customer statements unchanged", observed, kept);
            }
        }
    }

    private async Task<SandboxOutcome> EvaluateAlertAsync(ScenarioEvent activity, CancellationToken cancellationToken)
    {
        var subject = $"{activity.User}'s {Call(activity)} at {ReaderShow(activity.At)}";
        string observed;
        if (!_eventIds.TryGetValue(activity.Index, out var eventId))
        {
            observed = "not recorded";
        }
        else
        {
            var alert = await _store!.GetAlertAsync(GapAlert.AlertId(eventId), cancellationToken).ConfigureAwait(false);
            observed = alert is null ? "none" : $"{alert.Kind[GapAlert.KindPrefix.Length..]} ({TimelineText.Severity(alert.Severity)})";
        }

        var expected = activity.ExpectAlert!;
        var met = expected == "none" ? observed == "none" : observed.StartsWith(expected + " ", StringComparison.Ordinal);
        return new SandboxOutcome("alert", subject, expected, observed, met);
    }

    private List<ActivationRun> RunsOf(string user, string group) =>
        _runs.Values.Where(r => r.Event.User == user && r.Event.Group == group).ToList();

    // ---------------------------------------------------------------- formats

    private static string Call(ScenarioEvent e) => TimelineText.Call(e.EventSource, e.EventName);

    private static string ReaderShow(TimeSpan at) => ScenarioReader.Show(at);

    private static string GraphTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset CeilSecond(DateTimeOffset time)
    {
        var floor = new DateTimeOffset(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return floor == time ? floor : floor.AddSeconds(1);
    }

    private string KeptFolderReadme() => $"""
        PimBridge sandbox run of scenario '{_scenario.Name}', kept with --keep.

        state.db   PimBridge's SQLite state: grants, ledger, intents, session fences, alerts, the audit chain.
        trail/     Copies of the CloudTrail files the run wrote to moto's S3 (organization trail layout).

        Look again with:
          pimbridge scan "{Path.Combine(_folder, "trail")}" --store "{Path.Combine(_folder, "state.db")}"
        """;

    private static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file still held open (antivirus, an indexer) must not turn a finished run into a failure; it is a temp folder.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null) await _engine.DisposeAsync().ConfigureAwait(false);
        _s3?.Dispose();
        if (_composed?.Resources is { } composed) await composed.DisposeAsync().ConfigureAwait(false);
        _ssoAdmin?.Dispose();
        _identityStore?.Dispose();
        if (_graph is not null) await _graph.DisposeAsync().ConfigureAwait(false);
        if (_moto is not null) await _moto.DisposeAsync().ConfigureAwait(false);
    }
}
