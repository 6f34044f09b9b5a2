namespace PimBridge.Core.Domain;

/// <summary>The Identity Center user an Entra principal maps to.</summary>
public sealed record IdentityCenterUser(string UserId, string UserName);
