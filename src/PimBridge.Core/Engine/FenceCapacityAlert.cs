using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using static PimBridge.Core.Engine.EngineRecords;

namespace PimBridge.Core.Engine;

/// <summary>The critical alert for a fence the permission set's full inline policy cannot take: one per fence (its id).</summary>
internal static class FenceCapacityAlert
{
    /// <summary>The fences these alerts are about, among any alerts.</summary>
    public static IEnumerable<string> FenceIds(IEnumerable<Alert> alerts) =>
        alerts.Where(a => a.Kind == Kind && a.Facts?.GetValueOrDefault("fence") is not null).Select(a => a.Facts!["fence"]);

    private const string Kind = "fence-capacity-exhausted";

    public static Alert For(SessionFence fence, DateTimeOffset at) => new()
    {
        Id = $"fence-capacity|{fence.Id}",
        At = at,
        Severity = AlertSeverity.Critical,
        Kind = Kind,
        Subject = fence.UserName,
        Message = $"Access of {fence.UserName} to {fence.PermissionSetArn} was removed, but its live sessions could not be fenced: the permission set's inline policy is full ({FencePolicy.MaxNonWhitespace} non-whitespace characters). Sessions issued before {Iso(fence.Cutoff)} stay usable until they expire ({Iso(fence.Until)}) unless revoked by hand. PimBridge retries as fences lift.",
        Facts = new Dictionary<string, string> { ["fence"] = fence.Id, ["permissionSet"] = fence.PermissionSetArn, ["user"] = fence.UserId },
    };
}
