using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>What a reconcile did (or, dry, would do).</summary>
public sealed record ReconcileResult(ReconcilePlan Plan, bool Applied);
