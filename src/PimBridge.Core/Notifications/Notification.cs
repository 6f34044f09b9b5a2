using PimBridge.Core.Domain;

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

/// <summary>
/// Delivers notifications somewhere (a webhook, Slack, Teams, an Event Grid topic, the log). Throwing means "not
/// delivered": the outbox retries with backoff, so a sink that is down loses nothing.
/// </summary>
public interface INotificationSink
{
    /// <summary>The sink's configured name; outbox entries name the sink they are for.</summary>
    string Name { get; }

    Task SendAsync(Notification notification, CancellationToken cancellationToken = default);
}

/// <summary>Which notifications a sink carries: the kinds it is switched on for, and alerts from a severity up.</summary>
public sealed record NotificationRoute(string Sink, IReadOnlySet<NotificationKind> Kinds, AlertSeverity MinimumSeverity)
{
    public bool Accepts(NotificationKind kind, AlertSeverity severity) =>
        Kinds.Contains(kind) && (kind != NotificationKind.Alert || severity >= MinimumSeverity);
}
