using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Notifications;

/// <summary>
/// Notifications go out through the same durable intents as AWS work: one <see cref="IntentKind.Notify"/> intent per
/// sink that wants the notification, written in the commit that records what it reports. The intent names only what
/// to report (an alert id, a grant, a removed entitlement); the message is built from the store when it is sent, so a
/// sink that is down loses nothing and a superseded warning (an extended grant) is dropped rather than sent.
/// </summary>
public sealed class NotificationOutbox
{
    private readonly IReadOnlyList<NotificationRoute> _routes;
    private readonly Dictionary<string, INotificationSink> _sinks;

    public NotificationOutbox(IEnumerable<INotificationSink> sinks, IReadOnlyList<NotificationRoute> routes, TimeSpan expiryWarning)
    {
        _sinks = sinks.ToDictionary(s => s.Name, StringComparer.Ordinal);
        _routes = routes;
        ExpiryWarning = expiryWarning;
        foreach (var route in routes)
        {
            if (!_sinks.ContainsKey(route.Sink))
                throw new ArgumentException($"Notification route names sink '{route.Sink}', which is not configured.", nameof(routes));
        }
    }

    /// <summary>No sinks: alerts are only recorded in the state store.</summary>
    public static NotificationOutbox None { get; } = new([], [], TimeSpan.FromMinutes(10));

    /// <summary>How long before a grant's end the engineer is told it expires soon.</summary>
    public TimeSpan ExpiryWarning { get; }

