using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Polling;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Host;
using PimBridge.Host.Worker;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Benchmarks.GraphPoll;

/// <summary>
/// The <c>graphpoll</c> mode: how many Graph calls the host's poll makes per minute, with no notification at all. The
/// real <see cref="EnforcementWorker"/> (default options unless told), the real Graph adapters (PIM source and
/// membership delta) through the Graph SDK against the Graph stub (PIM for Groups and the documented group delta), a
/// SQLite store and the simulated Identity Center, on a manual clock that jumps to each step's due time. After a
/// warm-up of one full-read interval (the first round reads everything), it counts the stub's requests by path per
/// virtual minute: idle minutes, then minutes in which a few groups get an activation each at a random moment, timing
/// each activation to its grant in (simulated) Identity Center. A count, not a timing: the figures do not depend on the machine.
/// </summary>
public static class GraphPollRun
{
    private const string Usage = "usage: graphpoll [--groups 10,100] [--runs R (3)] [--idle-minutes M (2)] [--active-minutes M (3)] [--activations-per-minute K (3)] [--poll S (10)] [--full-poll S (300)] [--no-delta] [--seed N (1)]";
    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-admin00000000000";

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new Settings();
        for (var i = 0; i < args.Length; i++)
        {
            if (!settings.TryRead(args, ref i))
            {
                Console.Error.WriteLine($"graphpoll: cannot read '{args[i]}'; {Usage}");
                return 2;
            }
        }

        Console.WriteLine($"graphpoll: {(settings.Delta ? "membership delta" : "no delta (every group every PollInterval)")}, PollInterval {settings.Poll.TotalSeconds} s, FullPollInterval {settings.FullPoll.TotalSeconds} s; "
            + $"{settings.IdleMinutes} idle and {settings.ActiveMinutes} active minutes ({settings.ActivationsPerMinute} activations a minute, each in its own group), {settings.Runs} runs; .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        foreach (var groups in settings.Groups)
        {
            for (var run = 1; run <= settings.Runs; run++)
            {
                var result = await RunOnceAsync(groups, settings, settings.Seed + run - 1);
                Console.WriteLine($"groups={groups} run={run} {result}");
            }
        }

        return 0;
    }

