namespace PimBridge.Aws.Trails;

/// <summary>Settings of <see cref="S3TrailSource"/>. <see cref="TrailSources.Create"/> fills them from configuration.</summary>
public sealed class S3TrailSourceOptions
{
    /// <summary>The trail's bucket. Required.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>The trail's key prefix before <c>AWSLogs/</c>, if it has one.</summary>
    public string? Prefix { get; set; }

    /// <summary>The organization id (<c>o-…</c>) of an organization trail; null for a single-account trail.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>Regions to read. Empty: every Region folder the trail has for the account, listed on each read.</summary>
    public IReadOnlyList<string> Regions { get; set; } = [];

    /// <summary>The account that owns Identity Center; when set, its folders are read too, for <c>GetRoleCredentials</c>.</summary>
    public string? IdentityCenterAccountId { get; set; }

    /// <summary>
    /// How far before the newest file read listing restarts, to catch files that sort before it but arrive after it
    /// (see <see cref="S3TrailSource"/>). Larger is safer and lists a little more.
    /// </summary>
    public TimeSpan Lookback { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How many objects are downloaded and parsed at once; batches are still yielded in key order.</summary>
    public int MaxConcurrentObjects { get; set; } = 8;

    /// <summary>How many times an object whose download broke off is fetched again before the read fails.</summary>
    public int MaxObjectAttempts { get; set; } = 3;

    /// <summary>"Now": folders after today are not listed.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
