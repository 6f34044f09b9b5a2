namespace PimBridge.Core.Domain;

/// <summary>What reconcile needs of an active grant, and no more, so that 10,000 of them are cheap to read.</summary>
public sealed record ActiveGrant(string Id, GrantSlot Slot, DateTimeOffset Start, DateTimeOffset? End);
