using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Testing;

/// <summary>PIM as the engine's port sees it: activations, and failures to throw on the next reads.</summary>
public sealed class FakePim(TimeProvider clock) : IPimSource
{
    private readonly Lock _gate = new();
    private readonly List<Activation> _activations = [];
    private readonly Queue<Exception> _failures = new();
    private readonly List<(DateTimeOffset At, IReadOnlyList<string> Groups)> _reads = [];

    /// <summary>Every read: when, and the groups it asked for.</summary>
    public IReadOnlyList<(DateTimeOffset At, IReadOnlyList<string> Groups)> Reads { get { lock (_gate) return [.. _reads]; } }

    /// <summary>When set, reads wait for it (to hold a tick in flight).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Completed when a read starts waiting on <see cref="Hold"/>.</summary>
    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Activation Activate(string principal, string group, TimeSpan duration)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            var activation = new Activation($"act-{_activations.Count + 1}", new EntraPrincipal(principal, $"{principal}@contoso.com"), group, PimAccess.Member, now, now + duration);
            _activations.Add(activation);
            return activation;
        }
    }

    public void FailNext(Exception error) { lock (_gate) _failures.Enqueue(error); }

    public async Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        Exception? failure;
        lock (_gate)
        {
            _reads.Add((clock.GetUtcNow(), groupIds.ToList()));
            _failures.TryDequeue(out failure);
        }

        if (Hold is { } hold)
        {
            Holding.TrySetResult();
            await hold.Task;
        }

        if (failure is not null) throw failure;
        var groups = groupIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var now = clock.GetUtcNow();
        lock (_gate)
            return new PimSnapshot(groupIds, _activations.Where(a => groups.Contains(a.GroupId) && a.End > now).ToList());
    }

    public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
        Task.FromResult<ActivationRequest?>(null);
}
