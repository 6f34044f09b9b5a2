using PimBridge.Core.Ports;

namespace PimBridge.Entra;

/// <summary>
/// A Microsoft Graph call for one PIM group failed; the message names the group and what Graph said. Graph's
/// throttling (429 or 503, after the SDK's own retries) shows as <see cref="IThrottlingFailure"/>.
/// </summary>
/// <param name="time">The clock a Retry-After given as an HTTP date is read on; the system clock when null.</param>
public sealed class GraphPimException(string groupId, string message, Exception? inner = null, TimeProvider? time = null)
    : Exception(message, inner), IThrottlingFailure
{
    private readonly (bool Throttling, TimeSpan? RetryAfter) _throttle = GraphErrors.Throttle(inner, (time ?? TimeProvider.System).GetUtcNow());

    /// <summary>The Entra group whose read failed (lower-case object id).</summary>
    public string GroupId { get; } = groupId;

    /// <summary>Graph's HTTP status, when Graph answered.</summary>
    public int? StatusCode { get; } = GraphErrors.Status(inner);

    /// <summary>Graph answered 429 or 503 (the SDK's retries included).</summary>
    public bool IsThrottling => _throttle.Throttling;

    /// <summary>Graph's <c>Retry-After</c>, when it sent one with the throttling answer.</summary>
    public TimeSpan? RetryAfter => _throttle.RetryAfter;
}
