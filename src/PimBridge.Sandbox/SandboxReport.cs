namespace PimBridge.Sandbox;

/// <summary>The result of a sandbox run: each expected outcome with what was observed, and the timeline.</summary>
public sealed record SandboxReport(
    string Scenario,
    double Speed,
    TimeSpan ScenarioTime,
    TimeSpan Elapsed,
    string? KeptFolder,
    IReadOnlyList<SandboxOutcome> Outcomes,
    IReadOnlyList<TimelineEntry> Timeline)
{
    /// <summary>Every expected outcome was observed.</summary>
    public bool Passed => Outcomes.Count > 0 && Outcomes.All(o => o.Met);

    public IReadOnlyList<SandboxOutcome> Missing => Outcomes.Where(o => !o.Met).ToList();
}
