namespace PimBridge.Host.Security;

/// <summary>Whether a delivery proved who sent it, and if not, why (returned with the 401).</summary>
public sealed record AuthResult(bool Authenticated, string Reason);
