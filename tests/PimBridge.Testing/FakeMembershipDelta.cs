using System.Globalization;
using PimBridge.Core.Ports;

namespace PimBridge.Testing;

/// <summary>
/// Graph's membership delta as the poll's port sees it: a cursor is a position in the list of changes, so a round from
/// a cursor reports the groups marked <see cref="Changed"/> after it, and a round from an older cursor reports them
/// again (as Graph does when a cursor was never saved). Every round is recorded.
/// </summary>
public sealed class FakeMembershipDelta : IGroupMembershipDelta
{
    private const string CursorPrefix = "https://graph.example/v1.0/groups/delta?$deltatoken=";
    private readonly Lock _gate = new();
    private readonly List<string> _changes = [];
    private readonly List<(IReadOnlyList<string> Groups, string? Cursor)> _reads = [];

    public int MaxGroupsPerQuery => 50;

    /// <summary>Every round: the groups it named and the cursor it read from.</summary>
    public IReadOnlyList<(IReadOnlyList<string> Groups, string? Cursor)> Reads { get { lock (_gate) return [.. _reads]; } }

    /// <summary>The group's membership changed (an activation began or ended).</summary>
    public void Changed(string group) { lock (_gate) _changes.Add(group.ToLowerInvariant()); }

    /// <summary>The cursor a round hands out after the first <paramref name="changes"/> changes.</summary>
    public static string Cursor(int changes) => CursorPrefix + changes.ToString(CultureInfo.InvariantCulture);

    public Task<MembershipDeltaRound> ReadAsync(IReadOnlyList<string> groupIds, string? cursor, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _reads.Add((groupIds, cursor));
            var since = cursor is null ? 0 : int.Parse(cursor[CursorPrefix.Length..], CultureInfo.InvariantCulture);
            var changed = _changes.Skip(since).Where(groupIds.Contains).ToHashSet(StringComparer.Ordinal);
            return Task.FromResult(new MembershipDeltaRound(changed, Cursor(_changes.Count), 1));
        }
    }
}
