namespace PimBridge.Aws.Trails;

/// <summary>
/// Some accounts' CloudTrail could not be read, so activity there was not checked. Thrown after every other account has
/// been read (their batches were already yielded), so one misconfigured audit role neither blinds the detector to the
/// rest nor goes unnoticed. Not counted in <see cref="PimBridge.Core.Gaps.TrailScanStats"/>: it is a configuration
/// problem to fix, not damaged data.
/// </summary>
internal sealed class AuditRoleAccessException(IReadOnlyList<AuditRoleDenial> denials, string? externalId = null, Exception? inner = null)
    : Exception(Describe(denials, externalId), inner)
{
    public IReadOnlyList<AuditRoleDenial> Denials { get; } = denials;

    private static string Describe(IReadOnlyList<AuditRoleDenial> denials, string? externalId) =>
        $"CloudTrail could not be read in {denials.Select(d => d.AccountId).Distinct(StringComparer.Ordinal).Count()} account(s); activity there was NOT checked for gaps:\n- "
        + string.Join("\n- ", denials.Select(d => d.Explain(externalId)));
}
