using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;

namespace PimBridge.Core.Engine;

/// <summary>The ids, times and audit records the engine's parts all derive the same way.</summary>
internal static class EngineRecords
{
    /// <summary>The one alert that records another hand's access to an entitlement: raised once, whoever finds it first.</summary>
    public static string StandingAccessAlertId(string entitlementKey) => $"standing-access|{entitlementKey}";

    public static string FenceId(string userId, string permissionSetArn, DateTimeOffset cutoff) =>
        "f-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}|{permissionSetArn}|{cutoff.ToUnixTimeSeconds()}")))[..24];

    public static DateTimeOffset CeilingToMinute(DateTimeOffset value) => Ceiling(value, TimeSpan.TicksPerMinute);

    /// <summary>
    /// A cutoff the policy can state: aws:TokenIssueTime is written to the second, so a cutoff is rounded up, never
    /// down (down would let sessions minted in that second, before the cutoff, through).
    /// </summary>
    public static DateTimeOffset CutoffAt(DateTimeOffset value) => Ceiling(value, TimeSpan.TicksPerSecond);

    private static DateTimeOffset Ceiling(DateTimeOffset value, long ticks) => new((value.UtcTicks + ticks - 1) / ticks * ticks, TimeSpan.Zero);

    /// <summary>
    /// Whether PimBridge may have created the access since it was last confirmed absent: a creation was about to be sent
    /// (a try at the very instant of a confirmed removal came after it), or, for entries from before PimBridge kept that
    /// mark, it was applied after its last removal.
    /// </summary>
    public static bool MayBeOurs(LedgerEntry entry) => entry.CreateAttemptedAt is { } tried
        ? tried >= (entry.RemovedAt ?? DateTimeOffset.MinValue)
        : entry.AppliedAt is { } applied && applied >= (entry.RemovedAt ?? DateTimeOffset.MinValue);

    public static AuditRecord Audit(DateTimeOffset at, string kind, string subject, JsonObject data) =>
        new(at, kind, subject, data.ToJsonString());

    public static JsonArray Ids(IEnumerable<string> ids) => new(ids.Select(i => (JsonNode)JsonValue.Create(i)).ToArray());

    public static string Iso(DateTimeOffset value) => FencePolicy.Iso(value);

    public static string Describe(Entitlement entitlement) => entitlement.Kind == EntitlementKind.GroupMembership
        ? $"membership of Identity Center group {entitlement.GroupId}"
        : $"permission set {entitlement.PermissionSetArn} in account {entitlement.AccountId}";

    public static string Describe(IntentKind kind) => kind switch
    {
        IntentKind.ApplyEntitlement => "apply",
        IntentKind.RemoveEntitlement => "remove",
        IntentKind.ReconcileGroup => "reconcile the PIM group",
        IntentKind.Notify => "send the notification",
        _ => "update the fences of",
    };
}
