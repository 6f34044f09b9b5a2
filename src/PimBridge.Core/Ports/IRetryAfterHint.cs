namespace PimBridge.Core.Ports;

/// <summary>
/// A failure that says when to try again (an HTTP Retry-After). The outbox waits at least that long before retrying
/// the intent, so a throttled receiver is not hammered by PimBridge's own, shorter backoff.
/// </summary>
public interface IRetryAfterHint
{
    TimeSpan? RetryAfter { get; }
}
