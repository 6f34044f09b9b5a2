using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>
/// Where CloudTrail records come from: LookupEvents per account, an S3 organization trail, or a local directory.
/// A source yields batches (a file, or a page run); the gap detector records a batch's alerts and its cursor in one
/// commit, so a restart resumes after the last batch it recorded and never alerts twice.
/// </summary>
public interface ITrailSource
{
    /// <summary>For messages and the CLI, for example <c>s3://trail-bucket/AWSLogs/o-abc123</c>.</summary>
    string Describe { get; }

    IAsyncEnumerable<TrailBatch> ReadAsync(ActivityQuery query, CancellationToken cancellationToken = default);
}

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

/// <summary>Read access to the sources' saved positions (<see cref="Checkpoint"/>s in the state store).</summary>
public interface ITrailCursors
{
    Task<string?> GetAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Cursors that start empty and are never saved: for one-off scans.</summary>
public sealed class NoTrailCursors : ITrailCursors
{
    public static readonly NoTrailCursors Instance = new();
    public Task<string?> GetAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<string?>(null);
}

/// <summary>
/// The records of one unit of reading (a file, or a LookupEvents run) that passed the filter, what reading it counted,
/// and the cursor to save once its alerts are recorded (null when the source keeps none).
/// </summary>
public sealed record TrailBatch(string Origin, IReadOnlyList<TrailRecord> Records, TrailScanStats Stats, Checkpoint? Cursor);
