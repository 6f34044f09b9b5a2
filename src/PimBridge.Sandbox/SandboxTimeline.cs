using System.Globalization;

namespace PimBridge.Sandbox;

/// <summary>
/// A run's live timeline and its scenario time: every line is kept for the report and handed to
/// <see cref="SandboxOptions.OnTimeline"/> as it happens, stamped with scenario time once the scenario has begun on the
/// sandbox clock; and the conversions between scenario time, the clock's engine times, and real milliseconds.
/// </summary>
internal sealed class SandboxTimeline(SandboxOptions options)
{
    private readonly SandboxOptions _options = options;
    private readonly List<TimelineEntry> _entries = [];
    private SandboxClock? _clock;
    private TimeSpan _zero;

    /// <summary>How far into the scenario the clock is (zero before it begins).</summary>
    public TimeSpan Now => _clock is null ? TimeSpan.Zero : _clock.Elapsed - _zero;

    /// <summary>The scenario begins now on <paramref name="clock"/>: scenario time zero.</summary>
    public void Begin(SandboxClock clock)
    {
        _clock = clock;
        _zero = clock.Elapsed;
    }

    /// <param name="at">When it happened in scenario time, when that is not now (PIM's activations of a burst all start at one instant).</param>
    public void Emit(TimelineKind kind, string text, bool scenarioTime = true, TimeSpan? at = null)
    {
        var entry = new TimelineEntry(scenarioTime && _clock is not null ? at ?? Now : null, kind, text);
        lock (_entries) _entries.Add(entry);
        _options.OnTimeline?.Invoke(entry);
    }

    public IReadOnlyList<TimelineEntry> Entries()
    {
        lock (_entries) return [.. _entries];
    }

    public void SkipTo(TimeSpan at) => _clock!.SkipTo(_zero + at);

    public TimeSpan ScenarioTime(DateTimeOffset time) => time - _clock!.Origin - _zero;

    public DateTimeOffset Wall(TimeSpan at) => _clock!.Origin + _zero + at;

    /// <summary>Real milliseconds between two engine times on the scenario clock.</summary>
    public string RealMs(DateTimeOffset from, DateTimeOffset to) =>
        Math.Max(0, (to - from).TotalMilliseconds / _clock!.Speed).ToString("0", CultureInfo.InvariantCulture) + " ms";
}
