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
    /// in the burst benchmark 24 drained 1,000 assignments at 6.27/s where 16 drained 5.66/s, and 32 no faster. A mass
    /// expiry needs more: a policy write's turn holds every removal at once, and with 24 workers all of them then sat
    /// waiting for a slot, their listings done, so the request budget stood idle in waves for half a minute after each
    /// turn; with 32 the spare workers list ahead meanwhile (1,000 removals at 5.92–5.99/s, was 5.63–5.71/s; 40 no faster).
    /// One runs them one after another, in a seeded order (the randomized safety schedules replay exactly).
    /// </summary>
    public int Parallelism { get; init; } = DefaultParallelism;

    public const int DefaultParallelism = 32;

    public static readonly EnforcerSettings Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), 5, 200);

    /// <summary>Exponential: base · 2^(attempts-1), capped.</summary>
    public TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromTicks((long)Math.Min(RetryMaxDelay.Ticks, RetryBaseDelay.Ticks * Math.Pow(2, Math.Max(0, attempts - 1))));
}
