namespace PimBridge.Lambda;

/// <summary>One invocation handed out by the Runtime API's <c>next</c> call.</summary>
/// <param name="Deadline">When Lambda stops the invocation (<c>Lambda-Runtime-Deadline-Ms</c>).</param>
public sealed record LambdaInvocation(string RequestId, DateTimeOffset Deadline, string? InvokedFunctionArn, string? TraceId, byte[] Payload);
