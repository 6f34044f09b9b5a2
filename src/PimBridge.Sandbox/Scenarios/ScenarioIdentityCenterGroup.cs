namespace PimBridge.Sandbox.Scenarios;

/// <summary>A standing Identity Center group with its account assignments: a mapping can make PIM activations members of it.</summary>
public sealed record ScenarioIdentityCenterGroup(string Name, IReadOnlyList<ScenarioAssignment> Assignments);
