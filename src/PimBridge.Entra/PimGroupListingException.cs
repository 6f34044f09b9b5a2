namespace PimBridge.Entra;

/// <summary>Graph refused or failed a call while listing PIM-enabled groups; the message names the call and the permission it needs.</summary>
public sealed class PimGroupListingException(string message, Exception inner) : Exception(message, inner);
