namespace PimBridge.Lambda;

/// <summary>
/// A custom runtime's main loop: initialise the handler once (on failure report <c>init/error</c> and exit non-zero,
/// so Lambda restarts the environment), then forever take the next invocation, run the handler under a token that
/// fires shortly before the deadline, and post its response or error. A failing invocation never ends the loop.
/// </summary>
internal sealed class LambdaRuntimeLoop(LambdaRuntimeClient runtime, TimeProvider time, LambdaRuntimeOptions? options = null, TextWriter? log = null)
{
    /// <summary>The environment variable the X-Ray SDK reads the current invocation's trace header from.</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";
    public const int InitFailedExitCode = 1;
    /// <summary>The Runtime API itself failed (unreachable, or refused a call): nothing to report it to, so exit and let Lambda restart the environment.</summary>
    public const int RuntimeApiFailedExitCode = 3;
    public const string TimeoutErrorType = "PimBridge.Lambda.Timeout";
    public const string ResponseTooLargeErrorType = "PimBridge.Lambda.ResponseTooLarge";

    private readonly LambdaRuntimeOptions _options = options ?? new LambdaRuntimeOptions();
    private readonly TextWriter _log = log ?? Console.Error;

    /// <summary>Runs until <paramref name="stopping"/> fires (tests; Lambda ends the process instead).</summary>
    /// <returns>
    /// The process exit code: <see cref="InitFailedExitCode"/> when init failed, <see cref="RuntimeApiFailedExitCode"/>
    /// when the Runtime API failed, else 0 once stopped.
    /// </returns>
    public async Task<int> RunAsync(Func<CancellationToken, Task<ILambdaHandler>> initialise, CancellationToken stopping = default)
    {
        ArgumentNullException.ThrowIfNull(initialise);
        ILambdaHandler handler;
        try
        {
            handler = await initialise(stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            _log.WriteLine($"PimBridge Lambda init failed: {ex}");
            await runtime.PostInitErrorAsync(LambdaError.From(ex), stopping).ConfigureAwait(false);
            return InitFailedExitCode;
        }

        try
        {
            while (!stopping.IsCancellationRequested)
                await InvokeOnceAsync(handler, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is LambdaRuntimeApiException or HttpRequestException)
        {
            _log.WriteLine($"PimBridge Lambda: the Runtime API failed, exiting so Lambda restarts the runtime: {ex.Message}");
            return RuntimeApiFailedExitCode;
        }
        return 0;
    }

    private async Task InvokeOnceAsync(ILambdaHandler handler, CancellationToken stopping)
    {
        var invocation = await runtime.NextInvocationAsync(stopping).ConfigureAwait(false);
        Environment.SetEnvironmentVariable(TraceIdVariable, invocation.TraceId);

        var budget = invocation.Deadline - time.GetUtcNow() - _options.DeadlineMargin;
        using var deadline = new CancellationTokenSource(budget > TimeSpan.Zero ? budget : TimeSpan.Zero, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
        LambdaError? error;
        byte[]? body = null;
        try
        {
            body = await handler.HandleAsync(invocation, linked.Token).ConfigureAwait(false);
            error = body.Length > _options.MaxResponseBytes
                ? new LambdaError(
                    $"The response is {body.Length} bytes, more than Lambda's limit of {_options.MaxResponseBytes} bytes; it was not sent. Return a summary instead of the full result.",
                    ResponseTooLargeErrorType, [])
                : null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            error = new LambdaError(
                $"The invocation stopped {_options.DeadlineMargin.TotalSeconds:0.###} s before its deadline ({invocation.Deadline:O}); the work left is picked up by the next invocation. Raise the function's timeout if this repeats.",
                TimeoutErrorType, []);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            error = LambdaError.From(ex);
        }

        if (error is null)
        {
            await runtime.PostResponseAsync(invocation.RequestId, body!, stopping).ConfigureAwait(false);
            return;
        }
        _log.WriteLine($"PimBridge Lambda invocation {invocation.RequestId} failed: {error.ErrorType}: {error.ErrorMessage}");
        await runtime.PostErrorAsync(invocation.RequestId, error, stopping).ConfigureAwait(false);
    }
}
