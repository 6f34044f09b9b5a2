using System.Text.RegularExpressions;
using Amazon;
using Amazon.S3;
using PimBridge.Core.Configuration;
using PimBridge.Core.Gaps;

namespace PimBridge.Aws.Trails;

/// <summary>
/// Builds the configured <see cref="ITrailSource"/> from <c>Gaps.Source</c>, after checking the settings so a mistake
/// is reported as "where: what is wrong; what to do" at start-up rather than as an AWS error on the first scan.
/// </summary>
public static partial class TrailSources
{
    public const string LookupEvents = "lookup-events";
    public const string S3 = "s3";
    public const string Directory = "directory";

    private const string At = "Gaps.Source";

    /// <summary>
    /// Builds the source. Dispose it (the AWS sources are <see cref="IDisposable"/>) to release its clients.
    /// </summary>
    /// <exception cref="ConfigurationException">The settings are not usable; <see cref="ConfigurationException.Problems"/> says why.</exception>
    public static ITrailSource Create(GapSourceOptions options, TrailSourceContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        context ??= new TrailSourceContext();
        var problems = Validate(options, context.IdentityCenterRegion);
        if (problems.Count > 0)
            throw new ConfigurationException(problems);

        var regions = options.Regions.Select(r => r.Trim()).ToList();
        switch (options.Type.Trim().ToLowerInvariant())
        {
            case LookupEvents:
                if (regions.Count == 0) regions.Add(context.IdentityCenterRegion!);
                return new LookupEventsTrailSource(new LookupEventsTrailSourceOptions
                {
                    Regions = regions,
                    AuditRole = options.AuditRoleName!.Trim(),
                    ExternalId = string.IsNullOrWhiteSpace(options.ExternalId) ? null : options.ExternalId,
                    IdentityCenterAccountId = string.IsNullOrWhiteSpace(options.IdentityCenterAccountId) ? null : options.IdentityCenterAccountId.Trim(),
                    IdentityCenterRegion = context.IdentityCenterRegion,
                    Credentials = context.Credentials,
                    StsEndpoint = context.ServiceEndpoint,
                    TimeProvider = context.TimeProvider,
                    ConfigureCloudTrail = context.ServiceEndpoint is { } cloudTrailEndpoint ? (_, _, o) => o.Endpoint = cloudTrailEndpoint : null,
                });
            case S3:
            {
                var region = context.IdentityCenterRegion ?? regions.FirstOrDefault() ?? "us-east-1";
                var config = new AmazonS3Config();
                if (context.ServiceEndpoint is { } s3Endpoint)
                {
                    config.ServiceURL = s3Endpoint.ToString();
                    config.AuthenticationRegion = region;
                    config.ForcePathStyle = true;
                }
                else
                {
                    config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
                }

                var client = context.Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(context.Credentials, config);
                return new S3TrailSource(client, new S3TrailSourceOptions
                {
                    Bucket = options.Bucket!.Trim(),
                    Prefix = options.Prefix,
                    OrganizationId = string.IsNullOrWhiteSpace(options.OrganizationId) ? null : options.OrganizationId.Trim(),
                    Regions = regions,
                    IdentityCenterAccountId = string.IsNullOrWhiteSpace(options.IdentityCenterAccountId) ? null : options.IdentityCenterAccountId.Trim(),
                    TimeProvider = context.TimeProvider,
                }, ownsClient: true);
            }
            default:
                return new TrailDirectorySource(options.Path!);
        }
    }

