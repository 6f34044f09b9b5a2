using PimBridge.Core.Domain;

namespace PimBridge.Core.Notifications;

/// <summary>Which notifications a sink carries: the kinds it is switched on for, and alerts from a severity up.</summary>
public sealed record NotificationRoute(string Sink, IReadOnlySet<NotificationKind> Kinds, AlertSeverity MinimumSeverity)
{
    public bool Accepts(NotificationKind kind, AlertSeverity severity) =>
        Kinds.Contains(kind) && (kind != NotificationKind.Alert || severity >= MinimumSeverity);
}
