namespace PimBridge.Host.Worker;

/// <summary>PIM (Graph) said to slow down; <see cref="RetryAfter"/> is its hint, when it gave one.</summary>
public sealed record ThrottleSignal(TimeSpan? RetryAfter);
