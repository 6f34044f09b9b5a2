namespace PimBridge.Lambda;

/// <summary>The Runtime API answered something a runtime cannot work with.</summary>
internal sealed class LambdaRuntimeApiException(string message) : Exception(message);
