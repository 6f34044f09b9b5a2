using PimBridge.Core.Ports;

namespace PimBridge.Entra;

/// <summary>
/// Graph's group delta failed; the message says what Graph said. Graph's throttling (429 or 503, after the SDK's own
/// retries) shows as <see cref="IThrottlingFailure"/>, so the poll pauses as it does for PIM reads.
/// </summary>
/// <param name="time">The clock a Retry-After given as an HTTP date is read on; the system clock when null.</param>
public sealed class GraphMembershipDeltaException(string message, Exception? inner = null, TimeProvider? time = null)
    : Exception(message, inner), IThrottlingFailure
{
    private readonly (bool Throttling, TimeSpan? RetryAfter) _throttle = GraphErrors.Throttle(inner, (time ?? TimeProvider.System).GetUtcNow());

    /// <summary>Graph's HTTP status, when Graph answered.</summary>
    public int? StatusCode { get; } = GraphErrors.Status(inner);

    public bool IsThrottling => _throttle.Throttling;

    public TimeSpan? RetryAfter => _throttle.RetryAfter;
}
