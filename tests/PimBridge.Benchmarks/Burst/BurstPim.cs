using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Benchmarks.Burst;

/// <summary>PIM as an in-process list: it lists, for each group asked about, the activations running now.</summary>
internal sealed class BurstPim : IPimSource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Activation> _activations = new(StringComparer.Ordinal);

    public Activation Activate(EntraPrincipal principal, string group, DateTimeOffset start, DateTimeOffset end)
    {
        lock (_gate)
        {
            var activation = new Activation($"act-{_activations.Count + 1:D5}", principal, group, PimAccess.Member, start, end);
            _activations[activation.Id] = activation;
            return activation;
        }
    }

    /// <summary>PIM moves the activations' end (an administrator shortens them, or the requesters end them at a set time).</summary>
    public void EndAt(IEnumerable<string> activationIds, DateTimeOffset end)
    {
        lock (_gate)
        {
            foreach (var id in activationIds)
                _activations[id] = _activations[id] with { End = end };
        }
    }

    public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        var wanted = groupIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var now = DateTimeOffset.UtcNow;
        lock (_gate)
        {
            return Task.FromResult(new PimSnapshot(groupIds,
                _activations.Values.Where(a => wanted.Contains(a.GroupId) && a.Start <= now && (a.End is null || a.End > now)).ToList()));
        }
    }

    public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
        Task.FromResult<ActivationRequest?>(null);
}
