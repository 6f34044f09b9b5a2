using System.Text.Json.Serialization;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Commands;

/// <summary>One grant of <c>grants --json</c> (field names documented in docs/cli.md; every field always present).</summary>
internal sealed record GrantDocument(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("principal")] string? Principal,
    [property: JsonPropertyName("principalId")] string PrincipalId,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("start")] string Start,
    [property: JsonPropertyName("end")] string? End,
    [property: JsonPropertyName("endedAt")] string? EndedAt,
    [property: JsonPropertyName("endReason")] string? EndReason,
    [property: JsonPropertyName("activationId")] string ActivationId,
    [property: JsonPropertyName("firstSeenAt")] string? FirstSeenAt,
    [property: JsonPropertyName("accessConfirmedAt")] string? AccessConfirmedAt,
    [property: JsonPropertyName("processingSeconds")] double? ProcessingSeconds)
{
    public static GrantDocument From(Grant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return new GrantDocument(
            grant.Id, grant.User.UserName, grant.User.UserId, grant.Principal.UserPrincipalName ?? grant.Principal.Mail, grant.Principal.Id,
            grant.Mapping, grant.GroupId, Formats.Name(grant.Access), Formats.Name(grant.State),
            Formats.Time(grant.Start), Formats.Time(grant.End), Formats.Time(grant.EndedAt), grant.EndReason, grant.ActivationId,
            Formats.Time(grant.FirstSeenAt), Formats.Time(grant.AccessConfirmedAt), Formats.Seconds(grant.ProcessingTime));
    }
}
