namespace PimBridge.Core.Configuration;

public sealed class GapOptions
{
    /// <summary>How long after a fence's until time CloudTrail may still deliver events for it; the watch window closes then.</summary>
    public string DeliveryLag { get; set; } = "15m";

    /// <summary>How often the gap detector reads its source.</summary>
    public string Interval { get; set; } = "5m";

    /// <summary>Where CloudTrail records come from; none configured turns the gap detector off.</summary>
    public GapSourceOptions? Source { get; set; }
}
