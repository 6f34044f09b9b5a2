using System.Text.Json.Serialization;

namespace PimBridge.Cli.Commands;

/// <summary>The <c>revoke --json</c> document, and its table form (docs/cli.md).</summary>
internal sealed record RevokeDocument(
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("revoked")] bool Revoked,
    [property: JsonPropertyName("grants")] IReadOnlyList<RevokedGrant> Grants,
    [property: JsonPropertyName("entitlements")] IReadOnlyList<RevokedEntitlement> Entitlements,
    [property: JsonPropertyName("fences")] IReadOnlyList<RevokeFence> Fences,
    [property: JsonPropertyName("complete")] bool Complete);

internal sealed record RevokedGrant(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("start")] string Start,
    [property: JsonPropertyName("end")] string? End,
    [property: JsonPropertyName("endedAt")] string? EndedAt);

internal sealed record RevokedEntitlement(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("permissionSet")] string? PermissionSet,
    [property: JsonPropertyName("permissionSetArn")] string? PermissionSetArn,
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("identityCenterGroup")] string? IdentityCenterGroup,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("removedAt")] string? RemovedAt,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record RevokeFence(
    [property: JsonPropertyName("fence")] string Fence,
    [property: JsonPropertyName("permissionSet")] string PermissionSet,
    [property: JsonPropertyName("permissionSetArn")] string PermissionSetArn,
    [property: JsonPropertyName("accounts")] IReadOnlyList<string> Accounts,
    [property: JsonPropertyName("cutoff")] string Cutoff,
    [property: JsonPropertyName("until")] string Until,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("activeSince")] string? ActiveSince);
