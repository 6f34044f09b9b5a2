using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>
/// The records of one unit of reading (a file, or a LookupEvents run) that passed the filter, what reading it counted,
/// and the cursor to save once its alerts are recorded (null when the source keeps none).
/// </summary>
public sealed record TrailBatch(string Origin, IReadOnlyList<TrailRecord> Records, TrailScanStats Stats, Checkpoint? Cursor);
