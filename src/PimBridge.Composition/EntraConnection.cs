using PimBridge.Core.Ports;

namespace PimBridge.Composition;

/// <summary>
/// The PIM source, the subscriptions that keep its change notifications coming, and the membership delta that tells
/// the poll which groups to read (none: the poll reads every group every interval).
/// </summary>
public sealed record EntraConnection(IPimSource Pim, IGraphSubscriptions Subscriptions, IGroupMembershipDelta? MembershipDelta = null);
