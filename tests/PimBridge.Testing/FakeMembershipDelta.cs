using PimBridge.Core.Ports;

namespace PimBridge.Testing;

/// <summary>
/// Graph's membership delta as the poll's port sees it: groups marked <see cref="Changed"/> are reported by the next
/// round that names them (and then forgotten), each round hands out a new cursor, and every round is recorded.
/// </summary>
public sealed class FakeMembershipDelta : IGroupMembershipDelta
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private readonly List<(IReadOnlyList<string> Groups, string? Cursor)> _reads = [];

    public int MaxGroupsPerQuery => 50;

    /// <summary>Every round: the groups it named and the cursor it read from.</summary>
    public IReadOnlyList<(IReadOnlyList<string> Groups, string? Cursor)> Reads { get { lock (_gate) return [.. _reads]; } }

    /// <summary>The group's membership changed (an activation began or ended).</summary>
    public void Changed(string group) { lock (_gate) _changed.Add(group.ToLowerInvariant()); }

    public Task<MembershipDeltaRound> ReadAsync(IReadOnlyList<string> groupIds, string? cursor, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _reads.Add((groupIds, cursor));
            var changed = groupIds.Where(_changed.Contains).ToHashSet(StringComparer.Ordinal);
            _changed.ExceptWith(changed);
            return Task.FromResult(new MembershipDeltaRound(changed, $"https://graph.example/v1.0/groups/delta?$deltatoken={_reads.Count}", 1));
        }
    }
}
