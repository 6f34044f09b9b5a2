using System.Text.Json.Nodes;
using PimBridge.Core;
using PimBridge.Core.Notifications;
using PimBridge.Testing.Adversarial;
using static PimBridge.Testing.Adversarial.AdversarialWorld;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Safety.Tests;

/// <summary>
/// I6, expiry on time: a removal due at T starts (its delete reaches AWS) by T + 5 s of engine time, whatever else is
/// queued. Measured on the adversarial world's clock from the requests the modelled Identity Center receives.
/// </summary>
public sealed class ExpiryOnTimeTests : IAsyncLifetime
{
    private static readonly TimeSpan OnTime = TimeSpan.FromSeconds(5);

    /// <summary>Real time a tick may take here before the test calls it stuck (every AWS wait is on the virtual clock).</summary>
    private static readonly TimeSpan Stuck = TimeSpan.FromSeconds(20);

    private AdversarialWorld _world = null!;
    private readonly List<(DateTimeOffset At, string Operation, JsonObject Body)> _requests = [];

    public async Task InitializeAsync()
    {
        _world = await StartAsync(seed: 11);
        _world.Model.Adversity = Adversity.None;
        _world.Model.OnRequest = (at, operation, body) => _requests.Add((at, operation, body));
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private EngineProcess A => _world.Engines[0];

    private async Task TickAsync() => await A.Enforcer.TickAsync().WaitAsync(Stuck);

    private DateTimeOffset? FirstDeleteOf(string userId) =>
        _requests.Where(r => r.Operation == "DeleteAccountAssignment" && r.Body["PrincipalId"]?.GetValue<string>() == userId)
            .Select(r => (DateTimeOffset?)r.At).FirstOrDefault();

    [Fact]
    public async Task A_removal_starts_on_time_while_a_dead_sink_holds_every_notification()
    {
        // Every grant's news goes to a sink that never answers (a receiver that accepts the connection and hangs).
        var dead = new HungSink("engineer-chat");
        _world.Notifications = new NotificationOutbox([dead],
            [new NotificationRoute(dead.Name, new HashSet<NotificationKind> { NotificationKind.AccessLive, NotificationKind.ExpiresSoon, NotificationKind.AccessRemoved, NotificationKind.Alert }, AlertSeverity.Info)],
            TimeSpan.FromMinutes(10));
        A.Start();

        _world.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(60));
        _world.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(30));
        var due = _world.Now + TimeSpan.FromMinutes(30);
        await A.Enforcer.ReconcileAsync(_world.Snapshot()).WaitAsync(Stuck);
        while (_world.Now < due)
        {
            await TickAsync();
            _world.Clock.Advance(TimeSpan.FromSeconds(30));
        }

        await TickAsync();

        Assert.True(dead.Calls > 0, "the grants' news was never handed to the sink");
        var started = FirstDeleteOf("u-alice");
        Assert.True(started is { } at && at <= due + OnTime, $"alice's removal was due at {due:O} and started at {started:O}");
    }

    /// <summary>A notification receiver that never answers.</summary>
    private sealed class HungSink(string name) : INotificationSink
    {
        private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => name;

        public int Calls { get; private set; }

        public Task SendAsync(Notification notification, CancellationToken cancellationToken = default)
        {
            Calls++;
            return _never.Task.WaitAsync(cancellationToken);
        }
    }
}
