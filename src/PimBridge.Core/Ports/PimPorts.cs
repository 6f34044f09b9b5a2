using PimBridge.Core.Domain;

namespace PimBridge.Core.Ports;

/// <summary>PIM for Groups, the source of truth: what is activated now, and why.</summary>
public interface IPimSource
{
    /// <summary>Every assignment schedule instance (member and owner, activated and assigned) of each group, now.</summary>
    Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default);

    /// <summary>The request behind an activation (justification, ticket), for the audit log; null when PIM has none.</summary>
    Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default);
}

/// <summary>Why an activation was requested, as the engineer told PIM.</summary>
public sealed record ActivationRequest(string Id, string? Justification, string? TicketNumber, string? TicketSystem, DateTimeOffset? CreatedAt);
