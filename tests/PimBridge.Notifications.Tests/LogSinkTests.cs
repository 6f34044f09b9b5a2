using Microsoft.Extensions.Logging;
using PimBridge.Core.Domain;

namespace PimBridge.Notifications.Tests;

public sealed class LogSinkTests
{
    private sealed record Entry(LogLevel Level, EventId EventId, IReadOnlyList<KeyValuePair<string, object?>> Properties, string Message)
    {
        public object? this[string name] => Assert.Single(Properties, p => p.Key == name).Value;
    }

    /// <summary>Records what a provider would see: level, event id, the structured state and the formatted message.</summary>
    private sealed class RecordingLogger(LogLevel minimum = LogLevel.Trace) : ILogger
    {
        public List<Entry> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new Entry(logLevel, eventId, Assert.IsAssignableFrom<IReadOnlyList<KeyValuePair<string, object?>>>(state), formatter(state, exception)));
    }

    [Fact]
    public async Task Writes_one_structured_event_with_named_properties_and_every_fact()
    {
        var logger = new RecordingLogger();

        await new LogSink("audit-log", logger).SendAsync(Samples.GapAlert());

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(4100, entry.EventId.Id);
        Assert.Equal("Notification", entry.EventId.Name);
        Assert.Equal(Samples.GapAlert().Id, entry["NotificationId"]);
        Assert.Equal("alert", entry["NotificationKind"]);
        Assert.Equal("critical", entry["Severity"]);
        Assert.Equal("alice@contoso.com", entry["User"]);
        Assert.Equal("gap.succeeded-after-fence", entry["AlertKind"]);
        Assert.Equal(Samples.At, entry["At"]);
        Assert.Equal("203.0.113.24", entry["Fact.SourceIP"]);
        Assert.Equal("12m 17s", entry["Fact.TimeAfterExpiry"]);
        Assert.Equal("5f0c2a1e-9b1d-4c55-8d3e-3f5e1c9a7b20", entry["Fact.EventId"]);
        Assert.Equal(9, entry.Properties.Count(p => p.Key.StartsWith("Fact.", StringComparison.Ordinal)));
        Assert.Equal("{OriginalFormat}", entry.Properties[^1].Key);
        Assert.Equal($"alert critical: Critical: AWS call succeeded after the session fence. {Samples.GapAlert().Text} (notification {Samples.GapAlert().Id})", entry.Message);
    }

    [Theory]
    [InlineData(AlertSeverity.Critical, LogLevel.Error)]
    [InlineData(AlertSeverity.Warning, LogLevel.Warning)]
    [InlineData(AlertSeverity.Info, LogLevel.Information)]
    public void Alert_levels_follow_severity(AlertSeverity severity, LogLevel level) =>
        Assert.Equal(level, LogSink.LevelFor(Samples.GapAlert() with { Severity = severity }));

    [Fact]
    public async Task Access_notifications_are_information_whatever_their_severity()
    {
        var logger = new RecordingLogger();

        await new LogSink("audit-log", logger).SendAsync(Samples.AccessRemoved() with { Severity = AlertSeverity.Critical });

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("access-removed", entry["NotificationKind"]);
        Assert.Null(entry["AlertKind"]);
        Assert.Equal("AdministratorAccess", entry["Fact.PermissionSet"]);
    }

    [Fact]
    public async Task Repeated_or_colliding_fact_names_stay_distinct()
    {
        var logger = new RecordingLogger();

        await new LogSink("audit-log", logger).SendAsync(Samples.AccessLive() with
        {
            Facts = [new("account", "111122223333"), new("Account", "444455556666"), new("!!", "x")],
        });

        var entry = Assert.Single(logger.Entries);
        Assert.Equal("111122223333", entry["Fact.Account"]);
        Assert.Equal("444455556666", entry["Fact.Account2"]);
        Assert.Equal("x", entry["Fact.Unnamed"]);
    }

    [Fact]
    public async Task Nothing_is_built_when_the_level_is_off()
    {
        var logger = new RecordingLogger(LogLevel.Warning);

        await new LogSink("audit-log", logger).SendAsync(Samples.AccessLive());

        Assert.Empty(logger.Entries);
    }
}
