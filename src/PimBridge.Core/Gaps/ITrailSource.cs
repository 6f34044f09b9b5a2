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
