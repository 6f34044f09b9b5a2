namespace PimBridge.Lambda;

internal sealed record LambdaRuntimeOptions
{
    /// <summary>Lambda's limit for a buffered (synchronous) response: 6 MB.</summary>
    public const int LambdaMaxResponseBytes = 6 * 1024 * 1024;

    /// <summary>
    /// How long before the deadline the handler's token fires: time to report the timeout as an error (and for the
    /// engine to leave its store consistent) before Lambda stops the process.
    /// </summary>
    public TimeSpan DeadlineMargin { get; init; } = TimeSpan.FromSeconds(2);

    public int MaxResponseBytes { get; init; } = LambdaMaxResponseBytes;
}
