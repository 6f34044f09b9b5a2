namespace PimBridge.Core.Configuration;

public sealed class FenceOptions
{
    /// <summary>
    /// Added to the confirmed removal time to get the fence cutoff, to catch credentials minted while the removal
    /// propagates (AWS documents up to an hour on the SCIM path). A re-grant pulls the cutoff back to its start.
    /// </summary>
    public string CutoffMargin { get; set; } = "60m";

    /// <summary>Added to cutoff + session duration before a fence is lifted.</summary>
    public string UntilMargin { get; set; } = "15m";
}
