namespace PimBridge.Core.Configuration;

public sealed record EnforcerSettings(TimeSpan RetryBaseDelay, TimeSpan RetryMaxDelay, TimeSpan ClaimTimeout, int AlertAfterAttempts, int BatchSize)
{
    /// <summary>
    /// How long an Identity Center operation PimBridge started can still change things: an assignment operation stays
    /// IN_PROGRESS past the client's own wait, and Identity Store lists a new membership late. AWS documents no bound;
    /// within this time after PimBridge's own create or delete, what a listing shows is not trusted.
    /// </summary>
    public TimeSpan OperationSettleTime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How many intents a tick runs side by side. An account assignment's operation stays IN_PROGRESS for seconds and
    /// AWS allows 15 outstanding at once, but a worker spends part of each intent outside its operation slot (the
    /// existence listing before it, the store's writes after), so keeping the 15 busy takes more workers than slots:
    /// in the burst benchmark 24 drained 1,000 assignments at 6.27/s where 16 drained 5.66/s, and 32 no faster.
    /// One runs them one after another, in a seeded order (the randomized safety schedules replay exactly).
    /// </summary>
    public int Parallelism { get; init; } = DefaultParallelism;

    public const int DefaultParallelism = 24;

    public static readonly EnforcerSettings Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), 5, 200);

    /// <summary>Exponential: base · 2^(attempts-1), capped.</summary>
    public TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromTicks((long)Math.Min(RetryMaxDelay.Ticks, RetryBaseDelay.Ticks * Math.Pow(2, Math.Max(0, attempts - 1))));
}