    public static string KindName(NotificationKind kind) => kind switch
    {
        NotificationKind.Alert => "alert",
        NotificationKind.AccessLive => "access-live",
        NotificationKind.ExpiresSoon => "expires-soon",
        NotificationKind.AccessRemoved => "access-removed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static NotificationKind? ParseKind(string name) => name switch
    {
        "alert" => NotificationKind.Alert,
        "access-live" => NotificationKind.AccessLive,
        "expires-soon" => NotificationKind.ExpiresSoon,
        "access-removed" => NotificationKind.AccessRemoved,
        _ => null,
    };

    public void EnqueueAlert(StateChange change, Alert alert, DateTimeOffset now, string? exceptSink = null) =>
        Enqueue(change, NotificationKind.Alert, alert.Id, alert.Severity, now, now, exceptSink);

    /// <summary>Tells the grant's engineer their access is live.</summary>
    public void EnqueueAccessLive(StateChange change, Grant grant, DateTimeOffset now) =>
        Enqueue(change, NotificationKind.AccessLive, grant.Id, AlertSeverity.Info, now, now);

    /// <summary>Schedules the "expires soon" message for the grant's current end (none when that is already too close).</summary>
    public void EnqueueExpiresSoon(StateChange change, Grant grant, DateTimeOffset now)
    {
        if (grant.End is not { } end || end - ExpiryWarning <= now)
            return;
        Enqueue(change, NotificationKind.ExpiresSoon, $"{grant.Id}@{end.ToUnixTimeSeconds()}", AlertSeverity.Info, end - ExpiryWarning, now);
    }

    /// <summary>Tells the user an entitlement was removed (confirmed by AWS at <paramref name="confirmed"/>).</summary>
    public void EnqueueAccessRemoved(StateChange change, LedgerEntry removed, DateTimeOffset confirmed) =>
        Enqueue(change, NotificationKind.AccessRemoved, $"{removed.Key}@{confirmed.ToUnixTimeMilliseconds()}", AlertSeverity.Info, confirmed, confirmed);

    private void Enqueue(StateChange change, NotificationKind kind, string reference, AlertSeverity severity, DateTimeOffset due, DateTimeOffset now, string? exceptSink = null)
    {
        foreach (var route in _routes)
        {
            if (!route.Accepts(kind, severity) || route.Sink == exceptSink)
                continue;
            var subject = $"{route.Sink}|{KindName(kind)}|{reference}";
            var id = IntentId(subject);
            if (change.Intents.Any(i => i.Id == id))
                continue;
            change.Intents.Add(new Intent { Id = id, Kind = IntentKind.Notify, Subject = subject, CreatedAt = now, NextAttemptAt = due });
        }
    }

    /// <summary>Deterministic, so enqueueing the same notification twice conflicts instead of sending twice.</summary>
    public static string IntentId(string subject) =>
        "n-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject)))[..24];

    /// <summary>The sink a notify intent is for.</summary>
    public static string SinkOf(Intent intent) => intent.Subject[..intent.Subject.IndexOf('|', StringComparison.Ordinal)];

    /// <summary>
    /// Sends one notify intent's message. False when there is nothing to send any more (the sink was removed from
    /// the configuration, the grant was extended or ended); throws when the sink fails, so the intent retries.
    /// </summary>
    public async Task<bool> DeliverAsync(IStateStore store, Intent intent, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var parts = intent.Subject.Split('|', 3);
        if (parts.Length != 3 || ParseKind(parts[1]) is not { } kind || !_sinks.TryGetValue(parts[0], out var sink))
            return false;
        var notification = await BuildAsync(store, kind, parts[2], time, cancellationToken).ConfigureAwait(false);
        if (notification is null)
            return false;
        await sink.SendAsync(notification, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static async Task<Notification?> BuildAsync(IStateStore store, NotificationKind kind, string reference, TimeProvider time, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case NotificationKind.Alert:
                return await store.GetAlertAsync(reference, cancellationToken).ConfigureAwait(false) is { } alert ? ForAlert(alert) : null;
            case NotificationKind.AccessLive:
            {
                var grant = await store.GetGrantAsync(reference, cancellationToken).ConfigureAwait(false);
                if (grant is not { State: GrantState.Active, AccessConfirmedAt: { } live })
                    return null;
                var until = grant.End is { } end ? $"until {FencePolicy.Iso(end)} ({Durations(end - live)})" : "with no end date";
                return ForGrant(kind, $"{kind}:{grant.Id}", live, grant, $"AWS access is live for {grant.User.UserName}",
                    $"Your PIM activation is now AWS access: {Describe(grant)}, {until}. It ends when the activation ends; live sessions are fenced then.");
            }

            case NotificationKind.ExpiresSoon:
            {
                var at = reference.LastIndexOf('@');
                var grant = await store.GetGrantAsync(reference[..at], cancellationToken).ConfigureAwait(false);
                var end = long.Parse(reference[(at + 1)..], CultureInfo.InvariantCulture);
                if (grant is not { State: GrantState.Active, End: { } current } || current.ToUnixTimeSeconds() != end)
                    return null; // ended early or extended: a later warning (if any) replaces this one
                return ForGrant(kind, $"{kind}:{reference}", time.GetUtcNow(), grant, $"AWS access of {grant.User.UserName} expires in {Durations(current - time.GetUtcNow())}",
                    $"Your AWS access ({Describe(grant)}) ends at {FencePolicy.Iso(current)}. Extend the activation in PIM to keep it; sessions issued before the end are fenced when it ends.");
            }

            case NotificationKind.AccessRemoved:
            {
                var at = reference.LastIndexOf('@');
                var entry = await store.GetLedgerEntryAsync(reference[..at], cancellationToken).ConfigureAwait(false);
                if (entry is null)
                    return null;
                var removed = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(reference[(at + 1)..], CultureInfo.InvariantCulture));
                var user = entry.UserName ?? entry.Entitlement.UserId;
                return new Notification
                {
                    Id = $"{kind}:{reference}",
                    Kind = kind,
                    At = removed,
                    Severity = AlertSeverity.Info,
                    User = user,
                    Title = $"AWS access of {user} removed",
                    Text = $"PimBridge removed the {entry.Entitlement} at {FencePolicy.Iso(removed)}." + (entry.FenceOnRemoval ? " Sessions issued before the removal are being fenced." : ""),
                    Facts = [new("user", user), new("entitlement", entry.Key), new("removed", FencePolicy.Iso(removed))],
                };
            }

            default:
                return null;
        }
    }

    public static Notification ForAlert(Alert alert) => new()
    {
        Id = $"alert:{alert.Id}",
        Kind = NotificationKind.Alert,
        At = alert.At,
        Severity = alert.Severity,
        Title = $"{alert.Severity}: {alert.Kind} ({alert.Subject})",
        Text = alert.Message,
        User = alert.Subject,
        AlertKind = alert.Kind,
        Facts = alert.Facts?.ToList() ?? [],
    };

    private static Notification ForGrant(NotificationKind kind, string id, DateTimeOffset at, Grant grant, string title, string text) => new()
    {
        Id = id,
        Kind = kind,
        At = at,
        Severity = AlertSeverity.Info,
        Title = title,
        Text = text,
        User = grant.User.UserName,
        Facts =
        [
            new("user", grant.User.UserName), new("grant", grant.Id), new("mapping", grant.Mapping),
            new("start", FencePolicy.Iso(grant.Start)), new("end", grant.End is { } e ? FencePolicy.Iso(e) : "none"),
        ],
    };

    private static string Describe(Grant grant) => $"mapping {grant.Mapping} ({grant.EntitlementKeys.Count} entitlement{(grant.EntitlementKeys.Count == 1 ? "" : "s")})";

    private static string Durations(TimeSpan span) => Gaps.Durations.Describe(span);
}
