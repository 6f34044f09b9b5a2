using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Cli.Commands;

/// <summary>PIM for a command that must work without it (an emergency revoke): any read fails with the reason.</summary>
internal sealed class UnavailablePimSource(string reason) : IPimSource
{
    public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"PIM cannot be read: {reason}.");

    public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
        Task.FromResult<ActivationRequest?>(null);
}
