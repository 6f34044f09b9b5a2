using System.Security.Cryptography;
using System.Text;
using PimBridge.Core.Configuration;

namespace PimBridge.Core;

/// <summary>The window PIM justifies for one (mapping, principal, group, access) slot right now.</summary>
public sealed record GrantWindow(ResolvedMapping Mapping, EntraPrincipal Principal, string GroupId, PimAccess Access, DateTimeOffset Start, DateTimeOffset? End, string ActivationId)
{
    public string Slot => Grant.SlotOf(Mapping.Name, Principal.Id, GroupId, Access);
}

/// <summary>What one reconcile decides. Empty when AWS-side state already matches PIM.</summary>
public sealed record ReconcilePlan(
    IReadOnlyList<Grant> NewGrants,
    IReadOnlyList<GrantEndChange> EndChanges,
    IReadOnlyList<GrantStop> Stops,
    IReadOnlyList<UnmappedPrincipal> Unmapped)
{
    public bool IsEmpty => NewGrants.Count + EndChanges.Count + Stops.Count + Unmapped.Count == 0;
}

/// <summary>An active grant whose end moves: PIM extended or shortened the activation.</summary>
public sealed record GrantEndChange(Grant Grant, DateTimeOffset? NewEnd, string NewActivationId)
{
    public bool IsExtension => NewEnd is null || (Grant.End is { } old && NewEnd > old);
}

/// <summary>An active grant PIM no longer justifies: it ends now.</summary>
public sealed record GrantStop(Grant Grant, string Reason);

/// <summary>A principal with a mapped activation but no Identity Center user.</summary>
public sealed record UnmappedPrincipal(EntraPrincipal Principal, string Mapping, string GroupId);

/// <summary>
/// The one reconcile decision, pure: PIM's authoritative snapshot of some groups, the active grants of those groups
/// and <c>now</c> in; the changes out. Applying the plan and reconciling the same snapshot again yields an empty plan.
/// </summary>
public static class Reconciler
{
    /// <summary>The windows PIM justifies now, one per slot: overlapping activations of a slot merge into one window.</summary>
    public static IReadOnlyDictionary<string, GrantWindow> Windows(PimSnapshot snapshot, IReadOnlyList<ResolvedMapping> mappings, DateTimeOffset now)
    {
        var windows = new Dictionary<string, GrantWindow>(StringComparer.Ordinal);
        var groups = new HashSet<string>(snapshot.GroupIds, StringComparer.OrdinalIgnoreCase);
        var byGroup = mappings.ToLookup(m => m.Rule.EntraGroupId, StringComparer.OrdinalIgnoreCase);
        foreach (var activation in snapshot.Activations)
        {
            if (!groups.Contains(activation.GroupId) || activation.Start > now)
                continue; // not this snapshot's business, or not started yet (a later reconcile picks it up)
            foreach (var mapping in byGroup[activation.GroupId])
            {
                if (!mapping.Rule.Counts(activation))
                    continue;
                var end = mapping.Rule.EffectiveEnd(activation);
                if (end <= now)
                    continue;
                var window = new GrantWindow(mapping, activation.Principal, mapping.Rule.EntraGroupId, activation.Access, activation.Start, end, activation.Id);
                windows[window.Slot] = windows.TryGetValue(window.Slot, out var other) ? Merge(other, window) : window;
            }
        }

        return windows;
    }

    public static ReconcilePlan Plan(
        PimSnapshot snapshot,
        IReadOnlyList<ResolvedMapping> mappings,
        IReadOnlyList<Grant> activeGrants,
        IReadOnlyDictionary<string, IdentityCenterUser?> users,
        DateTimeOffset now)
    {
        var windows = Windows(snapshot, mappings, now);
        var groups = new HashSet<string>(snapshot.GroupIds, StringComparer.OrdinalIgnoreCase);
        var mappingNames = mappings.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var live = new Dictionary<string, Grant>(StringComparer.Ordinal);
        var stops = new List<GrantStop>();
        foreach (var grant in activeGrants.Where(g => g.State == GrantState.Active && groups.Contains(g.GroupId)).OrderBy(g => g.Start))
        {
            if (!mappingNames.Contains(grant.Mapping))
                stops.Add(new GrantStop(grant, EndReasons.Deactivated)); // its mapping was removed from the configuration
            else if (!live.TryAdd(grant.Slot, grant))
                stops.Add(new GrantStop(grant, EndReasons.Deactivated)); // a duplicate for the slot: keep the oldest
        }

        var newGrants = new List<Grant>();
        var changes = new List<GrantEndChange>();
        var unmapped = new List<UnmappedPrincipal>();
        foreach (var window in windows.Values.OrderBy(w => w.Slot, StringComparer.Ordinal))
        {
            if (live.Remove(window.Slot, out var grant))
            {
                if (grant.End != window.End)
                    changes.Add(new GrantEndChange(grant, window.End, window.ActivationId));
                continue;
            }

            if (!users.TryGetValue(window.Principal.Id, out var user) || user is null)
            {
                unmapped.Add(new UnmappedPrincipal(window.Principal, window.Mapping.Name, window.GroupId));
                continue;
            }

            newGrants.Add(new Grant
            {
                Id = GrantId(window),
                Mapping = window.Mapping.Name,
                Principal = window.Principal,
                GroupId = window.GroupId,
                Access = window.Access,
                User = user,
                ActivationId = window.ActivationId,
                Start = window.Start,
                End = window.End,
                EntitlementKeys = window.Mapping.EntitlementsFor(user.UserId).Select(e => e.Key).ToList(),
            });
        }

        // Whatever is still live has no window: PIM ended it early (or it expired and the tick has not run yet).
        stops.AddRange(live.Values.Select(g => new GrantStop(g, g.End is { } end && end <= now ? EndReasons.Expired : EndReasons.Deactivated)));
        return new ReconcilePlan(newGrants, changes, stops, unmapped);
    }

    /// <summary>The principals a plan would need Identity Center users for: those with a window but no live grant.</summary>
    public static IReadOnlyList<EntraPrincipal> PrincipalsWithoutGrants(IReadOnlyDictionary<string, GrantWindow> windows, IReadOnlyList<Grant> activeGrants)
    {
        var live = activeGrants.Where(g => g.State == GrantState.Active).Select(g => g.Slot).ToHashSet(StringComparer.Ordinal);
        return windows.Values.Where(w => !live.Contains(w.Slot)).Select(w => w.Principal).DistinctBy(p => p.Id).ToList();
    }

    private static GrantWindow Merge(GrantWindow a, GrantWindow b)
    {
        var end = a.End is null || b.End is null ? null : (a.End > b.End ? a.End : b.End);
        var latest = a.End is null || (b.End is not null && a.End >= b.End) ? a : b;
        return a with { Start = a.Start < b.Start ? a.Start : b.Start, End = end, ActivationId = latest.ActivationId };
    }

    private static string GrantId(GrantWindow window)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{window.Slot}|{window.Start.ToUnixTimeMilliseconds()}"));
        return "g-" + Convert.ToHexStringLower(hash)[..24];
    }
}
