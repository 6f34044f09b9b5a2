namespace PimBridge.Core.Ports;

/// <summary>
/// What one round of <see cref="IGroupMembershipDelta"/> saw: the groups (lower-case object ids) whose membership
/// changed, the cursor to read on from, and how many requests it took.
/// </summary>
public sealed record MembershipDeltaRound(IReadOnlySet<string> ChangedGroups, string Cursor, int Requests);
