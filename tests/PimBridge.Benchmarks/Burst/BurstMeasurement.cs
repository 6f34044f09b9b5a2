using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// Reads a phase's figures back from what the engine stamped (grants, ledger, fences, audit) and what crossed the wire,
/// and prints them: a human report and one <c>result:</c> line of key=value pairs per phase, for tables.
/// </summary>
internal sealed class BurstMeasurement(BurstAws aws, IStateStore store, EngineLoop loop, int grantsPerActivation)
{
    /// <summary>When the written fences became active, after the end: first, median and last, and the distinct times (policy updates).</summary>
    private static string FenceTimes(List<SessionFence> active, DateTimeOffset end)
    {
        var times = active.Select(f => (f.ActiveSince!.Value - end).TotalSeconds).Order().ToList();
        var updates = times.Select(t => Math.Round(t, 1)).Distinct().ToList();
        return Invariant($"the first {times[0]:0.00} s, half by {times[times.Count / 2]:0.00} s, the last {times[^1]:0.00} s (in {updates.Count} updates: {string.Join(", ", updates.Take(12).Select(t => Invariant($"{t:0.0}")))}{(updates.Count > 12 ? ", ..." : "")} s)");
    }

    private static readonly string[] FenceWrites = ["PutInlinePolicyToPermissionSet", "ProvisionPermissionSet"];
    private long _auditFrom = 1;

    /// <summary>
    /// When each fence write and provisioning was sent, in seconds after the end, × when refused: how long a write waited
    /// for its turn, and how often turns came.
    /// </summary>
    private void PrintPolicyTimeline(DateTimeOffset end)
    {
        var timeline = aws.Wire.Timeline;
        string At(DateTimeOffset at) => Invariant($"{(at - end).TotalSeconds:0.0}");
        var writes = timeline.Where(s => FenceWrites.Contains(s.Operation))
            .Select(s => $"{At(s.At)} {(s.Operation == "ProvisionPermissionSet" ? "provision" : "put")}{(s.Error is null ? "" : " ×")}");
        Console.WriteLine($"  policy calls (s after the end; × refused): {string.Join(", ", writes)}");
    }

    /// <summary>
    /// How much of sso-admin's request budget the drain used, second by second after the end: the seconds that sent
    /// under nine tenths of the quota, with how many of their calls were deletions, show where the drain lost its pace
    /// (a turn's held deletions, the ramp, the tail).
    /// </summary>
    private void PrintBudgetUse(DateTimeOffset end, double last, double quota)
    {
        var seconds = (int)Math.Ceiling(last);
        var calls = new int[seconds];
        var deletes = new int[seconds];
        foreach (var sent in aws.Wire.Timeline)
        {
            var at = (int)Math.Floor((sent.At - end).TotalSeconds);
            if (at < 0 || at >= seconds || aws.Wire.IsIdentityStore(sent.Operation)) continue;
            calls[at]++;
            if (sent.Operation == "DeleteAccountAssignment") deletes[at]++;
        }

        var unused = calls.Sum(c => Math.Max(0, quota - c));
        var slow = Enumerable.Range(0, seconds).Where(s => calls[s] < 0.9 * quota).Select(s => Invariant($"{s}:{calls[s]}/{deletes[s]}")).ToList();
        Console.WriteLine(Invariant($"  sso-admin budget: {calls.Sum()} calls in {seconds} s ({calls.Sum() / (quota * seconds):P1} of {quota:0}/s); unused {unused:0} calls ({unused / quota:0.0} s); ") +
            $"seconds under 90 % (s:calls/deletions): {(slow.Count == 0 ? "none" : string.Join(" ", slow))}");
    }

    /// <summary>One activation's access: its grants' earliest FirstSeenAt and latest AccessConfirmedAt.</summary>
    public sealed record Confirmed(string ActivationId, DateTimeOffset FirstSeen, DateTimeOffset At)
    {
        public double Seconds => (At - FirstSeen).TotalSeconds;
    }

