using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications.Tests;

/// <summary>Notifications shaped like the ones the gap detector and the enforcer raise.</summary>
public static class Samples
{
    public static readonly DateTimeOffset At = new(2025, 3, 14, 9, 42, 17, TimeSpan.Zero);

    /// <summary>A CloudTrail call that succeeded with a session minted before the fence, after PIM expiry.</summary>
    public static Notification GapAlert() => new()
    {
        Id = "alert:gap.succeeded-after-fence:alice@contoso.com:5f0c2a1e-9b1d-4c55-8d3e-3f5e1c9a7b20",
        Kind = NotificationKind.Alert,
        At = At,
        Severity = AlertSeverity.Critical,
        Title = "Critical: AWS call succeeded after the session fence",
        Text = "alice@contoso.com's PIM activation for prod-admins ended at 09:30:00 UTC, but a session issued before the fence made a successful s3:GetObject call 12 minutes later. Revoke the role's active sessions and check what was read.",
        User = "alice@contoso.com",
        AlertKind = "gap.succeeded-after-fence",
        Facts =
        [
            new("User", "alice@contoso.com"),
            new("Grant", "prod-admins/alice@contoso.com/2025-03-14T08:30:00Z"),
            new("Account", "111122223333 (prod)"),
            new("Region", "eu-west-1"),
            new("Event", "s3:GetObject"),
            new("Source IP", "203.0.113.24"),
            new("User agent", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp"),
            new("Time after expiry", "12m 17s"),
            new("Event id", "5f0c2a1e-9b1d-4c55-8d3e-3f5e1c9a7b20"),
        ],
    };

    public static Notification AccessLive() => new()
    {
        Id = "grant:prod-admins/alice@contoso.com/2025-03-14T08:30:00Z:access-live",
        Kind = NotificationKind.AccessLive,
        At = new DateTimeOffset(2025, 3, 14, 8, 30, 4, TimeSpan.Zero),
        Severity = AlertSeverity.Info,
        Title = "Your AWS access is live",
        Text = "prod-admins is assigned in AWS IAM Identity Center until 09:30 UTC. Sign in through the AWS access portal.",
        User = "alice@contoso.com",
        Facts =
        [
            new("Mapping", "prod-admins"),
            new("Permission set", "AdministratorAccess"),
            new("Accounts", "111122223333"),
            new("Ends", "2025-03-14 09:30 UTC"),
        ],
    };

    public static Notification AccessRemoved() => AccessLive() with
    {
        Id = "grant:prod-admins/alice@contoso.com/2025-03-14T08:30:00Z:access-removed",
        Kind = NotificationKind.AccessRemoved,
        At = new DateTimeOffset(2025, 3, 14, 9, 30, 2, TimeSpan.Zero),
        Title = "Your AWS access was removed",
        Text = "Your PIM activation ended; the assignment is removed and sessions issued before 09:30 UTC are fenced.",
    };

    public static Notification WarningAlert() => GapAlert() with
    {
        Id = "alert:gap.denied-after-fence:alice@contoso.com:1",
        Severity = AlertSeverity.Warning,
        Title = "Warning: AWS call after the session fence was denied",
        AlertKind = "gap.denied-after-fence",
    };
}
