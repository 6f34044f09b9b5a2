using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Configuration;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Testing.Adversarial;

public enum StepKind { Activate, Extend, Deactivate, Tick, Reconcile, Advance, CustomerEdit, SessionDurationChange, DeleteUser, DeletePermissionSet, DropFences, DeleteAccess }

/// <summary>
/// One thing that happens in a schedule; what it acts on is drawn as numbers and resolved when it runs. The salt
/// (its place in the generated schedule) seeds the chance it meets, and stays with it when a shrink drops others.
/// </summary>
public sealed record ScheduleStep(StepKind Kind, int Engine, int A, int B, int Minutes, int Salt = 0)
{
    public override string ToString() => $"#{Salt} {Kind}(engine {"ab"[Engine]}, {A}, {B}, {Minutes}m)";
}

/// <summary>What a schedule did and what the oracle found.</summary>
public sealed record ScheduleResult(int Seed, int Steps, IReadOnlyList<Violation> Violations, int Restarts, IReadOnlyDictionary<string, int> Calls, string Fingerprint)
{
    public bool Passed => Violations.Count == 0;
}

/// <summary>
/// Seeded random schedules over an <see cref="AdversarialWorld"/>: PIM activations, extensions and early
/// deactivations, engine ticks and PIM polls by either engine, time passing with the worker's loop, customers editing
/// their policy, administrators changing session durations; all of it under faults, crashes and interleavings drawn
/// from the same seed. The oracle runs after every step. A schedule is data, so a failure replays exactly and shrinks.
/// </summary>
public static class Schedules
{
    public const int DefaultSteps = 30;

    /// <summary>The steps a seed draws (independent of what the world then draws, so a shrunk schedule keeps its seed).</summary>
    /// <param name="deletions">
    /// Also let another hand delete a user or a permission set, in half the schedules, at a point drawn apart from the
    /// rest: the other steps (and so every seed kept as a regression) stay exactly as they are.
    /// </param>
    /// <param name="drift">
    /// Also let another hand undo what PimBridge did (drop its fences from a policy and provision, or delete access a
    /// live grant holds), twice, at points drawn apart from the rest; run such schedules with the sweep on.
    /// </param>
    public static IReadOnlyList<ScheduleStep> Generate(int seed, int steps = DefaultSteps, bool deletions = false, bool drift = false)
    {
        var list = GenerateBase(seed, steps);
        var other = new Random(unchecked(seed * 104729 + 31));
        if (deletions && other.Next(2) == 0)
        {
            var at = other.Next(steps);
            var kind = other.Next(2) == 0 ? StepKind.DeleteUser : StepKind.DeletePermissionSet;
            list.Insert(at, new ScheduleStep(kind, other.Next(2), other.Next(2), 0, 0, Salt: 1000 + at));
        }

        if (drift)
        {
            var drifts = new Random(unchecked(seed * 15485863 + 47));
            for (var i = 0; i < 2; i++)
            {
                var at = drifts.Next(steps);
                var kind = drifts.Next(2) == 0 ? StepKind.DropFences : StepKind.DeleteAccess;
                list.Insert(Math.Min(at + i, list.Count), new ScheduleStep(kind, drifts.Next(2), drifts.Next(2), drifts.Next(3), 0, Salt: 2000 + 100 * i + at));
            }
        }

        return list;
    }

    private static List<ScheduleStep> GenerateBase(int seed, int steps)
    {
        var random = new Random(unchecked(seed * 7919 + 17));
        var list = new List<ScheduleStep>(steps);
        for (var i = 0; i < steps; i++)
        {
            var engine = random.Next(2);
            list.Add(random.Next(20) switch
            {
                < 5 => new ScheduleStep(StepKind.Activate, engine, random.Next(2), random.Next(3), random.Next(10, 240)),
                < 7 => new ScheduleStep(StepKind.Extend, engine, random.Next(100), 0, random.Next(5, 90)),
                < 9 => new ScheduleStep(StepKind.Deactivate, engine, random.Next(100), 0, 0),
                < 11 => new ScheduleStep(StepKind.Tick, engine, 0, 0, 0),
                < 12 => new ScheduleStep(StepKind.Reconcile, engine, 0, 0, 0),
                < 13 => new ScheduleStep(StepKind.CustomerEdit, engine, random.Next(2), random.Next(1000), 0),
                < 14 => new ScheduleStep(StepKind.SessionDurationChange, engine, random.Next(2), 0, 60 * random.Next(1, 5)),
                _ => new ScheduleStep(StepKind.Advance, engine, 0, 0, random.Next(1, 75)),
            } with { Salt = i });
        }

        return list;
    }

