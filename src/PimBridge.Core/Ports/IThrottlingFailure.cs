namespace PimBridge.Core.Ports;

/// <summary>
/// A failure that may be the service shedding load (HTTP 429, a 503, a throttling error code). Adapters put it on the
/// exceptions they throw, so a host can pause whatever hit the limit, for <see cref="IRetryAfterHint.RetryAfter"/>
/// when the service said how long, without knowing any SDK's exception types.
/// </summary>
public interface IThrottlingFailure : IRetryAfterHint
{
    /// <summary>True when the service refused the call because it was throttling the caller.</summary>
    bool IsThrottling { get; }
}
