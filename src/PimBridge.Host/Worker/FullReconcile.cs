using PimBridge.Core.Engine;

namespace PimBridge.Host.Worker;

/// <summary>What a full reconcile (the timer function) did.</summary>
public sealed record FullReconcile(int Groups, ReconcilePlan? Plan, int Ticks, DateTimeOffset? SkippedUntil);
