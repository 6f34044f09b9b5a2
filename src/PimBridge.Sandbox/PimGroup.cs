namespace PimBridge.Sandbox;

/// <summary>A PIM-enabled group of the sandbox's Entra tenant, one PimBridge mapping each: its name, its object id, and what its mapping gives in AWS.</summary>
public sealed record PimGroup(string Name, string EntraGroupId, string Reaches);
