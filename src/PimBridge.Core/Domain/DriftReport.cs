namespace PimBridge.Core.Domain;

/// <summary>What one sweep compared and found.</summary>
/// <param name="Unchecked">Targets or permission sets this sweep could not read, with why: not judged, looked at again next time.</param>
/// <param name="Limits">What was checked only in part, with why (for example provisioning state a service would not filter).</param>
/// <param name="Complete">Whether every target was looked at (false when the call budget ended the sweep; the next one goes on from there).</param>
public sealed record DriftReport(
    DateTimeOffset At,
    IReadOnlyList<Drift> Drifts,
    int Calls,
    int TargetsChecked,
    int Targets,
    int PermissionSetsChecked,
    IReadOnlyList<string> Unchecked,
    IReadOnlyList<string> Limits,
    bool Complete)
{
    /// <summary>Drifts that need repair (standing access is reported, never repaired).</summary>
    public IEnumerable<Drift> Repairable => Drifts.Where(d => d.Kind != DriftKind.StandingAccess);
}
