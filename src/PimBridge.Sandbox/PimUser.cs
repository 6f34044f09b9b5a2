namespace PimBridge.Sandbox;

/// <summary>A user of the sandbox's Entra tenant: the short name the control surface takes, the user principal name, the object id.</summary>
public sealed record PimUser(string Name, string UserPrincipalName, string EntraId);
