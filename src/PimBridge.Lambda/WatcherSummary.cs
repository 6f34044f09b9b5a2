namespace PimBridge.Lambda;

/// <summary>What one watcher invocation did, returned as the invocation's response.</summary>
/// <param name="Drifts">New drifts the sweep found when it was this invocation's turn (every <c>Verifier.Interval</c>); null otherwise.</param>
public sealed record WatcherSummary(int Ticks, int GrantsEnded, int FencesDue, int IntentsDone, int IntentsFailed, bool Idle, int? GapAlerts, int? CriticalGapAlerts, bool? GapScanSkipped, int? Drifts = null);
