using PimBridge.Core.Ports;
using PimBridge.Testing.Graph;

namespace PimBridge.Testing;

/// <summary>
/// Graph subscriptions that record what a host asked of them: how often <see cref="EnsureAsync"/> ran, which
/// subscriptions were reauthorized, and report the actions a test sets. Reauthorizing answers for the first
/// subscription's group.
/// </summary>
public sealed class FakeSubscriptions(IEnumerable<SubscriptionAction> ensureActions) : IGraphSubscriptions
{
    private readonly Lock _gate = new();
    private readonly List<string> _reauthorized = [];
    private int _ensured;

    public IReadOnlyList<string> Reauthorized { get { lock (_gate) return [.. _reauthorized]; } }

    public int Ensured { get { lock (_gate) return _ensured; } }

    /// <summary>The clientState the subscriptions are created with (Entra.Subscriptions.ClientState), which the webhook checks.</summary>
    public string? ClientState { get; set; } = Payloads.DefaultClientState;

    /// <summary>What EnsureAsync reports.</summary>
    public List<SubscriptionAction> EnsureActions { get; } = [.. ensureActions];

    public Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) _ensured++;
        return Task.FromResult(new SubscriptionReport([.. EnsureActions]));
    }

    public Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        lock (_gate) _reauthorized.Add(subscriptionId);
        var group = EnsureActions.Count > 0 ? EnsureActions[0].GroupId : "";
        return Task.FromResult(new SubscriptionAction(group, $"groups/{group}/members", "reauthorized", subscriptionId, null));
    }
}
