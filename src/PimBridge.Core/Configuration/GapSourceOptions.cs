namespace PimBridge.Core.Configuration;

public sealed class GapSourceOptions
{
    /// <summary><c>lookup-events</c>, <c>s3</c> or <c>directory</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Regions to read (LookupEvents and S3). Empty: the Identity Center region (S3 also discovers the trail's regions).</summary>
    public List<string> Regions { get; set; } = [];

    /// <summary>lookup-events: the read-only role to assume in each member account (name, or an ARN template with <c>{account}</c>).</summary>
    public string? AuditRoleName { get; set; }

    /// <summary>lookup-events: the external id the audit role's trust policy demands, if any.</summary>
    public string? ExternalId { get; set; }

    /// <summary>lookup-events: the account that owns Identity Center, where GetRoleCredentials is recorded.</summary>
    public string? IdentityCenterAccountId { get; set; }

    /// <summary>s3: the organization trail bucket.</summary>
    public string? Bucket { get; set; }

    /// <summary>s3: the trail's key prefix, if any (before <c>AWSLogs/</c>).</summary>
    public string? Prefix { get; set; }

    /// <summary>s3: the organization id (<c>o-…</c>); empty for a single-account trail.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>directory: the folder of trail files (<c>.json.gz</c> or <c>.json</c>), read recursively.</summary>
    public string? Path { get; set; }
}
