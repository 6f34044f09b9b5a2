namespace PimBridge.Core.Engine;

/// <summary>
/// What <see cref="Enforcer.DrainAsync"/> did: the ticks it ran, what they did together, and whether it stopped because
/// a tick found nothing to do (<paramref name="Idle"/>) rather than at its limit or when asked to stop.
/// </summary>
public sealed record DrainResult(int Ticks, TickResult Total, bool Idle);
