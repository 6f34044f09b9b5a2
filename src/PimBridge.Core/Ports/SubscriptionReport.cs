namespace PimBridge.Core.Ports;

public sealed record SubscriptionReport(IReadOnlyList<SubscriptionAction> Actions);
