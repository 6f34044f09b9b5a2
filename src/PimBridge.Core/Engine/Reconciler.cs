using System.Security.Cryptography;
using System.Text;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>
/// The one reconcile decision, pure: PIM's authoritative snapshot of some groups (as windows), the active grants of
/// those groups and <c>now</c> in; the changes out. Applying the plan and reconciling the same snapshot again yields
/// an empty plan.
/// </summary>
internal static class Reconciler
{
    /// <summary>The windows PIM justifies now, one per slot: overlapping activations of a slot merge into one window.</summary>
    public static GrantWindows Windows(PimSnapshot snapshot, IReadOnlyList<ResolvedMapping> mappings, DateTimeOffset now)
    {
        var windows = new Dictionary<GrantSlot, GrantWindow>(snapshot.Activations.Count);
        var groups = new HashSet<string>(snapshot.GroupIds, StringComparer.OrdinalIgnoreCase);
        var byGroup = mappings.ToLookup(m => m.Rule.EntraGroupId, StringComparer.OrdinalIgnoreCase);
        var ignored = new Dictionary<GrantSlot, IgnoredPermanentAssignment>();
        foreach (var activation in snapshot.Activations)
        {
            if (activation.Start > now || !groups.Contains(activation.GroupId))
                continue; // not started yet (a later reconcile picks it up), or not this snapshot's business
            foreach (var mapping in byGroup[activation.GroupId])
            {
                if (!mapping.Rule.Counts(activation))
                {
                    if (activation.IsPermanent && activation.Access == mapping.Rule.Access)
                    {
                        var standing = new GrantSlot(mapping.Name, activation.Principal.Id, mapping.Rule.EntraGroupId, activation.Access);
                        if (!ignored.TryGetValue(standing, out var seen) || activation.Start < seen.Since)
                            ignored[standing] = new IgnoredPermanentAssignment(activation.Principal, mapping.Name, mapping.Rule.EntraGroupId, activation.Access, activation.Start);
                    }

                    continue;
                }

                var end = mapping.Rule.EffectiveEnd(activation);
                if (end <= now)
                    continue;
                var window = new GrantWindow(mapping, activation.Principal, mapping.Rule.EntraGroupId, activation.Access, activation.Start, end, activation);
                var slot = window.Slot;
                windows[slot] = windows.TryGetValue(slot, out var other) ? Merge(other, window) : window;
            }
        }

        // A principal the same mapping grants through an activation lost nothing by the standing assignment being left out.
        var leftOut = ignored.Where(i => !windows.ContainsKey(i.Key)).Select(i => i.Value)
            .OrderBy(i => i.Mapping, StringComparer.Ordinal).ThenBy(i => i.Principal.Id, StringComparer.Ordinal).ToList();
        return new GrantWindows(snapshot.GroupIds, windows, leftOut);
    }

