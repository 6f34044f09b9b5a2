namespace PimBridge.Cli.Reports;

/// <summary>
/// One point of a timeline. For an <see cref="TimelineMark.Event"/>, <see cref="Class"/> is the gap class and
/// <see cref="Blocked"/> whether the call itself was refused.
/// </summary>
internal sealed record TimelineItem(DateTimeOffset At, TimelineMark Mark, string Text, string? Class = null, bool? Blocked = null);
