namespace PimBridge.Core.Configuration;

public sealed class EnforcerOptions
{
    /// <summary>First retry delay of a failed intent; doubles per attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public string RetryBaseDelay { get; set; } = "5s";

    public string RetryMaxDelay { get; set; } = "5m";

    /// <summary>How long a claimed intent is reserved for its executor before another instance may retry it.</summary>
    public string ClaimTimeout { get; set; } = "5m";

    /// <summary>After this many failed attempts an intent raises a critical alert (and keeps retrying).</summary>
    public int AlertAfterAttempts { get; set; } = 5;

    /// <summary>Most items of each kind one tick takes on.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>How many intents one tick runs side by side (AWS operations stay IN_PROGRESS for seconds).</summary>
    public int Parallelism { get; set; } = EnforcerSettings.DefaultParallelism;
}
