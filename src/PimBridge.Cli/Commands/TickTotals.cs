namespace PimBridge.Cli.Commands;

/// <summary>What a run of ticks did in total; <see cref="Finished"/> when it reached its goal (or idleness) within its bounds.</summary>
internal sealed record TickTotals(int Ticks, int IntentsDone, int IntentsFailed, bool Finished);
