namespace PimBridge.Aws.IdentityCenter;

/// <summary>What the Identity Center adapters need to know about the instance they work on.</summary>
public sealed record IdentityCenterAdapterOptions
{
    /// <summary>The default lifetime of cached directory facts.</summary>
    public static readonly TimeSpan DefaultCacheTtl = TimeSpan.FromSeconds(60);

    /// <summary>How long one call waits by default for an asynchronous operation (most finish within it).</summary>
    public static readonly TimeSpan DefaultOperationWait = TimeSpan.FromSeconds(3);

    /// <summary>The Identity Center instance, <c>arn:aws:sso:::instance/ssoins-…</c>.</summary>
    public required string InstanceArn { get; init; }

    /// <summary>The instance's identity store, <c>d-…</c> (or a GUID).</summary>
    public required string IdentityStoreId { get; init; }

    /// <summary>
    /// How long <see cref="IdentityCenterDirectory"/> keeps what it read (group assignments, session durations, names).
    /// Zero disables caching.
    /// </summary>
    public TimeSpan CacheTtl { get; init; } = DefaultCacheTtl;

    /// <summary>
    /// How long one grant, revoke or policy write waits for its asynchronous AWS operation (assignment creation or
    /// deletion, provisioning) before handing back <see cref="PimBridge.Core.Ports.OperationInProgressException"/>; the next
    /// call for the same change resumes it. Short, so a slow operation never holds a tick while removals fall due; a
    /// one-shot command sets it to <see cref="OperationGiveUpAfter"/> to wait for the result.
    /// </summary>
    public TimeSpan OperationWait { get; init; } = DefaultOperationWait;

    /// <summary>How long an operation may stay IN_PROGRESS, across calls, before it counts as failed.</summary>
    public TimeSpan OperationGiveUpAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The adapter options for the instance PimBridge is configured with.</summary>
    /// <param name="waitForOperations">A one-shot command: wait for each operation to finish (up to <see cref="OperationGiveUpAfter"/>).</param>
    public static IdentityCenterAdapterOptions From(PimBridge.Core.Configuration.IdentityCenterOptions configuration, TimeSpan? cacheTtl = null, bool waitForOperations = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new IdentityCenterAdapterOptions
        {
            InstanceArn = configuration.InstanceArn,
            IdentityStoreId = configuration.IdentityStoreId,
            CacheTtl = cacheTtl ?? DefaultCacheTtl,
        };
        return waitForOperations ? options with { OperationWait = options.OperationGiveUpAfter } : options;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(InstanceArn))
            throw new ArgumentException("Identity Center adapters: InstanceArn is required (arn:aws:sso:::instance/ssoins-…).");
        if (string.IsNullOrWhiteSpace(IdentityStoreId))
            throw new ArgumentException("Identity Center adapters: IdentityStoreId is required (d-…).");
        if (CacheTtl < TimeSpan.Zero)
            throw new ArgumentException($"Identity Center adapters: CacheTtl must not be negative, got {CacheTtl}.");
        if (OperationWait < TimeSpan.Zero || OperationGiveUpAfter <= TimeSpan.Zero)
            throw new ArgumentException($"Identity Center adapters: OperationWait must not be negative and OperationGiveUpAfter must be positive, got {OperationWait} and {OperationGiveUpAfter}.");
    }
}
