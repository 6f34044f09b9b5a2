namespace PimBridge.Lambda;

/// <summary>What a function does with one invocation: the response body (JSON), or an exception reported as the error.</summary>
internal interface ILambdaHandler
{
    /// <param name="cancellationToken">Fires shortly before the invocation's deadline (<see cref="LambdaRuntimeOptions.DeadlineMargin"/>).</param>
    Task<byte[]> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken);
}
