using Amazon.Runtime;
using PimBridge.Aws.Trails;
using PimBridge.Core.Configuration;
using PimBridge.Core.Gaps;

namespace PimBridge.Aws.Tests.Trails;

public sealed class TrailSourcesTests
{
    private static readonly TrailSourceContext Context = new()
    {
        IdentityCenterRegion = "eu-west-1",
        Credentials = new BasicAWSCredentials("AKIDPIMBRIDGEBASE001", "base-secret"),
    };

    private static string Problem(GapSourceOptions options, string? identityCenterRegion = "eu-west-1") =>
        Assert.Single(TrailSources.Validate(options, identityCenterRegion));

    [Theory]
    [InlineData("", "Gaps.Source.Type: empty; set it to 'lookup-events'")]
    [InlineData("cloudtrail-lake", "Gaps.Source.Type: 'cloudtrail-lake' is not a source type; use 'lookup-events', 's3' or 'directory'.")]
    public void An_unknown_type_is_named(string type, string expected) =>
        Assert.StartsWith(expected, Problem(new GapSourceOptions { Type = type }));

    [Fact]
    public void Lookup_events_needs_an_audit_role_that_names_each_account()
    {
        Assert.StartsWith("Gaps.Source.AuditRoleName: required for 'lookup-events'; set the read-only role PimBridge assumes in each member account",
            Problem(new GapSourceOptions { Type = "lookup-events" }));
        Assert.StartsWith("Gaps.Source.AuditRoleName: the ARN 'arn:aws:iam::111122223333:role/PimBridgeAudit' has no {account} placeholder",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "arn:aws:iam::111122223333:role/PimBridgeAudit" }));
        Assert.StartsWith("Gaps.Source.AuditRoleName: 'arn:aws:sts::{account}:assumed-role/x' is not an IAM role ARN template",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "arn:aws:sts::{account}:assumed-role/x" }));
        Assert.StartsWith("Gaps.Source.AuditRoleName: 'Pim Bridge' is not an IAM role name",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "Pim Bridge" }));
        Assert.Empty(TrailSources.Validate(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "audit/PimBridgeAudit" }, "eu-west-1"));
        Assert.Empty(TrailSources.Validate(new GapSourceOptions { Type = "Lookup-Events", AuditRoleName = "arn:aws-us-gov:iam::{account}:role/PimBridgeAudit", Regions = ["us-gov-west-1"] }));
    }

    [Fact]
    public void Lookup_events_needs_Regions_or_the_Identity_Center_Region_and_valid_ids()
    {
        Assert.StartsWith("Gaps.Source.Regions: empty, and there is no IdentityCenter.Region to fall back on; list the Regions to read",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "PimBridgeAudit" }, identityCenterRegion: null));
        Assert.Equal("Gaps.Source.Regions[1]: 'Frankfurt' is not an AWS Region; use a Region code such as eu-west-1.",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "PimBridgeAudit", Regions = ["eu-west-1", "Frankfurt"] }));
        Assert.Equal("Gaps.Source.Regions: lists 'eu-west-1' twice; remove the duplicate.",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "PimBridgeAudit", Regions = ["eu-west-1", "eu-west-1"] }));
        Assert.StartsWith("Gaps.Source.IdentityCenterAccountId: '60748158159' is not an AWS account id",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "PimBridgeAudit", IdentityCenterAccountId = "60748158159" }));
        Assert.StartsWith("Gaps.Source.ExternalId: not a valid external id",
            Problem(new GapSourceOptions { Type = "lookup-events", AuditRoleName = "PimBridgeAudit", ExternalId = "has spaces in it" }));
    }

    [Fact]
    public void S3_needs_a_bucket_name_a_valid_organization_id_and_a_prefix_before_AWSLogs()
    {
        Assert.StartsWith("Gaps.Source.Bucket: required for 's3'; set the name of the bucket the organization trail delivers to.",
            Problem(new GapSourceOptions { Type = "s3" }));
        Assert.StartsWith("Gaps.Source.Bucket: 's3://org-trail' is not an S3 bucket name; use the bare name",
            Problem(new GapSourceOptions { Type = "s3", Bucket = "s3://org-trail" }));
        Assert.Equal("Gaps.Source.OrganizationId: 'o-abc' is not an organization id; copy it from AWS Organizations (o- and 10-32 lowercase letters or digits), or leave it empty for a single-account trail.",
            Problem(new GapSourceOptions { Type = "s3", Bucket = "org-trail", OrganizationId = "o-abc" }));
        Assert.StartsWith("Gaps.Source.OrganizationId: 'O-A1B2C3D4E5' is not an organization id",
            Problem(new GapSourceOptions { Type = "s3", Bucket = "org-trail", OrganizationId = "O-A1B2C3D4E5" }));
        Assert.StartsWith("Gaps.Source.Prefix: 'logs/AWSLogs/o-a1b2c3d4e5' includes AWSLogs; set only the part before AWSLogs/",
            Problem(new GapSourceOptions { Type = "s3", Bucket = "org-trail", Prefix = "logs/AWSLogs/o-a1b2c3d4e5" }));
        Assert.Empty(TrailSources.Validate(new GapSourceOptions { Type = "s3", Bucket = "org-trail", Prefix = "logs/", OrganizationId = "o-a1b2c3d4e5" }));
        Assert.Empty(TrailSources.Validate(new GapSourceOptions { Type = "s3", Bucket = "org-trail" }));
    }

    [Fact]
    public void A_directory_must_exist()
    {
        Assert.StartsWith("Gaps.Source.Path: required for 'directory'", Problem(new GapSourceOptions { Type = "directory" }));
        var missing = Path.Combine(Path.GetTempPath(), "pimbridge-no-such-folder-" + Guid.NewGuid().ToString("N"));
        Assert.Equal($"Gaps.Source.Path: '{missing}' does not exist (resolved to '{missing}'); create it or fix the path.", Problem(new GapSourceOptions { Type = "directory", Path = missing }));
    }

    [Fact]
    public void Create_throws_every_problem_at_once()
    {
        var error = Assert.Throws<ConfigurationException>(() => TrailSources.Create(
            new GapSourceOptions { Type = "s3", Bucket = "", OrganizationId = "o-x", Regions = ["mars-1"] }, Context));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("Gaps.Source.Bucket:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Gaps.Source.OrganizationId:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Gaps.Source.Regions[0]:", StringComparison.Ordinal));
        Assert.Contains("- Gaps.Source.Bucket:", error.Message);
    }

    [Fact]
    public void Create_builds_the_configured_source()
    {
        using (var lookup = Assert.IsType<LookupEventsTrailSource>(TrailSources.Create(
            new GapSourceOptions { Type = "lookup-events", AuditRoleName = "PimBridgeAudit", IdentityCenterAccountId = "607481581596" }, Context)))
        {
            Assert.Equal("lookup-events in eu-west-1 as PimBridgeAudit", lookup.Describe);
            Assert.Equal("arn:aws:iam::111122223333:role/PimBridgeAudit", lookup.RoleArnFor("111122223333"));
        }

        using (var s3 = Assert.IsType<S3TrailSource>(TrailSources.Create(
            new GapSourceOptions { Type = "s3", Bucket = "org-trail", Prefix = "/logs/", OrganizationId = "o-a1b2c3d4e5" }, Context)))
        {
            Assert.Equal("s3://org-trail/logs/AWSLogs/o-a1b2c3d4e5", s3.Describe);
            Assert.Equal("s3:org-trail/logs/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/07/01/", s3.CursorName("111122223333", "eu-west-1", new DateOnly(2026, 7, 1)));
        }

        var folder = Path.GetTempPath();
        var directory = Assert.IsType<TrailDirectorySource>(TrailSources.Create(new GapSourceOptions { Type = "directory", Path = folder }, Context));
        Assert.Equal(Path.GetFullPath(folder), directory.Root);
    }
}
