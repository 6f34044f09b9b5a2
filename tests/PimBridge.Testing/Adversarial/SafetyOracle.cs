using System.Text.Json.Nodes;
using PimBridge.Core.Domain;

namespace PimBridge.Testing.Adversarial;

/// <summary>One broken safety property: which invariant, when, and what the oracle saw.</summary>
public sealed record Violation(string Invariant, DateTimeOffset At, string Message)
{
    public override string ToString() => $"{Invariant} at {At:O}: {Message}";
}

/// <summary>
/// The invariants, judged from the model (what each account's role carries, which assignments and memberships exist)
/// and from PIM's truth, never from what PimBridge recorded or wrote. What a mapping reaches is restated here from
/// the world's configuration rather than taken from the engine's resolution of it.
/// <list type="bullet">
/// <item><b>I1 no orphan</b> (once converged): every assignment or membership PimBridge made is justified by a live
/// PIM activation, and every live activation's access exists.</item>
/// <item><b>I2 every live session fenced</b>: a session on a permission set in an account where its user's entitlement
/// ended at E is blocked from E + the propagation margin until it expires; and a fence the store calls Active is
/// carried by every account's role it names.</item>
/// <item><b>I3 re-grants never blocked</b>: a session minted at or after a live entitlement's start + the margin is
/// never blocked.</item>
/// <item><b>I4 standing access untouched</b>: access another hand made is never removed, and its holder's sessions are
/// never blocked.</item>
/// <item><b>I5 customer statements preserved</b>: the statements that are not PimBridge's are exactly what the customer
/// last wrote.</item>
/// </list>
/// The margin is the configured <c>Fences.CutoffMargin</c>: the time PimBridge is configured to assume a change takes
/// to reach every role.
/// </summary>
public sealed class SafetyOracle(AdversarialWorld world)
{
    private readonly TimeSpan _margin = world.Settings.Fences.CutoffMargin;

    /// <summary>The world's mappings as its configuration states them: Entra group → what it reaches, and the cap.</summary>
    private static readonly IReadOnlyDictionary<string, (IReadOnlyList<(string, string)>? Reach, TimeSpan? Cap)> MappingReach =
        new Dictionary<string, (IReadOnlyList<(string, string)>?, TimeSpan?)>(StringComparer.OrdinalIgnoreCase)
        {
            [ExampleDeployment.OpsGroup] = ([(ExampleDeployment.Admin, ExampleDeployment.Prod), (ExampleDeployment.Admin, ExampleDeployment.Staging)], TimeSpan.FromHours(8)),
            [ExampleDeployment.AuditGroup] = ([(ExampleDeployment.Admin, ExampleDeployment.Prod)], null),
            [ExampleDeployment.PlatformGroup] = (null, null), // the Identity Center group's own assignments
        };

    /// <summary>The periods PIM entitles the user to the permission set in the account: [start, effective end).</summary>
    public IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Periods(string userId, string permissionSet, string account)
    {
        var periods = new List<(DateTimeOffset, DateTimeOffset)>();
        foreach (var record in world.PimRecords)
        {
            var activation = record.Activation;
            if (AdversarialWorld.People.First(p => p.Principal == activation.Principal.Id).UserId != userId) continue;
            var (reach, cap) = MappingReach[activation.GroupId];
            var reaches = reach?.Contains((permissionSet, account))
                ?? world.Model.GroupReach(ExampleDeployment.IdcPlatformGroup).Contains((permissionSet, account));
            if (!reaches) continue;
            var end = activation.End!.Value;
            if (cap is { } c && activation.Start + c < end) end = activation.Start + c;
            if (record.DeactivatedAt is { } off && off < end) end = off;
            if (end > activation.Start) periods.Add((activation.Start, end));
        }

        return periods;
    }

    private bool IsStanding(string userId, string permissionSet, string account) => world.StandingAccess.Contains((userId, permissionSet, account));

    /// <summary>
    /// A deleted user's sessions where the user had standing access: their owner ended that access by deleting the user,
    /// and the sessions cannot be told apart from those PIM's grant issued on the same role. Fencing them (I2) and
    /// leaving them (I4) are both right, so neither is asked.
    /// </summary>
    private bool EitherWay(string userId, string permissionSet, string account) =>
        world.Model.DeletedUsers.Contains(userId) && IsStanding(userId, permissionSet, account);

