using System.Collections;
using System.Text;
using Microsoft.Extensions.Logging;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Writes each notification as one structured log event, for hosts whose logs already flow to a SIEM or log
/// analytics workspace. Event id <see cref="EventId"/> (4100, <c>Notification</c>); named properties
/// <c>NotificationId</c>, <c>NotificationKind</c>, <c>Severity</c>, <c>User</c>, <c>AlertKind</c>, <c>Title</c>,
/// <c>Text</c>, <c>At</c>, and one <c>Fact.&lt;Name&gt;</c> per fact (the fact's key in PascalCase, for example
/// <c>Fact.SourceIP</c> for "Source IP").
/// </summary>
/// <remarks>
/// Levels: a critical alert is <see cref="LogLevel.Error"/>, a warning alert <see cref="LogLevel.Warning"/>, everything
/// else (info alerts and the engineer's access notifications) <see cref="LogLevel.Information"/>.
/// <see cref="LogLevel.Critical"/> is left for the host itself failing, which is what operators' "Critical" log
/// alerts mean; Error is the level log pipelines page on, which is what a critical security alert needs.
/// </remarks>
internal sealed class LogSink : INotificationSink
{
    /// <summary>The event id every notification is logged with, so log queries can select them.</summary>
    public static readonly EventId EventId = new(4100, "Notification");

    private const string Template = "{NotificationKind} {Severity}: {Title}. {Text} (notification {NotificationId})";

    private readonly ILogger _logger;

    public LogSink(string name, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public string Name { get; }

    /// <summary>The log level for a notification; see the class remarks for why.</summary>
    public static LogLevel LevelFor(Notification notification) => notification.Kind == NotificationKind.Alert
        ? notification.Severity switch
        {
            AlertSeverity.Critical => LogLevel.Error,
            AlertSeverity.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        }
        : LogLevel.Information;

    public Task SendAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var level = LevelFor(notification);
        if (_logger.IsEnabled(level))
            _logger.Log(level, EventId, new NotificationLogState(notification), null, static (state, _) => state.ToString());
        return Task.CompletedTask;
    }

    /// <summary>
    /// The structured state: the template's properties first, then the rest, then <c>{OriginalFormat}</c>, the
    /// shape Microsoft.Extensions.Logging providers (console JSON, OpenTelemetry, Serilog) read properties from.
    /// </summary>
    internal sealed class NotificationLogState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly Notification _notification;
        private readonly List<KeyValuePair<string, object?>> _properties;

        internal NotificationLogState(Notification n)
        {
            _notification = n;
            _properties =
            [
                new("NotificationKind", NotificationDocument.KindName(n.Kind)),
                new("Severity", NotificationDocument.SeverityName(n.Severity)),
                new("Title", n.Title),
                new("Text", n.Text),
                new("NotificationId", n.Id),
                new("User", n.User),
                new("AlertKind", n.AlertKind),
                new("At", n.At),
            ];
            var names = new HashSet<string>(_properties.Select(p => p.Key), StringComparer.Ordinal);
            foreach (var (key, value) in n.Facts)
            {
                var name = "Fact." + PropertyName(key);
                for (var i = 2; !names.Add(name); i++) name = $"Fact.{PropertyName(key)}{i}";
                _properties.Add(new(name, value));
            }

            _properties.Add(new("{OriginalFormat}", Template));
        }

        public KeyValuePair<string, object?> this[int index] => _properties[index];

        public int Count => _properties.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _properties.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString()
        {
            var n = _notification;
            return $"{NotificationDocument.KindName(n.Kind)} {NotificationDocument.SeverityName(n.Severity)}: {n.Title}. {n.Text} (notification {n.Id})";
        }
    }

    /// <summary>"source IP" → "SourceIP", "time after expiry" → "TimeAfterExpiry": letters and digits only, each word starting upper case.</summary>
    internal static string PropertyName(string key)
    {
        var name = new StringBuilder(key.Length);
        var startOfWord = true;
        foreach (var c in key)
        {
            if (!char.IsLetterOrDigit(c)) { startOfWord = true; continue; }
            name.Append(startOfWord ? char.ToUpperInvariant(c) : c);
            startOfWord = false;
        }

        return name.Length == 0 ? "Unnamed" : name.ToString();
    }
}
