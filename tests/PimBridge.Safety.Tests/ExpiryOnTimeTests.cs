using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
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

    [Fact]
    public async Task A_removal_starts_on_time_while_another_users_fence_is_still_provisioning()
    {
        A.Start();
        var start = _world.Now;
        _world.Activate("bob-entra", AuditGroup, TimeSpan.FromMinutes(30));
        _world.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(31));
        await A.Enforcer.ReconcileAsync(_world.Snapshot()).WaitAsync(Stuck);
        // From bob's fence on, every AWS operation takes two minutes: the fence is provisioned while alice's removal falls due.
        var observe = _world.Model.OnRequest!;
        _world.Model.OnRequest = (at, operation, body) =>
        {
            observe(at, operation, body);
            if (operation == "PutInlinePolicyToPermissionSet")
                _world.Model.Adversity = Adversity.None with { MinOperationTime = TimeSpan.FromMinutes(2), MaxOperationTime = TimeSpan.FromMinutes(2) };
        };
        var due = start + TimeSpan.FromMinutes(31);
        await HostLoopAsync(until: due + OnTime);

        Assert.Contains(_requests, r => r.Operation == "ProvisionPermissionSet" && r.At < due);
        var started = FirstDeleteOf("u-alice");
        Assert.True(started is { } at && at <= due + OnTime, $"alice's removal was due at {due:O} and started at {started:O}");
    }

    [Fact]
    public async Task A_removal_starts_on_time_while_a_burst_of_grants_is_being_made()
    {
        A.Start();
        var start = _world.Now;
        _world.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(10));
        await A.Enforcer.ReconcileAsync(_world.Snapshot()).WaitAsync(Stuck);
        var due = start + TimeSpan.FromMinutes(10);
        await HostLoopAsync(until: due - TimeSpan.FromSeconds(30));

        // Twenty engineers activate half a minute before alice's grant ends; each assignment takes 4 s to create.
        _world.Model.Adversity = Adversity.None with { MinOperationTime = TimeSpan.FromSeconds(4), MaxOperationTime = TimeSpan.FromSeconds(4) };
        for (var i = 1; i <= 20; i++)
        {
            _world.Model.AddUser($"u-engineer-{i}", $"engineer-{i}@contoso.com");
            _world.Activate(new EntraPrincipal($"engineer-{i}-entra", $"engineer-{i}@contoso.com"), OpsGroup, TimeSpan.FromHours(1));
        }

        await A.Enforcer.ReconcileAsync(_world.Snapshot()).WaitAsync(Stuck);
        await HostLoopAsync(until: due + OnTime);

        Assert.Contains(_requests, r => r.Operation == "CreateAccountAssignment" && r.At < due);
        var started = FirstDeleteOf("u-alice");
        Assert.True(started is { } at && at <= due + OnTime, $"alice's removal was due at {due:O} and started at {started:O}");
    }

    /// <summary>The host's loop: a tick, then a second's pause (time spent inside the tick counts too), until <paramref name="until"/>.</summary>
    private async Task HostLoopAsync(DateTimeOffset until)
    {
        while (_world.Now < until)
        {
            await TickAsync();
            _world.Clock.Advance(TimeSpan.FromSeconds(1));
        }
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
