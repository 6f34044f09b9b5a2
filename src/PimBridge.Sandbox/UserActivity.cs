using System.Diagnostics;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using PimBridge.Sandbox.Scenarios;
using PimBridge.Sandbox.Trails;

namespace PimBridge.Sandbox;

/// <summary>
/// Plays the scenario's users: each AWS call becomes a CloudTrail record delivered to the organization trail in moto's
/// S3 (and copied into the working folder), placed against the user's access as the scenario asks; then runs the gap
/// detector once, as its interval would, and prints what it raised.
/// </summary>
internal sealed class UserActivity(Scenario scenario, SandboxWorld world, SandboxTimeline timeline, IReadOnlyCollection<ActivationRun> runs)
{
    private readonly Scenario _scenario = scenario;
    private readonly SandboxWorld _world = world;
    private readonly SandboxTimeline _timeline = timeline;
    private readonly IReadOnlyCollection<ActivationRun> _runs = runs;
    private readonly Dictionary<int, string> _eventIds = [];

    /// <summary>The CloudTrail event id each recorded activity got, by its step's index.</summary>
    public IReadOnlyDictionary<int, string> EventIds => _eventIds;

    public async Task ActAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        _timeline.SkipTo(step.At);
        var user = _scenario.User(step.User);
        var userId = _world.Seeded.UserIds[user.Name];
        var eventId = $"sandbox-{step.Index:00}-{Guid.NewGuid():N}"[..24];
        _eventIds[step.Index] = eventId;

        DateTimeOffset eventTime;
        string when;
        if (step.BeforeFence)
        {
            var placed = await BeforeFenceTimeAsync(step, cancellationToken).ConfigureAwait(false);
            if (placed is null)
            {
                _timeline.Emit(TimelineKind.Problem, $"{user.Name}'s {TimelineText.Call(step)} could not be placed between the end of access and the fence: no ended grant with a confirmed fence on {step.PermissionSet} in {step.Account}, or the fence was confirmed within the same second.");
                return;
            }

            (eventTime, when) = placed.Value;
        }
        else
        {
            eventTime = CeilSecond(_world.Clock.GetUtcNow());
            _timeline.SkipTo(_timeline.ScenarioTime(eventTime)); // the record is never in the clock's future
            when = await WhenAsync(step, eventTime, cancellationToken).ConfigureAwait(false);
        }

        var sessionCreated = step.SessionIssued is { } issued
            ? CeilSecond(_timeline.Wall(issued))
            : SessionIssued(step, eventTime);
        var record = step.Kind == ScenarioEventKind.GetRoleCredentials
            ? TrailJson.GetRoleCredentials(eventId, eventTime, userId, step.Account!, step.PermissionSet!, errorCode: step.Error)
            : TrailJson.RoleSessionCall(eventId, eventTime, step.Account!, step.PermissionSet!, user.UserName, userId: userId, sessionCreated: sessionCreated,
                eventSource: step.EventSource, eventName: step.EventName, errorCode: step.Error, region: TrailJson.Region);
        var recordedIn = step.Kind == ScenarioEventKind.GetRoleCredentials ? TrailJson.IdentityCenterAccount : step.Account!;
        await PutTrailFileAsync(recordedIn, eventTime, record, cancellationToken).ConfigureAwait(false);
        _timeline.Emit(TimelineKind.Activity, $"{user.Name}: {TimelineText.Call(step)} {(step.Kind == ScenarioEventKind.GetRoleCredentials ? "for" : "as")} {step.PermissionSet} in {step.Account} at {TimelineText.Clock(eventTime)} → {(step.Error is null ? "succeeded" : step.Error)} {when}; CloudTrail delivers it to s3://{SandboxWorld.TrailBucket}.");

        if ((await _world.Store.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false)).Any(f => f.UserId == userId))
            await ScanAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the gap detector once, as its interval would, and prints what it raised.</summary>
    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var result = await _world.Detector.ScanAsync(cancellationToken).ConfigureAwait(false);
        foreach (var alert in result.NewAlerts.OrderBy(a => a.EventTime))
        {
            var step = _eventIds.FirstOrDefault(e => e.Value == alert.EventId);
            var subject = step.Value is null ? alert.EventId : $"{alert.UserName}'s {TimelineText.Call(alert.EventSource, alert.EventName)}";
            _timeline.Emit(TimelineKind.Alert, $"activity after expiry → alert {GapAlert.ClassName(alert.Class)} ({TimelineText.Severity(alert.Severity)}) in {started.ElapsedMilliseconds} ms: {subject} {TimelineText.Minutes(alert.AfterExpiry)} after the end ({result.Stats.Files} new trail {(result.Stats.Files == 1 ? "file" : "files")} read).");
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
        _runs.Where(r => r.Event.User == step.User && _scenario.Group(r.Event.Group!).Reaches(step.PermissionSet!, step.Account!));

    /// <summary>The run whose grant the engine ended last, or null while none has ended.</summary>
    private static ActivationRun? LatestEnded(IEnumerable<ActivationRun> runs) =>
        runs.Where(r => r.Ended && r.Grant?.EndedAt is not null).MaxBy(r => r.Grant!.EndedAt);

    /// <summary>The confirmed fences, lifted or not, on the activity's user for its permission set in its account.</summary>
    private async Task<IEnumerable<SessionFence>> ConfirmedFencesAsync(ScenarioEvent step, CancellationToken cancellationToken)
    {
        var userId = _world.Seeded.UserIds[step.User];
        return (await _world.Store.ListFencesAsync(openOnly: false, cancellationToken).ConfigureAwait(false))
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
        var key = TrailJson.OrganizationTrailKey(SandboxWorld.Organization, account, TrailJson.Region, delivered, unique);
        var content = TrailJson.Gzip(TrailJson.File([record]));
        using (var body = new MemoryStream(content))
            await _world.S3.PutObjectAsync(new PutObjectRequest { BucketName = SandboxWorld.TrailBucket, Key = key, InputStream = body }, cancellationToken).ConfigureAwait(false);

        // A copy for `pimbridge scan` when the folder is kept.
        var local = Path.Combine(_world.Folder, "trail", key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        await File.WriteAllBytesAsync(local, content, cancellationToken).ConfigureAwait(false);
    }

    private static DateTimeOffset CeilSecond(DateTimeOffset time)
    {
        var floor = new DateTimeOffset(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return floor == time ? floor : floor.AddSeconds(1);
    }
}
