using System.Collections.Concurrent;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// The asynchronous operations this process stopped waiting for, by the change they make, so the next call for that
/// change resumes the operation instead of starting one AWS would refuse as conflicting. Kept in memory: after a
/// restart, or on another instance, the next call reads AWS and starts again, which the engine's retries already handle.
/// </summary>
internal sealed class OperationsInProgress(IdentityCenterAdapterOptions options, TimeProvider time)
{
    private static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);

    public TimeSpan Wait => options.OperationWait;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The operation left running for <paramref name="change"/>, taken off the list (<see cref="StillRunning"/> puts it back).</summary>
    public Running? Take(string change) => _running.TryRemove(change, out var running) ? running : null;

    /// <summary>
    /// The exception for an operation still IN_PROGRESS after this call's wait: remembered and handed back as
    /// <see cref="OperationInProgressException"/>, or, once it has run longer than allowed, a timed-out failure.
    /// </summary>
    public Exception StillRunning(string change, string operation, string requestId, DateTimeOffset since)
    {
        var running = time.GetUtcNow() - since;
        if (running >= options.OperationGiveUpAfter)
            return new AwsOperationException(operation, requestId, OperationStatuses.InProgress, null, timedOut: true, running);
        _running[change] = new Running(requestId, since);
        // Ask again at about the pace a single waiting loop would poll: soon at first, then every few seconds.
        var retryAfter = running < MinRetryAfter ? MinRetryAfter : running > MaxRetryAfter ? MaxRetryAfter : running;
        return new OperationInProgressException(
            $"sso-admin {operation} (request {requestId}) is still in progress after {running.TotalSeconds:0} s; PimBridge looks again in {retryAfter.TotalSeconds:0} s.",
            retryAfter);
    }

    /// <summary>Returns when the operation succeeded; throws as <see cref="StillRunning"/> while it runs, and <see cref="AwsOperationException"/> when it ended otherwise.</summary>
    public void RequireSucceeded(string change, string operation, IOperationStatus status, DateTimeOffset since)
    {
        if (status.Status == OperationStatuses.InProgress)
            throw StillRunning(change, operation, status.RequestId!, since);
        if (status.Status != OperationStatuses.Succeeded)
            throw new AwsOperationException(operation, status.RequestId, status.Status, status.FailureReason, timedOut: false, time.GetUtcNow() - since);
    }

    /// <summary>
    /// Looks once at an operation left running: while it runs, throws as <see cref="StillRunning"/>; once it has ended,
    /// returns, and the caller goes on as if nothing were remembered (reads AWS, then acts). An ended operation is never
    /// taken as the call's answer: it may be an old one, from an earlier grant or removal of the same access that
    /// another instance has since finished and moved past (seed 100570).
    /// </summary>
    public async Task ResumeAsync<T>(string change, string operation, Running running, Func<string, Task<T>> describe)
        where T : class, IOperationStatus
    {
        T status;
        try
        {
            status = await describe(running.RequestId).ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            return;
        }

        if (status.Status == OperationStatuses.InProgress)
            throw StillRunning(change, operation, running.RequestId, running.Since);
    }

    public sealed record Running(string RequestId, DateTimeOffset Since);
}
