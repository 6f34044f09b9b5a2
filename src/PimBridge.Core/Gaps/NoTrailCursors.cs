namespace PimBridge.Core.Gaps;

/// <summary>Cursors that start empty and are never saved: for one-off scans.</summary>
public sealed class NoTrailCursors : ITrailCursors
{
    public static readonly NoTrailCursors Instance = new();
    public Task<string?> GetAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<string?>(null);
}
