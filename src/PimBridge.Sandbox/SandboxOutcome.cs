namespace PimBridge.Sandbox;

/// <summary>One expected outcome next to what was observed.</summary>
public sealed record SandboxOutcome(string Outcome, string Subject, string Expected, string Observed, bool Met);
