using PimBridge.Core.Domain;

namespace PimBridge.Core.Polling;

/// <summary>
/// Which mapped groups to read from PIM now (<see cref="GroupChangeFeed.ReadAsync"/>): those whose membership changed,
/// and every group of a batch the delta could not speak for (the first round, a rejected cursor, an answer not of the
/// documented shape), each such case named in <see cref="Warnings"/> unless it is the first round.
/// </summary>
public sealed record GroupChanges(IReadOnlySet<string> Changed, IReadOnlyList<string> Warnings)
{
    /// <summary>True when no saved cursor covered some batch: those groups are reported without a delta.</summary>
    public bool FirstRound { get; init; }

    /// <summary>How many requests the delta took.</summary>
    public int Requests { get; init; }

    /// <summary>The cursors to save once the changed groups are read (<see cref="GroupChangeFeed.CommitAsync"/>), at the version read.</summary>
    public Checkpoint? Next { get; init; }
}
