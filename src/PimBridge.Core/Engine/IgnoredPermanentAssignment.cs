using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>
/// A standing (permanent, <c>assigned</c>) PIM assignment that a mapping of its group and access does not count, because
/// the mapping's <c>IncludePermanent</c> is off: the principal gets no AWS access from it. Reported, never acted on, so
/// "nothing to change" never hides a member who expected access.
/// </summary>
public sealed record IgnoredPermanentAssignment(EntraPrincipal Principal, string Mapping, string GroupId, PimAccess Access, DateTimeOffset Since);
