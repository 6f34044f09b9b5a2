namespace PimBridge.Core.Gaps;

/// <summary>
/// What to read: records in <see cref="Accounts"/> between <see cref="From"/> and <see cref="Until"/> (event time),
/// of which only those <see cref="Filter"/> accepts need be parsed in full. <see cref="Cursors"/> gives the source its
/// saved positions.
/// </summary>
public sealed record ActivityQuery(
    IReadOnlyCollection<string> Accounts,
    DateTimeOffset From,
    DateTimeOffset Until,
    TrailRecordFilter Filter,
    ITrailCursors Cursors)
{
    /// <summary>Identity Center user names (session names) being watched; LookupEvents filters by them.</summary>
    public IReadOnlyCollection<string> UserNames { get; init; } = [];
}
