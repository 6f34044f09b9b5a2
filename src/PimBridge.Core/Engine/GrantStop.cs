using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>An active grant PIM no longer justifies: it ends now.</summary>
public sealed record GrantStop(ActiveGrant Grant, string Reason);
