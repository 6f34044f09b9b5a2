using PimBridge.Core.Domain;

namespace PimBridge.Entra;

/// <summary>A group PIM for Groups governs (it has eligibility schedules), and which relationships can be activated.</summary>
public sealed record PimEnabledGroup(string Id, string DisplayName, IReadOnlyList<PimAccess> Eligible);
