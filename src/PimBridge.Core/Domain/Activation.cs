namespace PimBridge.Core.Domain;

/// <summary>Which PIM-for-Groups relationship an activation grants.</summary>
public enum PimAccess
{
    Member,
    Owner,
}

/// <summary>An Entra user as PIM names them, with the attributes identity mapping may use.</summary>
public sealed record EntraPrincipal(string Id, string? UserPrincipalName = null, string? Mail = null);

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

/// <summary>
/// What PIM says, authoritatively, about a set of groups at one moment: every activation of every listed group.
/// A group listed with no activations means nobody holds it now.
/// </summary>
public sealed record PimSnapshot(IReadOnlyCollection<string> GroupIds, IReadOnlyList<Activation> Activations);

/// <summary>The Identity Center user an Entra principal maps to.</summary>
public sealed record IdentityCenterUser(string UserId, string UserName);
