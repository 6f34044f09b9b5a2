using System.Text.Json.Serialization;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Commands;

/// <summary>One fence of <c>fences --json</c> (field names documented in docs/cli.md; every field always present).</summary>
internal sealed record FenceDocument(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("permissionSet")] string? PermissionSet,
    [property: JsonPropertyName("permissionSetArn")] string PermissionSetArn,
    [property: JsonPropertyName("accounts")] IReadOnlyList<string> Accounts,
    [property: JsonPropertyName("cutoff")] string Cutoff,
    [property: JsonPropertyName("until")] string Until,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("createdAt")] string CreatedAt,
    [property: JsonPropertyName("activeSince")] string? ActiveSince,
    [property: JsonPropertyName("liftedAt")] string? LiftedAt)
{
    public static FenceDocument From(SessionFence fence)
    {
        ArgumentNullException.ThrowIfNull(fence);
        return new FenceDocument(
            fence.Id, fence.UserName, fence.UserId, fence.PermissionSetName, fence.PermissionSetArn, fence.Accounts,
            Formats.Time(fence.Cutoff), Formats.Time(fence.Until), Formats.Name(fence.State), Formats.Time(fence.CreatedAt),
            Formats.Time(fence.ActiveSince), Formats.Time(fence.LiftedAt));
    }
}