    /// <summary>Every problem with <paramref name="options"/>, each as "where: what is wrong; what to do". Empty when usable.</summary>
    public static IReadOnlyList<string> Validate(GapSourceOptions options, string? identityCenterRegion = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var type = (options.Type ?? "").Trim().ToLowerInvariant();
        if (type is not (LookupEvents or S3 or Directory))
        {
            problems.Add(type.Length == 0
                ? $"{At}.Type: empty; set it to '{LookupEvents}' (CloudTrail event history per account), '{S3}' (an organization trail's bucket) or '{Directory}' (trail files in a folder)."
                : $"{At}.Type: '{options.Type}' is not a source type; use '{LookupEvents}', '{S3}' or '{Directory}'.");
            return problems;
        }

        var regions = options.Regions ?? [];
        for (var i = 0; i < regions.Count; i++)
            if (!RegionName().IsMatch(regions[i]?.Trim() ?? ""))
                problems.Add($"{At}.Regions[{i}]: '{regions[i]}' is not an AWS Region; use a Region code such as eu-west-1.");
        foreach (var twice in regions.GroupBy(r => r?.Trim(), StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add($"{At}.Regions: lists '{twice.Key}' twice; remove the duplicate.");
        if (!string.IsNullOrWhiteSpace(options.IdentityCenterAccountId) && !AccountId().IsMatch(options.IdentityCenterAccountId.Trim()))
            problems.Add($"{At}.IdentityCenterAccountId: '{options.IdentityCenterAccountId}' is not an AWS account id; use the 12-digit id of the account that owns Identity Center, quoted.");

        switch (type)
        {
            case LookupEvents:
                ValidateLookupEvents(options, identityCenterRegion, problems);
                break;
            case S3:
                ValidateS3(options, problems);
                break;
            default:
                if (string.IsNullOrWhiteSpace(options.Path))
                    problems.Add($"{At}.Path: required for '{Directory}'; set the folder that holds the trail files (.json.gz or .json, read recursively).");
                else if (!System.IO.Directory.Exists(options.Path))
                    problems.Add($"{At}.Path: '{options.Path}' does not exist (resolved to '{System.IO.Path.GetFullPath(options.Path)}'); create it or fix the path.");
                break;
        }

        return problems;
    }

    private static void ValidateLookupEvents(GapSourceOptions options, string? identityCenterRegion, List<string> problems)
    {
        if (options.Regions is not { Count: > 0 } && string.IsNullOrWhiteSpace(identityCenterRegion))
            problems.Add($"{At}.Regions: empty, and there is no IdentityCenter.Region to fall back on; list the Regions to read, for example [\"eu-west-1\"].");

        var role = options.AuditRoleName?.Trim() ?? "";
        if (role.Length == 0)
            problems.Add($"{At}.AuditRoleName: required for '{LookupEvents}'; set the read-only role PimBridge assumes in each member account (for example PimBridgeAudit), or an ARN template with {{account}}.");
        else if (role.StartsWith("arn:", StringComparison.Ordinal))
        {
            if (!role.Contains("{account}", StringComparison.Ordinal))
                problems.Add($"{At}.AuditRoleName: the ARN '{role}' has no {{account}} placeholder, so every account would be read as the same one; write it like arn:aws:iam::{{account}}:role/PimBridgeAudit.");
            else if (!RoleArnTemplate().IsMatch(role))
                problems.Add($"{At}.AuditRoleName: '{role}' is not an IAM role ARN template; write it like arn:aws:iam::{{account}}:role/PimBridgeAudit (or arn:aws-us-gov:…).");
        }
        else if (!RoleName().IsMatch(role))
            problems.Add($"{At}.AuditRoleName: '{role}' is not an IAM role name; use the role's name (letters, digits, +=,.@_-, at most 64, optionally after its path), for example PimBridgeAudit.");

        if (!string.IsNullOrEmpty(options.ExternalId) && !ExternalId().IsMatch(options.ExternalId))
            problems.Add($"{At}.ExternalId: not a valid external id; use 2-1224 of letters, digits and +=,.@:/_- exactly as the audit role's trust policy expects.");
    }

    private static void ValidateS3(GapSourceOptions options, List<string> problems)
    {
        var bucket = options.Bucket?.Trim() ?? "";
        if (bucket.Length == 0)
            problems.Add($"{At}.Bucket: required for '{S3}'; set the name of the bucket the organization trail delivers to.");
        else if (!BucketName().IsMatch(bucket))
            problems.Add($"{At}.Bucket: '{options.Bucket}' is not an S3 bucket name; use the bare name (no s3:// or ARN), for example org-cloudtrail-logs.");

        if (!string.IsNullOrWhiteSpace(options.OrganizationId) && !OrganizationId().IsMatch(options.OrganizationId.Trim()))
            problems.Add($"{At}.OrganizationId: '{options.OrganizationId}' is not an organization id; copy it from AWS Organizations (o- and 10-32 lowercase letters or digits), or leave it empty for a single-account trail.");

        var prefix = options.Prefix?.Trim() ?? "";
        if (prefix.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
            problems.Add($"{At}.Prefix: '{options.Prefix}' is a URL; set only the key prefix inside the bucket (the bucket goes in {At}.Bucket).");
        else if (prefix.Trim('/').Split('/').Contains("AWSLogs", StringComparer.Ordinal))
            problems.Add($"{At}.Prefix: '{options.Prefix}' includes AWSLogs; set only the part before AWSLogs/ (PimBridge adds AWSLogs/<org-id>/ itself), or leave it empty.");
    }

    /// <summary>An AWS Region code such as eu-west-1 or us-gov-west-1; also how trail folders under AWSLogs are recognized.</summary>
    [GeneratedRegex(@"^([a-z]+-){2,3}\d$")]
    internal static partial Regex RegionName();

    [GeneratedRegex(@"^\d{12}$")]
    private static partial Regex AccountId();

    [GeneratedRegex(@"^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")]
    private static partial Regex RoleName();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:iam::\{account\}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")]
    private static partial Regex RoleArnTemplate();

    [GeneratedRegex(@"^[\w+=,.@:/-]{2,1224}$")]
    private static partial Regex ExternalId();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^o-[a-z0-9]{10,32}$")]
    private static partial Regex OrganizationId();
}
