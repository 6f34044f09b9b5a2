namespace PimBridge.Core.Engine;

/// <summary>
/// How a window without an active grant may be granted, given the grants that already used its id: under
/// <see cref="GrantId"/> (null: not at all, because an emergency revoke ended that activation's grant).
/// </summary>
internal sealed record GrantIdentity(string? GrantId);
