namespace PimBridge.Core.Gaps;

/// <summary>What one gap scan did.</summary>
public sealed record GapScanResult(int Windows, TrailScanStats Stats, IReadOnlyList<GapAlert> NewAlerts, bool Skipped = false);