    /// <summary>When set, a failing run writes its audit log, fences and engine errors here (for replaying one seed by hand).</summary>
    public static Action<string>? Trace { get; set; }

    /// <param name="openStore">Separate store connections per engine (see <see cref="AdversarialWorld.StartAsync"/>); one shared in-memory store when null.</param>
    /// <param name="configure">Changes the deployment's configuration (for example a margin too short for AWS's propagation).</param>
    /// <param name="sweep">Run the drift sweep in the engines' loop (the schedules with <c>drift</c> steps need it).</param>
    public static async Task<ScheduleResult> RunAsync(
        int seed, IReadOnlyList<ScheduleStep>? steps = null, bool standingAccess = true, Func<Task<IStateStore>>? openStore = null, Action<PimBridgeOptions>? configure = null,
        bool sweep = false)
    {
        steps ??= Generate(seed);
        await using var world = await AdversarialWorld.StartAsync(seed, configure, openStore);
        world.Sweeping = sweep;
        var oracle = new SafetyOracle(world);
        world.Model.Adversity = Adversity.Draw(world.Random);
        if (standingAccess && world.Random.Next(2) == 0) world.AddStandingAccess();
        var violations = new List<Violation>();

        world.Chaos = true;
        foreach (var step in steps)
        {
            world.Random.Reseed(step.Salt);
            world.RestartDead();
            await RunStepAsync(world, step);
            world.MintSessions();
            violations.AddRange(await oracle.CheckStepAsync());
            if (violations.Count > 0) return Result(world, seed, steps.Count, violations);
        }

        // Calm: no more faults or crashes, operations finish; the loops run until nothing is left to happen (every fence lifted).
        world.Chaos = false;
        world.CalmSince = world.Now;
        world.Random.Reseed(-1);
        world.Model.Adversity = world.Model.Adversity with
        {
            Throttling = 0, Conflicts = 0, InternalErrors = 0, LostResponses = 0, OperationFailures = 0, ProvisioningFailures = 0,
        };
        world.RestartDead();
        var horizon = world.Now + TimeSpan.FromHours(16);
        while (world.Now < horizon && !await QuiescentAsync(world))
        {
            // With the sweep, the loop turns every minute, as the host's does (and the sweep's interval is judged so).
            await world.LoopAsync(TimeSpan.FromMinutes(30), async () => violations.AddRange(await oracle.CheckStepAsync()), every: TimeSpan.FromMinutes(sweep ? 1 : 5));
            if (violations.Count > 0) return Result(world, seed, steps.Count, violations);
        }

        violations.AddRange(await oracle.CheckConvergedAsync());
        return Result(world, seed, steps.Count, violations);
    }

    /// <summary>Nothing left to happen: PIM lists nothing, and the store holds no active grant, pending intent or open fence.</summary>
    private static async Task<bool> QuiescentAsync(AdversarialWorld world) =>
        world.LiveActivations.Count == 0
        && (await world.Store.ListGrantsAsync(activeOnly: true, user: null)).Count == 0
        && (await world.Store.GetDueIntentsAsync(world.Now + TimeSpan.FromDays(365), 1)).Count == 0
        && (await world.Store.ListFencesAsync(openOnly: true)).Count == 0;

    /// <summary>
    /// The shortest schedule that still breaks the same invariant: the prefix up to the first violation, then each
    /// step dropped in turn while the failure remains. Each step keeps its salt, so the steps left meet the same chance.
    /// </summary>
    public static async Task<IReadOnlyList<ScheduleStep>> ShrinkAsync(int seed, IReadOnlyList<ScheduleStep> steps, string invariant, Action<PimBridgeOptions>? configure = null, bool sweep = false)
    {
        async Task<bool> Fails(IReadOnlyList<ScheduleStep> candidate) =>
            (await RunAsync(seed, candidate, configure: configure, sweep: sweep)).Violations.Any(v => v.Invariant == invariant);

        var current = steps.ToList();
        for (var length = 1; length < current.Count; length++)
        {
            if (await Fails(current.Take(length).ToList())) { current = current.Take(length).ToList(); break; }
        }

        for (var i = current.Count - 1; i >= 0; i--)
        {
            var candidate = current.Where((_, index) => index != i).ToList();
            if (await Fails(candidate)) current = candidate;
        }

        return current;
    }

