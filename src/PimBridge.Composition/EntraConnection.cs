using PimBridge.Core.Ports;

namespace PimBridge.Composition;

/// <summary>The PIM source and the subscriptions that keep its change notifications coming.</summary>
public sealed record EntraConnection(IPimSource Pim, IGraphSubscriptions Subscriptions);
