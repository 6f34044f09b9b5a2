using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>Read access to the sources' saved positions (<see cref="Checkpoint"/>s in the state store).</summary>
public interface ITrailCursors
{
    Task<string?> GetAsync(string name, CancellationToken cancellationToken = default);
}
