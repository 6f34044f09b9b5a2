using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// The <c>burst</c> mode: many activations at once, against AWS as it documents its quotas (the adversarial
/// Identity Center model) or against moto at the same client rates. The real engine as a host composes it: the
/// <see cref="Enforcer"/> over PimBridge's sso-admin and Identity Store clients (the limiters at 20 requests/s each),
/// the Identity Center adapters and user mapping, and SQLite in a file; PIM is an in-process list. Everything runs on
/// the system clock, the model's too.
/// <list type="number">
/// <item>A few activations one at a time warm the process (JIT, caches), uncounted.</item>
/// <item>The burst: PIM lists every activation at once, a hint arrives for each (one per group is recorded, as the
/// endpoint does), and the loop ticks as the host's worker does until every activation's access is confirmed.
/// Per activation: AccessConfirmedAt − FirstSeenAt (the hint), its grants' latest and earliest.</item>
/// <item>With <c>--expiry</c>: PIM ends every activation of the burst at one instant a few seconds ahead (a poll
/// records the new end), and the loop runs until every entitlement is removed and the fences are written. Side loads
/// that must change none of its figures (issue 15): <c>--dead-sink</c>, notifications to a webhook that never answers
/// (<see cref="DeadSink"/>); <c>--slow-provisioning S</c>, another permission set provisioning for S seconds at the
/// instant, with grants of its own ending then too (<see cref="SlowProvisioning"/>).</item>
/// </list>
/// AWS calls are counted on the wire, below the signer, per attempt.
/// </summary>
public static class BurstRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (BurstOptions.Parse(args, out var error) is not { } options)
        {
            Console.Error.WriteLine($"burst: {error}; {BurstOptions.Usage}");
            return 2;
        }

        var n = options.Activations;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"burst: {n} activations at once, each {BurstShapes.Describe(options.Shape)}, over {options.Groups} Entra group(s); client limiters {options.RequestsPerSecond} requests/s per service; Enforcer.Parallelism {options.Parallelism ?? EnforcerSettings.DefaultParallelism}"));
        Console.WriteLine($"  {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
        await using BurstAws aws = options.Aws == "moto" ? await MotoAws.StartAsync(options.RequestsPerSecond) : new ModelAws(options.InProgress, options.RequestsPerSecond, options.SlowProvisioning);
        Console.WriteLine($"  AWS: {aws.Describe}");

        // With --slow-provisioning, a few more users, granted the other permission set (they come after the burst's).
        var otherUsers = options.SlowProvisioning is null ? 0 : SlowProvisioning.Users;
        var userNames = Enumerable.Range(0, options.Warmup + n + otherUsers).Select(i => $"bench-user-{i:D5}@example.com").ToList();
        var seeding = Stopwatch.StartNew();
        await aws.SeedUsersAsync(userNames);
        Console.WriteLine($"  seeded {userNames.Count} users in {seeding.Elapsed.TotalSeconds:0.0} s");

        var entraGroups = Enumerable.Range(0, options.Groups).Select(g => $"{g:x8}-1111-4111-8111-111111111111").ToList();
        var burstMappings = BurstShapes.Mappings(options.Shape, entraGroups, BurstAws.Accounts, aws.GroupId);
        var grantsPerActivation = burstMappings.Count / entraGroups.Count;
        var settings = PimBridgeConfiguration.Validate(new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = aws.InstanceArn, IdentityStoreId = aws.IdentityStoreId, Region = "eu-west-1" },
            Mappings = options.SlowProvisioning is null ? burstMappings : [.. burstMappings, SlowProvisioning.Mapping(BurstAws.Accounts[0])],
            Enforcer = options.Parallelism is { } parallelism ? new() { Parallelism = parallelism } : new(),
        });
        var adapters = IdentityCenterAdapters.Create(aws.SsoAdmin, aws.IdentityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter));
        var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory);
        var directory = Path.Combine(Path.GetTempPath(), "pimbridge-burst-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await using var store = await SqliteStateStore.OpenAsync(Path.Combine(directory, "state.db"));
            await using var deadSink = options.DeadSink ? new DeadSink(settings.ExpiryWarning) : null;
            if (deadSink is not null)
                Console.WriteLine($"  notifications: {deadSink.Describe}");
            var pim = new BurstPim();
            var enforcer = new Enforcer(new EnforcerSetup
            {
                Store = store, Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = TimeProvider.System, Pim = pim, Notifications = deadSink?.Outbox,
                Aws = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory,
                    new IdentityStoreUserMapping(aws.IdentityStore, aws.IdentityStoreId, settings.IdentityCenter.MatchUsersBy)),
            });
            var loop = new EngineLoop(enforcer, options.Idle);
            var run = new BurstMeasurement(aws, store, loop, grantsPerActivation);

            for (var i = 0; i < options.Warmup; i++)
            {
                var now = DateTimeOffset.UtcNow;
                var activation = pim.Activate(Principal(i, userNames), entraGroups[i % entraGroups.Count], now, now + TimeSpan.FromHours(1));
                await enforcer.HintAsync(activation.GroupId);
                await loop.RunUntilAsync(async () => (await run.ConfirmedAsync([activation.Id])).Count == 1, TimeSpan.FromMinutes(2), () => Task.FromResult("warming up"));
            }

            var slow = options.SlowProvisioning is { } provisioning ? new SlowProvisioning((ModelAws)aws, store, loop, pim, enforcer, provisioning) : null;
            if (slow is not null)
                await slow.GrantAsync([.. Enumerable.Range(options.Warmup + n, otherUsers).Select(i => Principal(i, userNames))]);

            // The burst: every activation listed at once, a hint for each.
            await run.StartPhaseAsync();
            var ids = new List<string>(n);
            var listedAt = DateTimeOffset.UtcNow;
            for (var i = options.Warmup; i < options.Warmup + n; i++)
            {
                var activation = pim.Activate(Principal(i, userNames), entraGroups[(i - options.Warmup) % entraGroups.Count], listedAt, listedAt + TimeSpan.FromHours(1));
                ids.Add(activation.Id);
                await enforcer.HintAsync(activation.GroupId);
            }

            var burst = Stopwatch.StartNew();
            await loop.RunUntilAsync(async () => (await run.ConfirmedAsync(ids)).Count == n, options.Timeout,
                async () => $"{(await run.ConfirmedAsync(ids)).Count}/{n} confirmed");
            Console.WriteLine($"  burst done in {burst.Elapsed.TotalSeconds:0.0} s (wall clock, hints to the loop's last look)");
            var granted = await run.ReportBurstAsync(options, ids);

            if (options.Expiry)
                await run.ExpireAsync(options, pim, enforcer, entraGroups, ids, granted, deadSink, slow);
            Console.WriteLine($"  load average at the end {LoadAverage()}");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static EntraPrincipal Principal(int i, IReadOnlyList<string> userNames) => new($"entra-{i:D5}", userNames[i]);

    /// <summary>The 1, 5 and 15 minute load averages (Linux), to say whether figures were taken under load.</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "(unknown)";
        }
    }
}
