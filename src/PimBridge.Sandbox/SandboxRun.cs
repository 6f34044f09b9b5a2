using System.Diagnostics;
using System.Globalization;
using PimBridge.Sandbox.Scenarios;

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
    private readonly Scenario _scenario;
    private readonly SandboxOptions _options;
    private readonly string _folder;
    private readonly SandboxTimeline _timeline;
    private readonly SandboxWorld _world;
    private readonly Stopwatch _total = Stopwatch.StartNew();

    private SandboxRun(Scenario scenario, SandboxOptions options, string folder)
    {
        _scenario = scenario;
        _options = options;
        _folder = folder;
        _timeline = new SandboxTimeline(options);
        _world = new SandboxWorld(scenario, options, folder, _timeline);
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

    private double Speed => _scenario.Speed;

    private async Task<SandboxReport> ExecuteAsync(CancellationToken cancellationToken)
    {
        await _world.StartAsync(cancellationToken).ConfigureAwait(false);
        var pim = new PimPlayback(_scenario, _options, _world, _timeline);
        var users = new UserActivity(_scenario, _world, _timeline, pim.Runs);

        _timeline.Emit(TimelineKind.Setup, $"Scenario '{_scenario.Name}' starts: {TimelineText.Minutes(_scenario.Steps.Max(s => s.At))} of scenario time at {Speed.ToString("0.#", CultureInfo.InvariantCulture)}x (a scenario minute takes {(60_000 / Speed).ToString("0", CultureInfo.InvariantCulture)} ms), quiet stretches skipped.", scenarioTime: false);
        _timeline.Begin(_world.Clock);
        for (var i = 0; i < _scenario.Steps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = _scenario.Steps[i];
            switch (step.Kind)
            {
                case ScenarioEventKind.Activate: await pim.ActivateAsync(Together(ref i), cancellationToken).ConfigureAwait(false); break;
                case ScenarioEventKind.Deactivate: await pim.DeactivateAsync(step, cancellationToken).ConfigureAwait(false); break;
                case ScenarioEventKind.Expire: await pim.ExpireAsync(Together(ref i), cancellationToken).ConfigureAwait(false); break;
                default: await users.ActAsync(step, cancellationToken).ConfigureAwait(false); break;
            }

            ReportEngineTrouble();
        }

        // A last scan, as the detector's next interval would do, then the end state.
        await users.ScanAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = await new OutcomeEvaluation(_scenario, _world, _timeline, pim.Runs, users.EventIds).EvaluateAsync(cancellationToken).ConfigureAwait(false);

        var scenarioTime = _timeline.Now;
        if (_options.KeepFolder)
            await File.WriteAllTextAsync(Path.Combine(_folder, "README.txt"), KeptFolderReadme(), cancellationToken).ConfigureAwait(false);
        return new SandboxReport(_scenario.Name, Speed, scenarioTime, _total.Elapsed, _options.KeepFolder ? _folder : null, outcomes, _timeline.Entries());
    }

    /// <summary>The step at <paramref name="i"/> and the ones after it of the same kind at the same time (a burst), played as one; moves <paramref name="i"/> to the last.</summary>
    private List<ScenarioEvent> Together(ref int i)
    {
        var first = _scenario.Steps[i];
        var together = new List<ScenarioEvent> { first };
        while (i + 1 < _scenario.Steps.Count && _scenario.Steps[i + 1] is { } next && next.Kind == first.Kind && next.At == first.At)
        {
            together.Add(next);
            i++;
        }

        return together;
    }

    private void ReportEngineTrouble()
    {
        var (failed, error) = _world.Engine.TakeTrouble();
        if (failed > 0)
            _timeline.Emit(TimelineKind.Problem, $"PimBridge retried {TimelineText.Count(failed, "failed AWS action")} (intents keep retrying with backoff).");
        if (error is not null)
            _timeline.Emit(TimelineKind.Problem, $"An engine tick failed: {error}");
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

    /// <summary>Stops everything the run started.</summary>
    public ValueTask DisposeAsync() => _world.DisposeAsync();
}
