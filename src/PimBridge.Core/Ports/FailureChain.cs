namespace PimBridge.Core.Ports;

/// <summary>
/// An exception and the ones inside it, depth first (an aggregate's last inner first), at most 16: where adapters and
/// hosts look for an <see cref="IThrottlingFailure"/> or a Retry-After, since a wrapper may carry neither itself.
/// </summary>
public static class FailureChain
{
    public static IEnumerable<Exception> Of(Exception? error)
    {
        if (error is null) yield break;
        var pending = new Stack<Exception>([error]);
        var seen = 0;
        while (pending.TryPop(out var ex) && seen++ < 16)
        {
            yield return ex;
            if (ex is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (ex.InnerException is { } inner)
                pending.Push(inner);
        }
    }
}
