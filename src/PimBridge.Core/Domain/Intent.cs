using System.Text.Json.Serialization;

namespace PimBridge.Core.Domain;

/// <summary>
/// A durable record of AWS work to do (the outbox). It is written before any AWS call, executed idempotently,
/// confirmed after, and retried with backoff until done; a restart resumes whatever is still pending.
/// </summary>
public sealed record Intent
{
    public required string Id { get; init; }
    public required IntentKind Kind { get; init; }

    /// <summary>The entitlement key; for <see cref="IntentKind.SyncFences"/> the permission set ARN; for <see cref="IntentKind.ReconcileGroup"/> the Entra group id; for <see cref="IntentKind.Notify"/> <c>sink|kind|reference</c>.</summary>
    public required string Subject { get; init; }

    public IntentState State { get; init; } = IntentState.Pending;
    public int Attempts { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the intent is next due. Claiming an intent pushes this forward, so other instances skip it meanwhile.</summary>
    public required DateTimeOffset NextAttemptAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }
    public string? LastError { get; init; }

    /// <summary>When a run of this intent first went on to change AWS (written before the change is sent).</summary>
    public DateTimeOffset? ActedAt { get; init; }
    public long Version { get; init; }

    /// <summary>Whether the intent still waits to be done; a Done or Superseded intent never runs again.</summary>
    [JsonIgnore]
    public bool IsPending => State == IntentState.Pending;

    /// <summary>
    /// When the intent falls due: its <see cref="NextAttemptAt"/> while <see cref="IsPending"/>, null once it is finished.
    /// Stores index this value, so what counts as due is decided here once.
    /// </summary>
    [JsonIgnore]
    public DateTimeOffset? DueAt => IsPending ? NextAttemptAt : null;

    /// <summary>Whether the intent is due to run at <paramref name="now"/> (pending, and its next attempt at or before now).</summary>
    public bool IsDueAt(DateTimeOffset now) => DueAt <= now;
}
