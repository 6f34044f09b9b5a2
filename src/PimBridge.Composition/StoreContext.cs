using Amazon.Runtime;
using Microsoft.Extensions.Configuration;

namespace PimBridge.Composition;

/// <summary>What a store needs from the composition.</summary>
public sealed record StoreContext
{
    /// <summary>The host settings (<see cref="CompositionSettings"/>'s keys).</summary>
    public required IConfiguration Configuration { get; init; }

    /// <summary>Identity Center's Region: the default for a store in AWS.</summary>
    public required string Region { get; init; }

    /// <summary>The one endpoint for every AWS call (<see cref="CompositionSettings.AwsEndpointKey"/>); null: AWS's.</summary>
    public Uri? AwsEndpoint { get; init; }

    /// <summary>Null: the AWS SDK's default credential chain.</summary>
    public AWSCredentials? AwsCredentials { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Disposed with the engine.</summary>
    public required OwnedResources Resources { get; init; }
}
