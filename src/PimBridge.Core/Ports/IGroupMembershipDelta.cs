namespace PimBridge.Core.Ports;

/// <summary>
/// Which groups had members or owners added or removed since a cursor: Microsoft Graph's group delta query. PIM for
/// Groups adds an activated principal to the group within seconds and removes it when the activation ends, so a change
/// here is a reason to read the group from PIM, never a grant or a removal in itself: PIM stays the source of truth.
/// An activation extended, or ended early while the principal keeps a standing membership, changes no membership and
/// is not seen here (the full read catches it).
/// </summary>
public interface IGroupMembershipDelta
{
    /// <summary>The most groups one query may name (Graph documents 50 filtered objects).</summary>
    int MaxGroupsPerQuery { get; }

    /// <summary>
    /// One round over <paramref name="groupIds"/> (lower-case object ids, at most <see cref="MaxGroupsPerQuery"/>),
    /// from <paramref name="cursor"/>, or from nothing when it is null (Graph then lists every group's members).
    /// </summary>
    /// <exception cref="DeltaCursorRejectedException">The source no longer accepts the cursor (expired, or it asks for a full resync).</exception>
    /// <exception cref="InvalidDataException">An answer that is not the documented shape.</exception>
    Task<MembershipDeltaRound> ReadAsync(IReadOnlyList<string> groupIds, string? cursor, CancellationToken cancellationToken = default);
}
