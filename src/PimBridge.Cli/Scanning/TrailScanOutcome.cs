using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Scanning;

/// <summary>What a scan found: each matching event once, in event time order, and what reading counted.</summary>
internal sealed record TrailScanOutcome(IReadOnlyList<GapAlert> Alerts, TrailScanStats Stats, int Windows);
