namespace PimBridge.Core.Notifications;

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
