namespace PimBridge.Aws;

/// <summary>Retry policy: exponential backoff with full jitter, applied outside the signer so every attempt is signed afresh.</summary>
public sealed class AwsRetryOptions
{
    /// <summary>Attempts in total, the first included. 1 disables retries.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Base of the exponential backoff for transient errors (5xx, connection failures, conflicts).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Base of the exponential backoff for throttling errors, which need more room than transient ones.</summary>
    public TimeSpan ThrottlingBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of any single backoff; AWSSDK.Core's standard policy uses 20 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Draws the full-jitter fraction in [0, 1); tests substitute a seeded source so a schedule replays exactly.</summary>
    public Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    internal void Validate(string service)
    {
        if (MaxAttempts < 1)
            throw new ArgumentException($"{service}: Retry.MaxAttempts must be at least 1, got {MaxAttempts}.");
        if (BaseDelay < TimeSpan.Zero || ThrottlingBaseDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero)
            throw new ArgumentException($"{service}: retry delays must not be negative.");
    }
}
