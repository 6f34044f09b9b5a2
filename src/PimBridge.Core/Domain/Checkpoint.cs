namespace PimBridge.Core.Domain;

/// <summary>
/// A named position that must survive restarts, for example how far an S3 trail prefix has been read. Saved in the
/// same commit as the work it confirms.
/// </summary>
public sealed record Checkpoint
{
    public required string Name { get; init; }
    public required string Value { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public long Version { get; init; }
}