    /// <summary>
    /// Another hand dropped PimBridge's fences from this permission set, and the sweep's interval for repairing it has
    /// not run out (<see cref="AdversarialWorld.RepairDue"/>); past it, I2 (both halves) is judged again as soon as no
    /// write of the permission set's fences is pending (<paramref name="syncing"/>): while one is, AWS is refusing or
    /// running provisionings on it and the rewrite waits for AWS, not for PimBridge (a write that never succeeds fails
    /// convergence).
    /// </summary>
    private bool AwaitingRepair(string permissionSet, DateTimeOffset now, IReadOnlySet<string>? syncing = null) =>
        world.ForeignDrifts.Any(d => d.FencesDroppedFrom == permissionSet && d.At <= now
            && (now < world.RepairDue(d.At) || syncing?.Contains(permissionSet) == true));

    /// <summary>The invariants that must hold at every instant (I2–I5).</summary>
    public async Task<IReadOnlyList<Violation>> CheckStepAsync()
    {
        var now = world.Now;
        var violations = new List<Violation>();
        void Fail(string invariant, string message) => violations.Add(new Violation(invariant, now, message));

        var periodsOf = new Dictionary<(string, string, string), IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)>>();
        var syncing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var permissionSet in world.ForeignDrifts.Select(d => d.FencesDroppedFrom).OfType<string>().Distinct())
        {
            if ((await world.Store.GetPendingIntentsAsync(IntentKind.SyncFences, permissionSet)).Count > 0) syncing.Add(permissionSet);
        }

        // A session whose permission set was deleted can do nothing: its role is gone.
        foreach (var session in world.Sessions.Where(s => s.IssuedAt <= now && now < s.ExpiresAt && !EitherWay(s.UserId, s.PermissionSet, s.Account)
                     && !world.Model.DeletedPermissionSets.Contains(s.PermissionSet)))
        {
            var role = world.Model.Provisioned(session.PermissionSet, session.Account);
            var blocked = SessionPolicyEvaluation.Blocks(role?.Policy, new SessionContext(session.UserId, session.Account, session.IssuedAt));
            if (!periodsOf.TryGetValue((session.UserId, session.PermissionSet, session.Account), out var periods))
                periodsOf[(session.UserId, session.PermissionSet, session.Account)] = periods = Periods(session.UserId, session.PermissionSet, session.Account);
            var standing = IsStanding(session.UserId, session.PermissionSet, session.Account);
            var live = periods.Where(p => p.Start <= now && now < p.End).ToList();
            if (blocked && standing)
                Fail("I4", $"{Describe(session)} is blocked although {session.UserId} holds standing access there");
            else if (blocked && live.Any(p => session.IssuedAt >= p.Start + _margin))
                Fail("I3", $"{Describe(session)} is blocked although it was minted after a live entitlement's start ({Iso(live.Min(p => p.Start))}) + {_margin}");

            if (!blocked && !standing && live.Count == 0 && periods.Count > 0 && !AwaitingRepair(session.PermissionSet, now, syncing))
            {
                var ended = periods.Max(p => p.End);
                if (now >= ended + _margin)
                    Fail("I2", $"{Describe(session)} still works, {now - ended} after its entitlement ended ({Iso(ended)}); the role carries: {role?.Policy ?? "(no policy)"}");
            }
        }

        // A fence claims Active only until its Until: from then on it is being lifted (the store's label follows the
        // lift's confirm), and whether Until came late enough is judged above, on the sessions themselves.
        // A fence another hand dropped is still labelled Active until the sweep finds it (within the repair interval).
        foreach (var fence in (await world.Store.ListFencesAsync(openOnly: true)).Where(f => f.State == FenceState.Active && f.Until > now && !AwaitingRepair(f.PermissionSetArn, now, syncing)))
        {
            foreach (var account in fence.Accounts)
            {
                var role = world.Model.Provisioned(fence.PermissionSetArn, account);
                if (role is not null && !SessionPolicyEvaluation.Blocks(role.Policy, new SessionContext(fence.UserId, account, fence.Cutoff - TimeSpan.FromSeconds(1))))
                    Fail("I2", $"fence {fence.Id} ({fence.UserId} on {fence.PermissionSetArn}, cutoff {Iso(fence.Cutoff)}) is Active but the role in {account} does not carry it: {role.Policy ?? "(no policy)"}");
            }
        }

        foreach (var removed in world.Model.ForeignAccessRemoved)
            Fail("I4", $"PimBridge removed access it did not create: {removed}");

        foreach (var (permissionSet, customer) in world.CustomerPolicies.Where(p => !world.Model.DeletedPermissionSets.Contains(p.Key)))
        {
            var expected = SessionPolicyEvaluation.CustomerStatements(customer);
            var actual = SessionPolicyEvaluation.CustomerStatements(world.Model.PermissionSets[permissionSet].Policy);
            if (expected.Count != actual.Count || !expected.Zip(actual).All(p => JsonNode.DeepEquals(p.First, p.Second)))
                Fail("I5", $"the customer statements of {permissionSet} changed: expected {Json(expected)}, the permission set has {Json(actual)}");
        }

        return violations;
    }

    /// <summary>Once the world is calm and every due item has run: I1, nothing pending, an intact audit chain.</summary>
    public async Task<IReadOnlyList<Violation>> CheckConvergedAsync()
    {
        var now = world.Now;
        var violations = new List<Violation>();
        void Fail(string invariant, string message) => violations.Add(new Violation(invariant, now, message));
        bool Live(string userId, string permissionSet, string account) => Periods(userId, permissionSet, account).Any(p => p.Start <= now && now < p.End);

        foreach (var (key, origin) in world.Model.Assignments)
        {
            if (origin != Origin.PimBridge || key.PrincipalType != "USER") continue;
            if (!Live(key.PrincipalId, key.PermissionSetArn, key.AccountId))
                Fail("I1", $"assignment {key} that PimBridge made remains without a live activation");
        }

        var platformLive = AdversarialWorld.People.Where(p => world.PimRecords.Any(r => r.IsListed(now) && r.Activation.Principal.Id == p.Principal
            && string.Equals(r.Activation.GroupId, ExampleDeployment.PlatformGroup, StringComparison.OrdinalIgnoreCase))).Select(p => p.UserId).ToHashSet();
        foreach (var membership in world.Model.Memberships.Where(m => m.Origin == Origin.PimBridge && !platformLive.Contains(m.UserId)))
            Fail("I1", $"membership of {membership.UserId} in {membership.GroupId} that PimBridge made remains without a live activation");

        foreach (var (_, userId, _) in AdversarialWorld.People)
        {
            foreach (var (permissionSet, account) in AdversarialWorld.Targets)
            {
                // A deleted user or permission set can be given nothing: PIM's activation outlives it.
                if (Live(userId, permissionSet, account) && !world.Model.DeletedUsers.Contains(userId) && !world.Model.DeletedPermissionSets.Contains(permissionSet)
                    && !world.Model.CanAssume(userId, permissionSet, account))
                    Fail("I1", $"{userId} has a live activation reaching {permissionSet} in {account} but cannot assume the role");
            }
        }

        if ((await world.Store.GetDueIntentsAsync(now + TimeSpan.FromDays(365), 10)).Count > 0)
            Fail("converged", "intents are still pending after the world calmed down");
        if ((await world.Store.ListFencesAsync(openOnly: true)).FirstOrDefault(f => f.Until <= now) is { } stale)
            Fail("converged", $"fence {stale.Id} is still {stale.State} after its until {Iso(stale.Until)}");
        if (await AuditChain.VerifyAsync(world.Store.ReadAuditAsync()) is { } broken)
            Fail("audit", $"audit chain broken at {broken.Seq}: {broken.Reason}");
        return violations;
    }

    private static string Describe(MintedSession s) => $"{s.UserId}'s session on {s.PermissionSet} in {s.Account} (issued {Iso(s.IssuedAt)})";

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string Json(IEnumerable<JsonNode> nodes) => new JsonArray(nodes.Select(n => n.DeepClone()).ToArray()).ToJsonString();
}
