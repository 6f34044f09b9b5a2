namespace PimBridge.Sandbox.Scenarios;

/// <summary>A person: <see cref="Name"/> in the scenario, <see cref="UserName"/> as Entra's UPN and Identity Center's user name.</summary>
public sealed record ScenarioUser(string Name, string UserName);