    /// <summary>Starts a measured phase: the wire's counts, the quota refusals and the loop's counts from zero; audit from here on.</summary>
    public async Task StartPhaseAsync()
    {
        aws.Reset();
        loop.Reset();
        _auditFrom = ((await store.GetAuditHeadAsync())?.Seq ?? 0) + 1;
    }

    /// <summary>The activations (of <paramref name="ids"/>) whose every grant has confirmed access.</summary>
    public async Task<IReadOnlyList<Confirmed>> ConfirmedAsync(IReadOnlyCollection<string> ids)
    {
        var wanted = ids as IReadOnlySet<string> ?? ids.ToHashSet(StringComparer.Ordinal);
        return (await store.ListGrantsAsync(activeOnly: true, user: null))
            .Where(g => wanted.Contains(g.ActivationId))
            .GroupBy(g => g.ActivationId)
            .Where(a => a.Count() == grantsPerActivation && a.All(g => g.AccessConfirmedAt is not null && g.FirstSeenAt is not null))
            .Select(a => new Confirmed(a.Key, a.Min(g => g.FirstSeenAt!.Value), a.Max(g => g.AccessConfirmedAt!.Value)))
            .ToList();
    }

    public async Task<IReadOnlyList<Grant>> ReportBurstAsync(BurstOptions options, IReadOnlyList<string> ids)
    {
        var n = ids.Count;
        var confirmed = await ConfirmedAsync(ids.ToHashSet(StringComparer.Ordinal));
        var seconds = confirmed.Select(c => c.Seconds).Order().ToList();
        var span = (confirmed.Max(c => c.At) - confirmed.Min(c => c.FirstSeen)).TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"{n} activations at once ({BurstShapes.NameOf(options.Shape)}, {aws.Name}): hint to confirmed access (AccessConfirmedAt − FirstSeenAt, per activation)");
        Console.WriteLine(Invariant($"  first access {seconds[0]:0.000} s; p50 {P(seconds, 50):0.000} s, p95 {P(seconds, 95):0.000} s, p99 {P(seconds, 99):0.000} s, max {seconds[^1]:0.000} s"));
        Console.WriteLine(Invariant($"  drain: {n} activations in {span:0.00} s (first hint to last confirmation) = {n / span:0.00} activations/s"));
        Console.WriteLine($"  ticks: {loop.Ticks}; intents done {loop.Total.IntentsDone}, waiting {loop.Total.IntentsWaiting}, failed {loop.Total.IntentsFailed}");
        PrintCalls(n, "activation");
        var (failures, throttled, _) = await PrintThrottlingAsync();
        var perOperation = string.Join(" ", aws.Wire.Calls.Select(c => Invariant($"{c.Key}={c.Value / (double)n:0.###}")));
        Console.WriteLine(Invariant(
            $"result: phase=burst aws={aws.Name} shape={BurstShapes.NameOf(options.Shape)} n={n} groups={options.Groups} inProgress={options.InProgress.TotalSeconds:0.###} first={seconds[0]:0.000} p50={P(seconds, 50):0.000} p95={P(seconds, 95):0.000} p99={P(seconds, 99):0.000} max={seconds[^1]:0.000} drain={n / span:0.00} ") +
            Invariant($"ssoAdminPerActivation={Service(false) / (double)n:0.###} identityStorePerActivation={Service(true) / (double)n:0.###} refused={aws.RefusedForQuota.Values.Sum()} intentFailures={failures} throttlingFailures={throttled} {perOperation}"));
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        return (await store.ListGrantsAsync(activeOnly: true, user: null)).Where(g => wanted.Contains(g.ActivationId)).ToList();
    }

    /// <param name="deadSink">With <c>--dead-sink</c>: the outbox's dead sink, whose deliveries are reported.</param>
    /// <param name="slow">With <c>--slow-provisioning</c>: the other permission set, whose provisioning is under way at the instant and whose grants end at it too.</param>
    public async Task ExpireAsync(BurstOptions options, BurstPim pim, Enforcer enforcer, IReadOnlyList<string> entraGroups, IReadOnlyList<string> ids, IReadOnlyList<Grant> grants,
        DeadSink? deadSink = null, SlowProvisioning? slow = null)
    {
        var n = ids.Count;
        if (slow is not null)
            await slow.StartSlowProvisioningAsync();
        // Far enough ahead for the poll that records the new end (a commit per grant) to finish first.
        var end = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(20.0 * grants.Count);
        end = new DateTimeOffset(end.Ticks - end.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        pim.EndAt(ids, end);
        if (slow is not null)
            pim.EndAt(slow.EndingAtTheInstant, end);
        var poll = Stopwatch.StartNew();
        await enforcer.ReconcileGroupsAsync(slow is null ? entraGroups : [.. entraGroups, SlowProvisioning.EntraGroup]);
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var shortened = (await store.ListGrantsAsync(activeOnly: true, user: null)).Where(g => wanted.Contains(g.ActivationId)).ToList();
        Console.WriteLine();
        Console.WriteLine(Invariant($"expiry: {n} activations ({shortened.Count} grants) end at {end:HH:mm:ss.fff} UTC; the poll that recorded the new end took {poll.Elapsed.TotalSeconds:0.00} s, {(end - DateTimeOffset.UtcNow).TotalSeconds:0.00} s before it"));
        if (shortened.Count != grants.Count || shortened.Any(g => g.End != end) || DateTimeOffset.UtcNow >= end)
            throw new InvalidOperationException("The grants' end was not recorded before it came: raise the lead.");

        await StartPhaseAsync();
        var deliveriesBefore = deadSink?.Deliveries;
        var keys = grants.SelectMany(g => g.EntitlementKeys).Distinct(StringComparer.Ordinal).ToList();
        var users = grants.Select(g => g.User.UserId).ToHashSet(StringComparer.Ordinal);
        await loop.RunUntilAsync(async () => DateTimeOffset.UtcNow > end && (await RemovedAsync(keys)).Count == keys.Count, options.Timeout,
            async () => DateTimeOffset.UtcNow < end ? "waiting for the end" : $"{(await RemovedAsync(keys)).Count}/{keys.Count} entitlements removed");

        var removed = await RemovedAsync(keys);
        var byActivation = grants.GroupBy(g => g.ActivationId)
            .Select(a => a.SelectMany(g => g.EntitlementKeys).Max(k => removed[k]))
            .Select(at => (at - end).TotalSeconds).Order().ToList();
        var last = (removed.Values.Max() - end).TotalSeconds;
        var firstDelete = new[] { "DeleteAccountAssignment", "DeleteGroupMembership" }.Select(aws.Wire.FirstSent).Where(t => t is not null).Min();
        var firstStart = firstDelete is { } sent ? (sent - end).TotalSeconds : double.NaN;
        var fences = (await store.ListFencesAsync(openOnly: true)).Where(f => users.Contains(f.UserId)).ToList();
        var active = fences.Where(f => f.State == FenceState.Active).ToList();
        var alerts = (await store.ListAlertsAsync(end)).GroupBy(a => a.Kind).ToDictionary(a => a.Key, a => a.Count(), StringComparer.Ordinal);
        // The measured permission sets' writes only: the side load's own are reported apart.
        var otherWrites = slow is null || aws is not ModelAws model ? 0 : FenceWrites.Sum(o => model.WritesTo(o, ModelAws.OtherPermissionSetArn));
        var fenceWrites = FenceWrites.Sum(aws.Wire.Count) - otherWrites;
        Console.WriteLine(Invariant($"  end to the first removal sent (first Delete* on the wire): {firstStart:0.000} s"));
        Console.WriteLine(Invariant($"  removal confirmed, per activation (its last entitlement's RemovedAt − end): p50 {P(byActivation, 50):0.000} s, p95 {P(byActivation, 95):0.000} s, max {byActivation[^1]:0.000} s"));
        Console.WriteLine(Invariant($"  drain: {keys.Count} entitlements of {n} activations removed in {last:0.00} s from the end = {n / last:0.00} activations/s ({keys.Count / last:0.00} removals/s)"));
        Console.WriteLine(Invariant($"  fences: {fences.Count} open for these users: {active.Count} written (active), {fences.Count(f => f.State == FenceState.Pending)} pending; ") +
            (active.Count > 0 ? Invariant($"written {FenceTimes(active, end)} after the end") : "none written"));
        Console.WriteLine($"  fence policy updates: {string.Join(", ", FenceWrites.Select(o => $"{o} {aws.Wire.Count(o)}"))}{(otherWrites > 0 ? $", of which {otherWrites} to {SlowProvisioning.PermissionSetName}" : "")} (also GetInlinePolicyForPermissionSet {aws.Wire.Count("GetInlinePolicyForPermissionSet")}, DescribePermissionSetProvisioningStatus {aws.Wire.Count("DescribePermissionSetProvisioningStatus")})");
        PrintPolicyTimeline(end);
        PrintBudgetUse(end, last, options.RequestsPerSecond);
        if (options.WireCsv is { } csv)
            await File.WriteAllLinesAsync(csv, ["seconds,operation,error", .. aws.Wire.Timeline.Select(s => Invariant($"{(s.At - end).TotalSeconds:0.000},{s.Operation},{s.Error}"))]);
        Console.WriteLine($"  alerts raised: {(alerts.Count == 0 ? "none" : string.Join(", ", alerts.Select(a => $"{a.Key} {a.Value}")))}");
        Console.WriteLine($"  ticks: {loop.Ticks}; grants ended {loop.Total.GrantsEnded}, intents done {loop.Total.IntentsDone}, waiting {loop.Total.IntentsWaiting}, failed {loop.Total.IntentsFailed}");
        PrintCalls(n, "activation");
        var (failures, throttled, notifyFailures) = await PrintThrottlingAsync();
        var sideLoads = new List<string>();
        if (deadSink is not null && deliveriesBefore is { } before)
        {
            var (delivered, failed, answered) = deadSink.Deliveries;
            var waiting = delivered - failed - answered;
            Console.WriteLine($"  dead sink ({deadSink.Describe}): in the phase {delivered - before.Sent} deliveries sent, {failed - before.Failed} timed out or failed, {answered - before.Answered} answered; " +
                $"{waiting} waiting for an answer now; connections accepted since the start {deadSink.Accepted}; notify intent failures recorded in the phase {notifyFailures}");
            sideLoads.Add($"deadSink notifySent={delivered - before.Sent} notifyFailed={failed - before.Failed} notifyWaiting={waiting} notifyIntentFailures={notifyFailures}");
        }

        if (slow is not null)
            sideLoads.Add("slowProvisioning " + await slow.ReportAsync(end));
        var perOperation = string.Join(" ", aws.Wire.Calls.Select(c => Invariant($"{c.Key}={c.Value / (double)n:0.###}")));
        Console.WriteLine(Invariant(
            $"result: phase=expiry aws={aws.Name} shape={BurstShapes.NameOf(options.Shape)} n={n} firstRemoval={firstStart:0.000} p50={P(byActivation, 50):0.000} p95={P(byActivation, 95):0.000} max={byActivation[^1]:0.000} drain={n / last:0.00} removalsPerSecond={keys.Count / last:0.00} ") +
            Invariant($"fencesWritten={active.Count} fencesPending={fences.Count(f => f.State == FenceState.Pending)} fencePolicyUpdates={fenceWrites} capacityAlerts={alerts.GetValueOrDefault("fence-capacity-exhausted")} refused={aws.RefusedForQuota.Values.Sum()} intentFailures={failures} throttlingFailures={throttled} {perOperation}") +
            (sideLoads.Count == 0 ? "" : " | " + string.Join(" | ", sideLoads)));
    }

    /// <summary>When each entitlement that is removed was removed.</summary>
    private async Task<Dictionary<string, DateTimeOffset>> RemovedAsync(IEnumerable<string> keys)
    {
        var removed = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (await store.GetLedgerEntryAsync(key) is { Status: EntitlementStatus.Removed, RemovedAt: { } at })
                removed[key] = at;
        }

        return removed;
    }

    private int Service(bool identityStore) => aws.Wire.Calls.Where(c => aws.Wire.IsIdentityStore(c.Key) == identityStore).Sum(c => c.Value);

    private void PrintCalls(int n, string per)
    {
        Console.WriteLine($"  AWS calls per {per} (HTTP attempts on the wire, by operation):");
        foreach (var identityStore in new[] { false, true })
        {
            var calls = aws.Wire.Calls.Where(c => aws.Wire.IsIdentityStore(c.Key) == identityStore).ToList();
            Console.WriteLine(Invariant($"    {(identityStore ? "identitystore" : "sso-admin")}: {Service(identityStore) / (double)n:0.###} in all") +
                (calls.Count == 0 ? "" : ": " + string.Join(", ", calls.Select(c => Invariant($"{c.Key} {c.Value / (double)n:0.###}")))));
        }
    }

    /// <summary>
    /// Prints the throttling seen, from AWS's side and from the engine's, and returns the intent failures (all but
    /// notifications', and throttling's) and the notifications' failures (a dead sink's, counted apart).
    /// </summary>
    private async Task<(int Failures, int Throttled, int NotifyFailures)> PrintThrottlingAsync()
    {
        var refused = aws.RefusedForQuota;
        var errors = aws.Wire.Errors;
        var throttledOnWire = errors.Where(e => e.Key.Code == "ThrottlingException").Sum(e => e.Value);
        int failures = 0, throttled = 0, notifyFailures = 0;
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var entry in store.ReadAuditAsync(_auditFrom))
        {
            if (entry.Kind != "intent.failed") continue;
            var data = JsonNode.Parse(entry.Data);
            if (data?["kind"]?.GetValue<string>() == nameof(IntentKind.Notify))
            {
                notifyFailures++;
                continue;
            }

            failures++;
            var message = data?["error"]?.GetValue<string>() ?? "";
            if (message.Contains("Throttling", StringComparison.Ordinal) || message.Contains("Rate exceeded", StringComparison.Ordinal)) throttled++;
            var reason = message.Length > 120 ? message[..120] + "…" : message;
            reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
        }

        Console.WriteLine($"  throttling: refused by AWS's quotas {refused.Values.Sum()}{(refused.Count == 0 ? "" : " (" + string.Join(", ", refused.Select(r => $"{r.Key} {r.Value}")) + ")")}; " +
            $"ThrottlingException answers on the wire {throttledOnWire}; intent failures {failures}, of which throttling {throttled}");
        var other = errors.Where(e => e.Key.Code != "ThrottlingException").ToList();
        if (other.Count > 0)
            Console.WriteLine($"  other error answers: {string.Join(", ", other.Select(e => $"{e.Key.Operation} {e.Key.Code} × {e.Value}"))}");
        foreach (var (reason, count) in reasons.OrderByDescending(r => r.Value).Take(5))
            Console.WriteLine($"    intent failed × {count}: {reason}");
        return (failures, throttled, notifyFailures);
    }

    /// <summary>Nearest rank: the smallest value with at least p % of the values at or below it.</summary>
    private static double P(IReadOnlyList<double> sorted, int p) => sorted[Math.Max(0, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