    private static ScheduleResult Result(AdversarialWorld world, int seed, int steps, List<Violation> violations)
    {
        if (violations.Count > 0 && Trace is { } trace)
        {
            foreach (var entry in world.Store.ReadAuditAsync().ToBlockingEnumerable()) trace($"{entry.At:HH:mm:ss} {entry.Kind} {entry.Subject} {entry.Data}");
            foreach (var fence in world.Store.ListFencesAsync(openOnly: false).GetAwaiter().GetResult())
                trace($"fence {fence.Id} {fence.State} {fence.UserId} {fence.PermissionSetArn[^8..]} [{string.Join(",", fence.Accounts)}] cutoff {fence.Cutoff:HH:mm:ss} until {fence.Until:HH:mm:ss}");
            foreach (var intent in world.Store.GetDueIntentsAsync(world.Now + TimeSpan.FromDays(365), 100).GetAwaiter().GetResult())
                trace($"intent {intent.Id} {intent.Kind} {intent.State} {intent.Subject} next {intent.NextAttemptAt:HH:mm:ss} attempts {intent.Attempts} created {intent.CreatedAt:HH:mm:ss}");
            foreach (var engine in world.Engines)
                foreach (var error in engine.Errors) trace($"engine {engine.Name}: {error.GetType().Name}: {error.Message}");
        }

        // What happened, in order: two runs of one schedule must agree on it (replay is exact).
        var history = new StringBuilder();
        foreach (var entry in world.Store.ReadAuditAsync().ToBlockingEnumerable()) history.Append(entry.At.UtcTicks).Append(entry.Kind).Append(entry.Subject).Append(entry.Data).Append('\n');
        foreach (var session in world.Sessions) history.Append(session).Append('\n');
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(history.ToString())));
        return new(seed, steps, violations, world.Engines.Sum(e => e.Restarts), new Dictionary<string, int>(world.Model.Calls), fingerprint);
    }

    private static async Task RunStepAsync(AdversarialWorld world, ScheduleStep step)
    {
        var engine = world.Engines[step.Engine];
        var live = world.LiveActivations;
        switch (step.Kind)
        {
            case StepKind.CustomerEdit or StepKind.SessionDurationChange when world.Model.DeletedPermissionSets.Contains(step.A == 0 ? ExampleDeployment.Admin : ExampleDeployment.ReadOnly):
                break; // nothing left to edit
            case StepKind.Activate:
                world.Activate(AdversarialWorld.People[step.A].Principal, AdversarialWorld.MappedGroups[step.B], TimeSpan.FromMinutes(step.Minutes));
                await engine.RunAsync(e => e.ReconcileAsync(world.Snapshot()));
                break;
            case StepKind.Extend when live.Count > 0:
                world.Extend(live[step.A % live.Count], TimeSpan.FromMinutes(step.Minutes));
                await engine.RunAsync(e => e.ReconcileAsync(world.Snapshot()));
                break;
            case StepKind.Deactivate when live.Count > 0:
                world.Deactivate(live[step.A % live.Count]);
                await engine.RunAsync(e => e.ReconcileAsync(world.Snapshot()));
                break;
            case StepKind.Reconcile:
                await engine.RunAsync(e => e.ReconcileAsync(world.Snapshot()));
                break;
            case StepKind.CustomerEdit:
                EditCustomerStatements(world, step.A == 0 ? ExampleDeployment.Admin : ExampleDeployment.ReadOnly, step.B);
                break;
            case StepKind.SessionDurationChange:
            {
                // A duration stays in force until PimBridge's watch has noted it (docs/verification.md, assumptions):
                // AWS keeps no history, so a change undone before any engine looked cannot be known. Under crashes and
                // throttling that can take several minutes of the loop.
                var permissionSet = step.A == 0 ? ExampleDeployment.Admin : ExampleDeployment.ReadOnly;
                var duration = TimeSpan.FromMinutes(step.Minutes);
                world.Model.ForeignSetSessionDuration(permissionSet, duration);
                for (var minute = 0; minute < 30 && !await NotedAsync(world, permissionSet, duration); minute++)
                    await world.LoopAsync(TimeSpan.FromMinutes(1));
                break;
            }
            case StepKind.Advance:
                await world.LoopAsync(TimeSpan.FromMinutes(step.Minutes));
                break;
            case StepKind.DeleteUser:
                world.Model.ForeignDeleteUser(AdversarialWorld.People[step.A].UserId, assignmentsRemain: world.Random.Next(2) == 0);
                break;
            case StepKind.DeletePermissionSet:
                world.Model.ForeignDeletePermissionSet(step.A == 0 ? ExampleDeployment.Admin : ExampleDeployment.ReadOnly);
                break;
            case StepKind.DropFences when !world.Model.DeletedPermissionSets.Contains(step.A == 0 ? ExampleDeployment.Admin : ExampleDeployment.ReadOnly):
            {
                // Terraform applies the permission set as it knows it (the customer's statements only) and provisions.
                var permissionSet = step.A == 0 ? ExampleDeployment.Admin : ExampleDeployment.ReadOnly;
                world.Model.ForeignPutPolicy(permissionSet, world.CustomerPolicies[permissionSet]);
                world.Model.ForeignProvision(permissionSet);
                world.ForeignDrifts.Add((world.Now, permissionSet));
                break;
            }
            case StepKind.DropFences:
                break; // the permission set is gone, and its fences with it
            case StepKind.DeleteAccess:
            {
                // An administrator deletes access PimBridge made (never another hand's: that is its owner's business).
                var user = AdversarialWorld.People[step.A].UserId;
                if (step.B == 2)
                {
                    if (world.Model.Memberships.Any(m => m.UserId == user && m.GroupId == ExampleDeployment.IdcPlatformGroup && m.Origin == Origin.PimBridge))
                        world.Model.ForeignRemoveMembership(ExampleDeployment.IdcPlatformGroup, user);
                }
                else
                {
                    var key = new AssignmentKey(ExampleDeployment.Admin, step.B == 0 ? ExampleDeployment.Prod : ExampleDeployment.Staging, "USER", user);
                    if (world.Model.Assignments.TryGetValue(key, out var origin) && origin == Origin.PimBridge)
                        world.Model.ForeignDeleteAssignment(key);
                }

                world.ForeignDrifts.Add((world.Now, null));
                break;
            }
            default:
                await engine.RunAsync(e => e.TickAsync());
                break;
        }
    }

    /// <summary>Whether the engines' session-duration watch records <paramref name="duration"/> as the permission set's current one.</summary>
    private static async Task<bool> NotedAsync(AdversarialWorld world, string permissionSet, TimeSpan duration) =>
        SessionDurationWatch.Parse((await world.Store.GetCheckpointAsync(SessionDurationWatch.CheckpointName(permissionSet)))?.Value) is { } watch
        && watch.Durations.Any(d => d.Duration == duration && d.ReplacedAt is null);

    /// <summary>A person edits the customer's statements (keeping PimBridge's, as a careful person would) and provisions.</summary>
    private static void EditCustomerStatements(AdversarialWorld world, string permissionSet, int variant)
    {
        var current = world.Model.PermissionSets[permissionSet].Policy;
        var statements = new JsonArray();
        if (current is not null)
        {
            foreach (var s in (JsonNode.Parse(current)!["Statement"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (s["Sid"]?.GetValue<string>().StartsWith(SessionPolicyEvaluation.PimBridgeSidPrefix, StringComparison.Ordinal) == true)
                    statements.Add(s.DeepClone());
            }
        }

        // What a person writes, escapes included (IAM accepts \u escapes; the document itself must stay Latin-1).
        var customer = "{\"Sid\":\"Edit" + variant + "\",\"Effect\":\"Deny\",\"Action\":\"ec2:TerminateInstances\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/team\":\"\\u00e9quipe-" + variant + "\"}}}";
        var text = $$"""{"Version":"2012-10-17","Statement":[{{customer}}{{string.Concat(statements.Select(s => "," + s!.ToJsonString()))}}]}""";
        world.Model.ForeignPutPolicy(permissionSet, text);
        world.Model.ForeignProvision(permissionSet);
        world.CustomerPolicies[permissionSet] = text;
    }
}
