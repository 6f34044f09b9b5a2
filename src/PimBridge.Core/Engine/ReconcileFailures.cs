namespace PimBridge.Core.Engine;

/// <summary>Runs steps that must not hold each other up, keeping the first failure to report once all have run.</summary>
internal sealed class ReconcileFailures
{
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _first;

    public async Task<bool> TryAsync(Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _first ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            return false;
        }
    }

    public void ThrowFirst() => _first?.Throw();
}
