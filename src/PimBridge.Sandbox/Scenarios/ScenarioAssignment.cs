namespace PimBridge.Sandbox.Scenarios;

/// <summary>One permission set assigned in some accounts.</summary>
public sealed record ScenarioAssignment(string PermissionSet, IReadOnlyList<string> Accounts);
