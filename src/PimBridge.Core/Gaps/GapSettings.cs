using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>Gap detection settings, validated.</summary>
public sealed record GapSettings(TimeSpan DeliveryLag, TimeSpan Interval)
{
    /// <summary>
    /// How far back a window that opened late is read again (a removal confirmed hours after the grant's end). A day
    /// covers any removal the engine retries; beyond it the window is read from this bound, and docs/gaps.md says so.
    /// </summary>
    public TimeSpan LateLookback { get; init; } = TimeSpan.FromDays(1);

    public static readonly GapSettings Default = new(GapWatchWindow.DefaultDeliveryLag, TimeSpan.FromMinutes(5));
}
