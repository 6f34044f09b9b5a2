namespace PimBridge.Core.Domain;

/// <summary>
/// One PIM assignment schedule instance for a group: an activation (time-bound) or, when <see cref="IsPermanent"/>,
/// a standing assignment. <see cref="End"/> is null for assignments without expiry. <see cref="ScheduleId"/> is PIM's
/// assignmentScheduleId, which ties the instance to the request (justification, ticket) behind it.
/// </summary>
public sealed record Activation(
    string Id,
    EntraPrincipal Principal,
    string GroupId,
    PimAccess Access,
    DateTimeOffset Start,
    DateTimeOffset? End,
    bool IsPermanent = false,
    string? ScheduleId = null);
