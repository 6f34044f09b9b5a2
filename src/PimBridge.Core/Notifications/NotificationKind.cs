namespace PimBridge.Core.Notifications;

/// <summary>What a notification is about; each sink chooses which kinds it carries.</summary>
public enum NotificationKind
{
    /// <summary>An <see cref="Core.Domain.Alert"/>: a gap alert, a failing intent, an unmapped user, fence capacity.</summary>
    Alert,

    /// <summary>For the engineer: AWS access from their PIM activation is live.</summary>
    AccessLive,

    /// <summary>For the engineer: their access ends soon (10 minutes before by default).</summary>
    ExpiresSoon,

    /// <summary>For the engineer: their access was removed (expiry, deactivation or revoke) and their sessions fenced.</summary>
    AccessRemoved,
}
