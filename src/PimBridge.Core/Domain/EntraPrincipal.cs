namespace PimBridge.Core.Domain;

/// <summary>An Entra user as PIM names them, with the attributes identity mapping may use.</summary>
public sealed record EntraPrincipal(string Id, string? UserPrincipalName = null, string? Mail = null);
