namespace PimBridge.Core.Ports;

/// <summary>What was done for one subscription: <c>created</c>, <c>renewed</c>, <c>recreated</c>, <c>reauthorized</c>, <c>unchanged</c> or <c>failed</c>.</summary>
public sealed record SubscriptionAction(string GroupId, string Resource, string Action, string? SubscriptionId, DateTimeOffset? ExpiresAt, string? Error = null);
