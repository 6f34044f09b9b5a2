using System.Text.Json.Serialization;

namespace PimBridge.Core.Domain;

/// <summary>
/// A Deny on one user's sessions of one permission set in some accounts, for tokens issued before <see cref="Cutoff"/>.
/// It stays until <see cref="Until"/>, when no session it could match can still be alive.
/// </summary>
public sealed record SessionFence
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string UserName { get; init; }
    public required string PermissionSetArn { get; init; }

    /// <summary>The permission set's name, as CloudTrail shows it in the role <c>AWSReservedSSO_&lt;name&gt;_&lt;hash&gt;</c> (null in fences recorded before it was kept).</summary>
    public string? PermissionSetName { get; init; }
    public required IReadOnlyList<string> Accounts { get; init; }
    public required DateTimeOffset Cutoff { get; init; }
    public required DateTimeOffset Until { get; init; }
    public FenceState State { get; init; } = FenceState.Pending;
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the fence was confirmed written and provisioned.</summary>
    public DateTimeOffset? ActiveSince { get; init; }

    public DateTimeOffset? LiftedAt { get; init; }
    public long Version { get; init; }

    /// <summary>The states of a fence that is not yet lifted: it is (or is about to be, or is still being taken out of) the policy.</summary>
    public static IReadOnlyList<FenceState> OpenStates { get; } = [FenceState.Pending, FenceState.Active, FenceState.Lifting];

    /// <summary>Whether the fence is not yet lifted (its state is one of <see cref="OpenStates"/>).</summary>
    [JsonIgnore]
    public bool IsOpen => OpenStates.Contains(State);

    /// <summary>
    /// When the fence falls due to be lifted: its <see cref="Until"/> while Active, null in any other state (a Pending
    /// fence is not in the policy yet; a Lifting one is already on its way out). Stores index this value.
    /// </summary>
    [JsonIgnore]
    public DateTimeOffset? DueAt => State == FenceState.Active ? Until : null;

    /// <summary>Whether the fence is due to be lifted at <paramref name="now"/> (Active, and <see cref="Until"/> at or before now).</summary>
    public bool IsDueAt(DateTimeOffset now) => DueAt <= now;
}
