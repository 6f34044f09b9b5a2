namespace PimBridge.Core.Engine;

/// <summary>What a reconcile did (or, dry, would do).</summary>
public sealed record ReconcileResult(ReconcilePlan Plan, bool Applied);
