namespace PimBridge.Notifications;

/// <summary>
/// A sink could not deliver a notification. The message names the sink, what the receiver answered and what to check;
/// <see cref="RetryAfter"/> carries the receiver's Retry-After so the outbox can wait that long instead of its own backoff.
/// </summary>
internal sealed class NotificationDeliveryException(string sink, string message, int? status = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner), PimBridge.Core.Ports.IRetryAfterHint
{
    /// <summary>The configured name of the sink that failed.</summary>
    public string Sink { get; } = sink;

    /// <summary>The HTTP status the receiver answered, when it answered at all.</summary>
    public int? Status { get; } = status;

    /// <summary>How long the receiver asked to be left alone (429 or 503 with Retry-After); null when it did not say.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
