using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using PimBridge.Aws;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Benchmarks;

/// <summary>
/// The processing time from a hint to confirmed AWS access, against a real moto_server: the real Enforcer, the real
/// Identity Center adapters and user mapping over PimBridge's clients, and the real SQLite store in a temporary file,
/// all on the system clock; PIM is an in-process list. For each activation, one at a time: PIM lists it, a hint is
/// recorded (<see cref="Enforcer.HintAsync"/>), and ticks run back to back until the grant's
/// <see cref="Grant.AccessConfirmedAt"/> is set. With <c>--burst</c>, every activation is listed and hinted at once,
/// then ticks run until every grant is confirmed. The figure is the grant's own <see cref="Grant.ProcessingTime"/>
/// (AccessConfirmedAt − FirstSeenAt, both read from the system clock by the engine). <c>--rps</c> sets both clients'
/// RequestsPerSecond: 200 by default, raised for moto; AWS's quota, and the clients' default, is 20.
/// </summary>
public static class GrantLatency
{
    private const string Region = "us-east-1";
    private const string Account = "111111111111";
    private const string PermissionSetName = "BenchAdmin";

    public static async Task<int> RunAsync(string[] args)
    {
        var grants = 200;
        var rps = 200.0;
        var groups = 10;
        var warmup = 5;
        var burst = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--grants": grants = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rps": rps = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--groups": groups = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--burst": burst = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: latency [--grants N (200)] [--rps R (200)] [--groups G (10)] [--warmup W (5)] [--burst]");
                    return 2;
            }
        }

        if (grants < 1 || groups < 1 || warmup < 0 || rps <= 0)
        {
            Console.Error.WriteLine("--grants and --groups must be at least 1, --warmup at least 0, --rps positive.");
            return 2;
        }

        Console.WriteLine($"latency: {grants} activations (+{warmup} warm-up) over {groups} mapped groups, {(burst ? "all at once (burst)" : "one at a time")}, client rate limit {rps} requests/s per service");
        await using var moto = await MotoServer.StartAsync();
        var credentials = new BasicAWSCredentials("testing", "testing");
        var calls = new CallCounts();
        T Configure<T>(T options) where T : AwsClientOptions
        {
            options.Region = Region;
            options.Endpoint = moto.Endpoint;
            options.Credentials = credentials;
            options.RequestsPerSecond = rps;
            options.HttpHandler = new CallCounter(calls);
            return options;
        }

        using var ssoAdmin = new SsoAdminClient(Configure(new SsoAdminClientOptions()));
        using var identityStore = new IdentityStoreClient(Configure(new IdentityStoreClientOptions()));
        using var seeder = new MotoSeeder(moto.Endpoint, Region, credentials);

        // Seed: the permission set and one Identity Center user per activation.
        var instance = await ssoAdmin.ListInstancesAsync().FirstAsync();
        var instanceArn = instance.InstanceArn!;
        var identityStoreId = instance.IdentityStoreId!;
        var seeding = Stopwatch.StartNew();
        var permissionSet = await seeder.CreatePermissionSetAsync(instanceArn, PermissionSetName, "PT1H");
        var userNames = Enumerable.Range(0, warmup + grants).Select(i => $"bench-user-{i:D5}@example.com").ToList();
        foreach (var userName in userNames)
            await seeder.CreateUserAsync(identityStoreId, userName);
        Console.WriteLine($"seeded {userNames.Count} users and {permissionSet} in {seeding.Elapsed.TotalSeconds:0.0} s");

        // The engine as the service composes it, on the system clock.
        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = instanceArn, IdentityStoreId = identityStoreId, Region = Region },
            Mappings = Enumerable.Range(0, groups).Select(g => new MappingOptions
            {
                Name = $"bench-{g:D3}",
                EntraGroupId = $"{g:x8}-1111-4111-8111-111111111111",
                AccountAssignments = new() { PermissionSet = PermissionSetName, Accounts = [Account] },
            }).ToList(),
        };
        var settings = PimBridgeConfiguration.Validate(options);
        var adapters = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter));
        var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory);
        var directory = Path.Combine(Path.GetTempPath(), "pimbridge-latency-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await using var store = await SqliteStateStore.OpenAsync(Path.Combine(directory, "state.db"));
            var pim = new ListedActivations();
            var users = new IdentityStoreUserMapping(identityStore, identityStoreId, settings.IdentityCenter.MatchUsersBy);
            var enforcer = new Enforcer(new EnforcerSetup
            {
                Store = store, Aws = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory, users),
                Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = TimeProvider.System, Pim = pim,
            });
            var mappedGroups = mappings.Select(m => m.Rule.EntraGroupId).ToList();

            var processing = new List<double>(grants);
            var observed = new List<double>(grants);
            var ticks = new List<int>(grants);
            var run = new Stopwatch();
            for (var i = 0; i < warmup + (burst ? 0 : grants); i++)
            {
                if (i == warmup) { run.Start(); calls.Reset(); }
                var userName = userNames[i];
                var group = mappedGroups[i % mappedGroups.Count];
                var started = Stopwatch.GetTimestamp();
                var activation = pim.Activate(new EntraPrincipal($"entra-{i:D5}", userName), group, TimeSpan.FromHours(1));
                await enforcer.HintAsync(group);
                var (grant, tickCount) = await TickUntilConfirmedAsync(enforcer, store, userName, activation.Id);
                if (i < warmup) continue;
                processing.Add(grant.ProcessingTime!.Value.TotalMilliseconds);
                observed.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                ticks.Add(tickCount);
            }

            if (burst)
            {
                // Every activation at once, each with its hint (a group already queued takes no new one), then ticks
                // back to back until every grant has confirmed access.
                calls.Reset();
                run.Start();
                var activations = new HashSet<string>(StringComparer.Ordinal);
                for (var i = warmup; i < warmup + grants; i++)
                {
                    var group = mappedGroups[i % mappedGroups.Count];
                    activations.Add(pim.Activate(new EntraPrincipal($"entra-{i:D5}", userNames[i]), group, TimeSpan.FromHours(1)).Id);
                    await enforcer.HintAsync(group);
                }

                var (confirmed, tickCount) = await TickUntilAllConfirmedAsync(enforcer, store, activations);
                processing.AddRange(confirmed.Select(g => g.ProcessingTime!.Value.TotalMilliseconds));
                ticks.Add(tickCount);
            }

            run.Stop();
            var assigned = (await ssoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
            {
                InstanceArn = instanceArn, AccountId = Account, PermissionSetArn = permissionSet,
            }).ToListAsync()).Count(a => a.PrincipalType == PrincipalTypes.User);
            if (assigned != warmup + grants)
                throw new InvalidOperationException($"moto lists {assigned} user assignments, not {warmup + grants}.");

            Console.WriteLine();
            Console.WriteLine($"{grants} activations, {(burst ? "all at once" : "one at a time")}, hint to confirmed access (moto lists {assigned} assignments):");
            Report("processing time (AccessConfirmedAt - FirstSeenAt)", processing);
            if (!burst)
            {
                Report("observed by the driver (activation listed to grant read back confirmed)", observed);
                Console.WriteLine($"  ticks per activation: min {ticks.Min()}, max {ticks.Max()}, mean {ticks.Average():0.00}");
            }
            else
            {
                Console.WriteLine($"  ticks until all were confirmed: {ticks[0]}");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  throughput: {grants} activations in {run.Elapsed.TotalSeconds:0.00} s = {grants / run.Elapsed.TotalSeconds:0.0} hints/s to confirmed access ({(burst ? "all at once" : "sequential")})"));
            Console.WriteLine($"  AWS calls per activation: {string.Join(", ", calls.Snapshot().Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {(double)c.Value / grants:0.##}")))}");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Ticks back to back until the activation's grant has confirmed access (bounded: 60 s).</summary>
    private static async Task<(Grant Grant, int Ticks)> TickUntilConfirmedAsync(Enforcer enforcer, IStateStore store, string userName, string activationId)
    {
        var deadline = Stopwatch.StartNew();
        for (var tickCount = 1; deadline.Elapsed < TimeSpan.FromSeconds(60); tickCount++)
        {
            var tick = await enforcer.TickAsync();
            if (tick.IntentsFailed > 0)
                Console.Error.WriteLine($"  warning: a tick for {userName} had {tick.IntentsFailed} failed intent(s); they retry after backing off");
            var grants = await store.ListGrantsAsync(activeOnly: true, userName);
            if (grants.FirstOrDefault(g => g.ActivationId == activationId && g.AccessConfirmedAt is not null) is { } confirmed)
                return (confirmed, tickCount);
            if (tick.DidNothing) await Task.Delay(10);
        }

        throw new TimeoutException($"The grant of {userName} ({activationId}) had no confirmed access after 60 s.");
    }

    /// <summary>Ticks back to back until every activation's grant has confirmed access (bounded: 5 min).</summary>
    private static async Task<(IReadOnlyList<Grant> Grants, int Ticks)> TickUntilAllConfirmedAsync(Enforcer enforcer, IStateStore store, IReadOnlySet<string> activationIds)
    {
        var deadline = Stopwatch.StartNew();
        for (var tickCount = 1; deadline.Elapsed < TimeSpan.FromMinutes(5); tickCount++)
        {
            var tick = await enforcer.TickAsync();
            if (tick.IntentsFailed > 0)
                Console.Error.WriteLine($"  warning: tick {tickCount} had {tick.IntentsFailed} failed intent(s); they retry after backing off");
            var confirmed = (await store.ListGrantsAsync(activeOnly: true, user: null))
                .Where(g => activationIds.Contains(g.ActivationId) && g.AccessConfirmedAt is not null).ToList();
            if (confirmed.Count == activationIds.Count)
                return (confirmed, tickCount);
            if (tick.DidNothing) await Task.Delay(10);
        }

        throw new TimeoutException($"Not every grant had confirmed access after 5 min.");
    }

    private static void Report(string what, List<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToList();
        Console.WriteLine($"  {what}:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    p50 {Percentile(sorted, 50):0.0} ms, p95 {Percentile(sorted, 95):0.0} ms, p99 {Percentile(sorted, 99):0.0} ms, max {sorted[^1]:0.0} ms (min {sorted[0]:0.0} ms, mean {sorted.Average():0.0} ms)"));
    }

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it.</summary>
    private static double Percentile(List<double> sorted, int p) => sorted[Math.Max(0, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    /// <summary>AWS calls by operation.</summary>
    private sealed class CallCounts
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

        public void Reset() => _calls.Clear();

        public void Add(string operation) => _calls.AddOrUpdate(operation, 1, (_, n) => n + 1);

        public IEnumerable<KeyValuePair<string, int>> Snapshot() => _calls.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>Counts each HTTP attempt by operation (X-Amz-Target), below the signer; a plain handler underneath, as the clients' default.</summary>
    private sealed class CallCounter(CallCounts counts) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.First() : "?";
            counts.Add(target[(target.IndexOf('.') + 1)..]);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>PIM as an in-process list: activations listed from now, for each group asked about.</summary>
    private sealed class ListedActivations : IPimSource
    {
        private readonly Lock _gate = new();
        private readonly List<Activation> _activations = [];

        public Activation Activate(EntraPrincipal principal, string group, TimeSpan duration)
        {
            var now = DateTimeOffset.UtcNow;
            lock (_gate)
            {
                var activation = new Activation($"act-{_activations.Count + 1:D5}", principal, group, PimAccess.Member, now, now + duration);
                _activations.Add(activation);
                return activation;
            }
        }

        public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
        {
            var wanted = groupIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
            lock (_gate)
                return Task.FromResult(new PimSnapshot(groupIds, _activations.Where(a => wanted.Contains(a.GroupId)).ToList()));
        }

        public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
            Task.FromResult<ActivationRequest?>(null);
    }
}
