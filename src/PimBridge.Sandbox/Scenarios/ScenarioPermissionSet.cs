namespace PimBridge.Sandbox.Scenarios;

/// <summary>A permission set the sandbox creates in Identity Center, with an optional customer inline policy PimBridge must keep.</summary>
public sealed record ScenarioPermissionSet(string Name, TimeSpan SessionDuration, string? CustomerPolicy);
