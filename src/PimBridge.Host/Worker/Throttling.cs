using PimBridge.Core.Ports;

namespace PimBridge.Host.Worker;

/// <summary>
/// Recognises throttling in whatever the PIM source throws, anywhere in the exception chain, by Core's
/// <see cref="IThrottlingFailure"/>: the adapters decide what throttling is (Graph's 429 and 503, AWS's throttling
/// codes) and what it asked for.
/// </summary>
public static class Throttling
{
    /// <summary>
    /// Null when <paramref name="error"/> is not throttling. A wrapper may say "throttled" while only an inner failure
    /// carries the Retry-After, so the whole chain is searched and a signal with a Retry-After wins.
    /// </summary>
    public static ThrottleSignal? Classify(Exception error)
    {
        ThrottleSignal? found = null;
        foreach (var ex in FailureChain.Of(error))
        {
            if (ex is not IThrottlingFailure { IsThrottling: true } throttled) continue;
            if (throttled.RetryAfter is { } after && after > TimeSpan.Zero) return new ThrottleSignal(after);
            found ??= new ThrottleSignal(null);
        }

        return found;
    }
}