    private static async Task<Result> RunOnceAsync(int groupCount, Settings settings, int seed)
    {
        var random = new Random(seed);
        await using var stub = await GraphStub.StartAsync();
        var tenant = new PimTenant(stub);
        var delta = new GroupDeltaStub(stub);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var aws = new SimulatedIdentityCenter();
        aws.PermissionSetsByName["Admin"] = PermissionSet;
        aws.SessionDurations[PermissionSet] = TimeSpan.FromHours(1);

        var groups = Enumerable.Range(1, groupCount).Select(i => $"{i:d8}-9999-4999-8999-999999999999").ToList();
        var users = Enumerable.Range(1, 20).Select(i => $"{i:d8}-aaaa-4aaa-8aaa-aaaaaaaaaaaa").ToList();
        foreach (var group in groups)
        {
            tenant.AddGroup(group);
            delta.AddGroup(group);
        }

        foreach (var user in users)
        {
            tenant.AddUser(user, $"{user[..8]}@contoso.example");
            aws.Users[user] = new IdentityCenterUser($"u-{user[..8]}", $"{user[..8]}@contoso.example");
        }

        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
            Mappings = groups.Select((g, i) => new MappingOptions
            {
                Name = $"group-{i + 1}", EntraGroupId = g, AccountAssignments = new() { PermissionSet = "Admin", Accounts = [$"{100000000000 + i}"] },
            }).ToList(),
        };
        var engine = PimBridgeConfiguration.Validate(options);
        var mappings = await ResolvedMapping.ResolveAsync(engine.Mappings, aws);
        await using var store = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);
        var graph = StubCredential.ClientFor(stub);
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = mappings, Fences = engine.Fences, Settings = engine.Enforcer, Time = clock,
            Pim = new GraphPimSource(graph, NullLogger<GraphPimSource>.Instance, clock),
        });
        var composed = new ComposedEngine(enforcer, store, null)
        {
            GroupChanges = settings.Delta ? new GroupChangeFeed(store, new GraphGroupMembershipDelta(graph, clock), clock) : null,
        };
        var hostOptions = new PimBridgeHostOptions();
        hostOptions.Worker.PollInterval = settings.Poll;
        hostOptions.Worker.FullPollInterval = settings.FullPoll;
        await using var components = new LazyComposedEngine(null!, (_, _) => Task.FromResult(composed), clock);
        using var worker = new EnforcementWorker(components, new WorkerSignal(), clock, Options.Create(hostOptions), NullLogger<EnforcementWorker>.Instance);

        var start = clock.GetUtcNow();
        var measureFrom = start + settings.FullPoll; // the warm-up: the first round and one whole full read
        var idleEnd = measureFrom + TimeSpan.FromMinutes(settings.IdleMinutes);
        var end = idleEnd + TimeSpan.FromMinutes(settings.ActiveMinutes);

        // The activations: K a minute in the active minutes, each in a group of its own, at a random moment.
        var planned = new List<(DateTimeOffset At, string Group, string User)>();
        var shuffled = groups.OrderBy(_ => random.Next()).ToList();
        for (var minute = 0; minute < settings.ActiveMinutes; minute++)
        {
            for (var k = 0; k < settings.ActivationsPerMinute; k++)
            {
                var at = idleEnd + TimeSpan.FromMinutes(minute) + TimeSpan.FromMilliseconds(random.Next(60_000));
                planned.Add((at, shuffled[(minute * settings.ActivationsPerMinute + k) % shuffled.Count], users[random.Next(users.Count)]));
            }
        }

        planned.Sort((a, b) => a.At.CompareTo(b.At));
        var pending = new Queue<(DateTimeOffset At, string Group, string User)>(planned);
        var waiting = new List<(DateTimeOffset At, Entitlement Access)>();
        var latencies = new List<TimeSpan>();
        var requestsBefore = 0;
        int? startupCalls = null;
        var marks = new List<(DateTimeOffset At, int Requests)>();
        var nextDue = clock.GetUtcNow();
        var nextMark = measureFrom;
        while (clock.GetUtcNow() < end)
        {
            // Move to the next event: the worker's due time, an activation, or a minute's boundary.
            var nextEvent = new[] { nextDue, pending.Count > 0 ? pending.Peek().At : DateTimeOffset.MaxValue, nextMark }.Min();
            if (nextEvent > clock.GetUtcNow()) clock.Advance(nextEvent - clock.GetUtcNow());
            var now = clock.GetUtcNow();
            if (now >= end) break; // the step due at the end belongs to the next minute
            if (now >= nextMark)
            {
                if (marks.Count == 0) requestsBefore = stub.Requests.Count;
                marks.Add((now, stub.Requests.Count));
                nextMark += TimeSpan.FromMinutes(1);
            }

            while (pending.Count > 0 && pending.Peek().At <= now)
            {
                var (at, group, user) = pending.Dequeue();
                var id = $"{group}_member_{Guid.NewGuid()}";
                tenant.AddInstance(GraphJson.Instance(id, user, group, start: Iso(at), end: Iso(at.AddHours(1))));
                delta.AddMember(group, user); // PIM adds the activated principal to the group within seconds
                var account = $"{100000000000 + groups.IndexOf(group)}"; // as the mappings above
                waiting.Add((at, Entitlement.AccountAssignment(aws.Users[user].UserId, PermissionSet, account)));
            }

            if (now >= nextDue)
            {
                nextDue = (await worker.RunOnceAsync()).NextDueAt;
                startupCalls ??= stub.Requests.Count; // the first step: the first delta round reads every group
            }

            foreach (var granted in waiting.Where(w => aws.IsActive(w.Access)).ToList())
            {
                latencies.Add(clock.GetUtcNow() - granted.At);
                waiting.Remove(granted);
            }
        }

        marks.Add((clock.GetUtcNow(), stub.Requests.Count));

        // Activations of the last seconds are granted after the measured minutes: run on (uncounted) until they are.
        var drainUntil = end + 3 * settings.Poll;
        while (waiting.Count > 0 && clock.GetUtcNow() < drainUntil)
        {
            if (nextDue > clock.GetUtcNow()) clock.Advance(nextDue - clock.GetUtcNow());
            nextDue = (await worker.RunOnceAsync()).NextDueAt;
            foreach (var granted in waiting.Where(w => aws.IsActive(w.Access)).ToList())
            {
                latencies.Add(clock.GetUtcNow() - granted.At);
                waiting.Remove(granted);
            }
        }

        var measured = stub.Requests.Skip(requestsBefore).Take(marks[^1].Requests - requestsBefore).ToList();
        var perMinute = marks.Zip(marks.Skip(1), (a, b) => b.Requests - a.Requests).ToList();
        return new Result(
            perMinute.Take(settings.IdleMinutes).ToList(),
            perMinute.Skip(settings.IdleMinutes).ToList(),
            measured.GroupBy(r => Category(r.Path)).ToDictionary(g => g.Key, g => g.Count()),
            settings.IdleMinutes + settings.ActiveMinutes,
            latencies,
            waiting.Count,
            startupCalls ?? 0);
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Category(string path) => path switch
    {
        _ when path.Contains("/groups/", StringComparison.Ordinal) && path.Contains("delta", StringComparison.Ordinal) => "groups/delta",
        _ when path.EndsWith("/assignmentScheduleInstances", StringComparison.Ordinal) => "pim/instances",
        _ when path.EndsWith("/assignmentScheduleRequests", StringComparison.Ordinal) => "pim/requests",
        _ when path.Contains("/users/", StringComparison.Ordinal) => "users/{id}",
        _ when path.Contains("/directoryObjects/", StringComparison.Ordinal) => "directoryObjects/{id}",
        _ => path,
    };

    private sealed record Result(List<int> IdleMinutes, List<int> ActiveMinutes, Dictionary<string, int> ByPath, int Minutes, List<TimeSpan> Latencies, int NeverGranted, int StartupCalls)
    {
        public override string ToString()
        {
            var paths = string.Join(", ", ByPath.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value / (double)Minutes:F1}"));
            var latency = Latencies.Count == 0 ? "none" : $"min {Latencies.Min().TotalSeconds:F1} s, median {Latencies.Order().ElementAt(Latencies.Count / 2).TotalSeconds:F1} s, max {Latencies.Max().TotalSeconds:F1} s over {Latencies.Count}";
            return $"startup step {StartupCalls} calls; idle calls/min [{string.Join(' ', IdleMinutes)}] active calls/min [{string.Join(' ', ActiveMinutes)}]; per minute by path: {paths}; activation-to-grant (virtual, poll only) {latency}; never granted {NeverGranted}";
        }
    }

    private sealed class Settings
    {
        public List<int> Groups { get; private set; } = [10, 100];
        public int Runs { get; private set; } = 3;
        public int IdleMinutes { get; private set; } = 2;
        public int ActiveMinutes { get; private set; } = 3;
        public int ActivationsPerMinute { get; private set; } = 3;
        public TimeSpan Poll { get; private set; } = new PimBridgeHostOptions().Worker.PollInterval;
        public TimeSpan FullPoll { get; private set; } = new PimBridgeHostOptions().Worker.FullPollInterval;
        public bool Delta { get; private set; } = true;
        public int Seed { get; private set; } = 1;

        public bool TryRead(string[] args, ref int i)
        {
            var name = args[i];
            if (name == "--no-delta") { Delta = false; return true; }
            if (i + 1 >= args.Length) return false;
            var value = args[++i];
            switch (name)
            {
                case "--groups":
                    var list = value.Split(',').Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToList();
                    if (list.Any(n => n < 1)) return false;
                    Groups = list;
                    return true;
                case "--runs": return Positive(value, n => Runs = n);
                case "--idle-minutes": return Positive(value, n => IdleMinutes = n);
                case "--active-minutes": return Positive(value, n => ActiveMinutes = n);
                case "--activations-per-minute": return Positive(value, n => ActivationsPerMinute = n);
                case "--poll": return Positive(value, n => Poll = TimeSpan.FromSeconds(n));
                case "--full-poll": return Positive(value, n => FullPoll = TimeSpan.FromSeconds(n));
                case "--seed": return Positive(value, n => Seed = n);
                default: return false;
            }
        }

        private static bool Positive(string value, Action<int> set)
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) return false;
            set(n);
            return true;
        }
    }
}