    /// <param name="identities">
    /// For windows whose first grant id is already taken by an ended grant: the id to use instead, or null when that
    /// grant was revoked (the revoke holds for the activation). Windows not listed use <see cref="GrantId"/>.
    /// </param>
    public static ReconcilePlan Plan(
        GrantWindows windows,
        IReadOnlyList<ResolvedMapping> mappings,
        IReadOnlyList<ActiveGrant> activeGrants,
        IReadOnlyDictionary<string, IdentityCenterUser?> users,
        DateTimeOffset now,
        IReadOnlyDictionary<GrantSlot, GrantIdentity>? identities = null)
    {
        var groups = new HashSet<string>(windows.GroupIds, StringComparer.OrdinalIgnoreCase);
        var mappingNames = mappings.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var live = new Dictionary<GrantSlot, ActiveGrant>(activeGrants.Count);
        var stops = new List<GrantStop>();
        foreach (var grant in activeGrants)
        {
            if (!groups.Contains(grant.Slot.GroupId))
                continue;
            if (!mappingNames.Contains(grant.Slot.Mapping))
            {
                stops.Add(new GrantStop(grant, EndReasons.Deactivated)); // its mapping was removed from the configuration
            }
            else if (!live.TryAdd(grant.Slot, grant))
            {
                // Two active grants in one slot (concurrent reconciles): keep the older, end the other.
                var kept = live[grant.Slot];
                var (keep, drop) = kept.Start <= grant.Start ? (kept, grant) : (grant, kept);
                live[grant.Slot] = keep;
                stops.Add(new GrantStop(drop, EndReasons.Deactivated));
            }
        }

        var newGrants = new List<Grant>();
        var changes = new List<GrantEndChange>();
        var unmapped = new List<UnmappedPrincipal>();
        var suppressed = new List<GrantWindow>();
        foreach (var (slot, window) in windows.BySlot)
        {
            if (live.Remove(slot, out var grant))
            {
                if (grant.End != window.End)
                    changes.Add(new GrantEndChange(grant, window.End, window.ActivationId));
                continue;
            }

            var id = identities is not null && identities.TryGetValue(slot, out var identity) ? identity.GrantId : GrantId(slot, window.Start);
            if (id is null)
            {
                suppressed.Add(window);
                continue;
            }

            if (!users.TryGetValue(window.Principal.Id, out var user) || user is null)
            {
                unmapped.Add(new UnmappedPrincipal(window.Principal, window.Mapping.Name, window.GroupId));
                continue;
            }

            newGrants.Add(new Grant
            {
                Id = id,
                Mapping = window.Mapping.Name,
                Principal = window.Principal,
                GroupId = window.GroupId,
                Access = window.Access,
                User = user,
                ActivationId = window.ActivationId,
                ActivationScheduleId = window.Latest.ScheduleId,
                ActivationStart = window.Latest.Start,
                Permanent = window.IncludesPermanent,
                Start = window.Start,
                End = window.End,
                EntitlementKeys = window.Mapping.EntitlementsFor(user.UserId).Select(e => e.Key).ToList(),
            });
        }

        // Whatever is still live has no window: PIM ended it early (or it expired and the tick has not run yet).
        stops.AddRange(live.Values.Select(g => new GrantStop(g, g.End is { } end && end <= now ? EndReasons.Expired : EndReasons.Deactivated)));

        // Deterministic order for output and audit, at the cost of sorting only what changes.
        return new ReconcilePlan(
            [.. newGrants.OrderBy(g => g.Id, StringComparer.Ordinal)],
            [.. changes.OrderBy(c => c.Grant.Id, StringComparer.Ordinal)],
            [.. stops.OrderBy(s => s.Grant.Id, StringComparer.Ordinal)],
            [.. unmapped.OrderBy(u => u.Principal.Id, StringComparer.Ordinal).ThenBy(u => u.Mapping, StringComparer.Ordinal)],
            [.. suppressed.OrderBy(w => w.Slot.ToString(), StringComparer.Ordinal)]) { IgnoredPermanent = windows.IgnoredPermanent };
    }

    /// <summary>A plan of stops and moved ends, with the new grants decided one principal at a time after it.</summary>
    public static ReconcilePlan Combine(ReconcilePlan known, IEnumerable<Grant> newGrants, IEnumerable<UnmappedPrincipal> unmapped, IEnumerable<GrantWindow> suppressed) => new(
        [.. known.NewGrants.Concat(newGrants).OrderBy(g => g.Id, StringComparer.Ordinal)],
        known.EndChanges,
        known.Stops,
        [.. known.Unmapped.Concat(unmapped).OrderBy(u => u.Principal.Id, StringComparer.Ordinal).ThenBy(u => u.Mapping, StringComparer.Ordinal)],
        [.. known.Suppressed.Concat(suppressed).OrderBy(w => w.Slot.ToString(), StringComparer.Ordinal)]) { IgnoredPermanent = known.IgnoredPermanent };

    private static GrantWindow Merge(GrantWindow a, GrantWindow b)
    {
        var end = a.End is null || b.End is null ? null : (a.End > b.End ? a.End : b.End);
        var latest = a.End is null || (b.End is not null && a.End >= b.End) ? a : b;
        return a with { Start = a.Start < b.Start ? a.Start : b.Start, End = end, Latest = latest.Latest, IncludesPermanent = a.IncludesPermanent || b.IncludesPermanent };
    }

    /// <summary>The first id of a grant for a slot's window starting at <paramref name="start"/>: the same for every reconcile, so concurrent ones agree.</summary>
    public static string GrantId(GrantSlot slot, DateTimeOffset start) => Hash($"{slot}|{start.ToUnixTimeMilliseconds()}");

    /// <summary>The id of the grant that succeeds an ended one for the same window (PIM extended it after it expired, say).</summary>
    public static string SuccessorId(string endedGrantId) => Hash($"{endedGrantId}|successor");

    private static string Hash(string text) => "g-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
}
