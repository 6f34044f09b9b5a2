using Amazon.Runtime;

namespace PimBridge.Aws.Trails;

/// <summary>What the gap detector's trail source needs besides its own settings.</summary>
public sealed class TrailSourceContext
{
    /// <summary>The Identity Center Region (<c>IdentityCenter.Region</c>): the default Region to read, and where STS and S3 are called.</summary>
    public string? IdentityCenterRegion { get; init; }

    /// <summary>PimBridge's own AWS credentials. Null: the AWS SDK default chain.</summary>
    public AWSCredentials? Credentials { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>One endpoint for STS, CloudTrail and S3 (an emulator such as moto, or a proxy). Null: the public endpoints.</summary>
    public Uri? ServiceEndpoint { get; init; }
}
