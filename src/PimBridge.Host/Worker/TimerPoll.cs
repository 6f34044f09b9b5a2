using PimBridge.Core.Engine;

namespace PimBridge.Host.Worker;

/// <summary>
/// What one run of the timer function's poll did: the mapped groups Graph's membership delta named and were read from
/// PIM, how many groups a full read covered (0 when none was due) and its plan, the ticks, and until when it was skipped
/// because PIM throttles.
/// </summary>
public sealed record TimerPoll(int ChangedGroups, int FullReadGroups, ReconcilePlan? FullReadPlan, int Ticks, DateTimeOffset? SkippedUntil);
