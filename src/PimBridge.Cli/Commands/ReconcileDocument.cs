using System.Text.Json.Serialization;

namespace PimBridge.Cli.Commands;

/// <summary>The <c>reconcile --json</c> document (docs/cli.md).</summary>
internal sealed record ReconcileDocument(
    [property: JsonPropertyName("dryRun")] bool DryRun,
    [property: JsonPropertyName("groups")] IReadOnlyList<string> Groups,
    [property: JsonPropertyName("newGrants")] IReadOnlyList<ReconcileNewGrant> NewGrants,
    [property: JsonPropertyName("endChanges")] IReadOnlyList<ReconcileEndChange> EndChanges,
    [property: JsonPropertyName("stops")] IReadOnlyList<ReconcileStop> Stops,
    [property: JsonPropertyName("unmapped")] IReadOnlyList<ReconcileUnmapped> Unmapped,
    [property: JsonPropertyName("heldBack")] IReadOnlyList<ReconcileHeldBack> Suppressed,
    [property: JsonPropertyName("leftOut")] IReadOnlyList<ReconcileLeftOut> LeftOut,
    [property: JsonPropertyName("applied")] ReconcileApplied? Applied);

internal sealed record ReconcileNewGrant(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("start")] string Start,
    [property: JsonPropertyName("end")] string? End,
    [property: JsonPropertyName("entitlements")] IReadOnlyList<string> Entitlements,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("accessConfirmedAt")] string? AccessConfirmedAt,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record ReconcileEndChange(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("change")] string Change,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To);

internal sealed record ReconcileStop(
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record ReconcileUnmapped(
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("mail")] string? Mail,
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("group")] string Group);

internal sealed record ReconcileHeldBack(
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("end")] string? End);

/// <summary>A standing PIM assignment no mapping counts: why it gives no access, and how to change that.</summary>
internal sealed record ReconcileLeftOut(
    [property: JsonPropertyName("mapping")] string Mapping,
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("userPrincipalName")] string? UserPrincipalName,
    [property: JsonPropertyName("mail")] string? Mail,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("since")] string Since,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("fix")] string Fix)
{
    /// <summary>The one reason today: the assignment is permanent and the mapping's IncludePermanent is off.</summary>
    public const string PermanentNotIncluded = "permanent-not-included";

    public static string FixFor(string mapping) =>
        $"set \"IncludePermanent\": true on mapping '{mapping}' in the configuration file (docs/configuration.md)";
}

internal sealed record ReconcileApplied(
    [property: JsonPropertyName("ticks")] int Ticks,
    [property: JsonPropertyName("stepsDone")] int StepsDone,
    [property: JsonPropertyName("stepsFailed")] int StepsFailed,
    [property: JsonPropertyName("finished")] bool Finished);
