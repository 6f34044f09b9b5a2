namespace PimBridge.Core.Ports;

/// <summary>
/// Keeps one Graph change subscription per mapped group (members, and owners where an owner mapping exists) pointed at
/// the Event Grid partner topic: creates missing ones, renews well before they expire, reauthorizes on request.
/// </summary>
public interface IGraphSubscriptions
{
    /// <summary>Creates, renews or recreates subscriptions so every mapped group is covered; reports what it did.</summary>
    Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default);

    /// <summary>Answers a <c>subscriptionReauthorizationRequired</c> lifecycle event: reauthorize, or renew if that fails.</summary>
    Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>The clientState the subscriptions are created with, which the webhook must expect; null when none are managed here.</summary>
    string? ClientState => null;
}
