using PimBridge.Core.Domain;

namespace PimBridge.Core.Notifications;

/// <summary>
/// A message for people, rendered by each sink in its own format. <see cref="Id"/> is stable for what it reports, so
/// a receiver can drop repeats (delivery is at least once).
/// </summary>
public sealed record Notification
{
    public required string Id { get; init; }
    public required NotificationKind Kind { get; init; }
    public required DateTimeOffset At { get; init; }
    public required AlertSeverity Severity { get; init; }

    /// <summary>One line, for example "Critical: AWS call succeeded after the session fence".</summary>
    public required string Title { get; init; }

    /// <summary>A sentence or two saying what happened and what to do.</summary>
    public required string Text { get; init; }

    /// <summary>The Identity Center user name concerned, when there is one.</summary>
    public string? User { get; init; }

    /// <summary>The alert's kind (for example <c>gap.succeeded-after-fence</c>) for <see cref="NotificationKind.Alert"/>.</summary>
    public string? AlertKind { get; init; }

    /// <summary>Key facts in display order (user, grant, account, event, ...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts { get; init; } = [];
}
