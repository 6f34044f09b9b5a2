namespace PimBridge.Host.Worker;

/// <summary>What one worker step did, and when the next one is due.</summary>
public sealed record WorkerStep(DateTimeOffset NextDueAt, int Ticks, int GroupsPolled, ThrottleSignal? Throttled = null);
