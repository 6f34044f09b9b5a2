using PimBridge.Core.Domain;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>One activation as it went: when PIM started and ends it, and what the engine and moto showed.</summary>
internal sealed class ActivationRun
{
    public required ScenarioEvent Event { get; init; }
    public required string InstanceId { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public Grant? Grant { get; set; }
    public string? Granted { get; set; }
    public bool Ended { get; set; }
    public DateTimeOffset? EndedBy { get; set; }
    public string? EndReason { get; set; }
    public string? Removed { get; set; }
    public List<(SessionFence Fence, string Observed)> Fences { get; } = [];
}
