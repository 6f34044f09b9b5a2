using Amazon.Runtime;
using Azure.Core;
using PimBridge.Core.Ports;

namespace PimBridge.Composition;

/// <summary>
/// What a caller of <see cref="ComposedEngine.ComposeAsync"/> ships and already has: the stores it can open, the Entra
/// part when it reads PIM, and, used instead of being built from configuration, a registered PIM source and
/// subscriptions or AWS credentials other than the SDK's default chain.
/// </summary>
public sealed record ComposedEngineInputs
{
    /// <summary>The stores this host ships; <see cref="CompositionSettings.StoreKey"/> picks one by name.</summary>
    public IReadOnlyList<IStateStoreFactory> Stores { get; init; } = [];

    /// <summary>
    /// Null for a host that does not talk to Graph (the AWS-side watcher): no PIM source or Graph subscriptions are
    /// composed and no <c>Entra</c> section is needed; the engine ends grants, fences and delivers, and leaves group
    /// hints to the host that reads PIM.
    /// </summary>
    public IEntraPart? Entra { get; init; }

    /// <summary>Used instead of the Entra part's (tests, hosts that register their own).</summary>
    public IPimSource? Pim { get; init; }

    /// <summary>Used instead of the Entra part's.</summary>
    public IGraphSubscriptions? Subscriptions { get; init; }

    /// <summary>
    /// Used instead of the Entra part's, which is taken only with the Entra part's PIM source (a delta of one tenant
    /// says nothing about another source's PIM). None: the poll reads every group every interval.
    /// </summary>
    public IGroupMembershipDelta? MembershipDelta { get; init; }

    /// <summary>
    /// True for a one-shot command (the CLI): wait for each asynchronous AWS operation to finish. False (a host that
    /// ticks): hand a slow one back to the engine, which looks again shortly, so no removal waits behind it (I6).
    /// </summary>
    public bool WaitForOperations { get; init; }

    /// <summary>Null: the AWS SDK's default credential chain, or the web identity role when one is configured.</summary>
    public AWSCredentials? AwsCredentials { get; init; }

    /// <summary>
    /// Issues the Entra token exchanged for AWS credentials when <c>PimBridge:Aws:WebIdentityRoleArn</c> is set. Null:
    /// the host's managed identity.
    /// </summary>
    public TokenCredential? AwsWebIdentityToken { get; init; }
}
