namespace PimBridge.Aws.IdentityCenter;

/// <summary>What the Identity Center adapters need to know about the instance they work on.</summary>
public sealed record IdentityCenterAdapterOptions
{
    /// <summary>The default lifetime of cached directory facts.</summary>
    public static readonly TimeSpan DefaultCacheTtl = TimeSpan.FromSeconds(60);

    /// <summary>The Identity Center instance, <c>arn:aws:sso:::instance/ssoins-…</c>.</summary>
    public required string InstanceArn { get; init; }

    /// <summary>The instance's identity store, <c>d-…</c> (or a GUID).</summary>
    public required string IdentityStoreId { get; init; }

    /// <summary>
    /// How long <see cref="IdentityCenterDirectory"/> keeps what it read (group assignments, session durations, names).
    /// Zero disables caching.
    /// </summary>
    public TimeSpan CacheTtl { get; init; } = DefaultCacheTtl;

    /// <summary>The adapter options for the instance PimBridge is configured with.</summary>
    public static IdentityCenterAdapterOptions From(PimBridge.Core.Configuration.IdentityCenterOptions configuration, TimeSpan? cacheTtl = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new IdentityCenterAdapterOptions
        {
            InstanceArn = configuration.InstanceArn,
            IdentityStoreId = configuration.IdentityStoreId,
            CacheTtl = cacheTtl ?? DefaultCacheTtl,
        };
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(InstanceArn))
            throw new ArgumentException("Identity Center adapters: InstanceArn is required (arn:aws:sso:::instance/ssoins-…).");
        if (string.IsNullOrWhiteSpace(IdentityStoreId))
            throw new ArgumentException("Identity Center adapters: IdentityStoreId is required (d-…).");
        if (CacheTtl < TimeSpan.Zero)
            throw new ArgumentException($"Identity Center adapters: CacheTtl must not be negative, got {CacheTtl}.");
    }
}
