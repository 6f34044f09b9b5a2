using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>
/// Every window PIM justifies now for the groups of one snapshot, one per slot, and the standing assignments the
/// snapshot's mappings left out.
/// </summary>
internal sealed class GrantWindows(IReadOnlyCollection<string> groupIds, Dictionary<GrantSlot, GrantWindow> windows, IReadOnlyList<IgnoredPermanentAssignment> ignoredPermanent)
{
    public IReadOnlyCollection<string> GroupIds { get; } = groupIds;

    public IReadOnlyDictionary<GrantSlot, GrantWindow> BySlot => windows;

    public IReadOnlyList<IgnoredPermanentAssignment> IgnoredPermanent { get; } = ignoredPermanent;

    /// <summary>These windows without some slots (ones that could not be looked up this time).</summary>
    public GrantWindows Except(IReadOnlyCollection<GrantSlot> slots) =>
        slots.Count == 0 ? this : new(GroupIds, windows.Where(w => !slots.Contains(w.Key)).ToDictionary(), IgnoredPermanent);

    /// <summary>One slot's window alone, for the same groups (what was left out is the whole snapshot's, reported once).</summary>
    public GrantWindows Only(GrantSlot slot) => new(GroupIds, windows.Where(w => w.Key == slot).ToDictionary(), []);

    /// <summary>The windows no active grant covers yet: the candidates for new grants.</summary>
    public IReadOnlyList<GrantWindow> WithoutGrants(IReadOnlyList<ActiveGrant> active)
    {
        var live = active.Select(g => g.Slot).ToHashSet();
        return windows.Values.Where(w => !live.Contains(w.Slot)).ToList();
    }
}
