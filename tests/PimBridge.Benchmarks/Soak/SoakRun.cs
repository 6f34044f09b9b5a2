using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using PimBridge.Testing.Adversarial;

namespace PimBridge.Benchmarks.Soak;

/// <summary>
/// The <c>soak</c> mode: many more seeded schedules than CI runs (the same <see cref="Schedules"/>, model and oracle),
/// on every core. Prints progress, then schedules run, steps, crashes, violations by invariant and the seed of every
/// failure, with the first failure's shrunk schedule. Exits 1 when any schedule broke an invariant, so a soak is a gate;
/// 3 when stopped early without a violation (the figures printed are for the schedules that finished).
/// </summary>
public static class SoakRun
{
    private const string Usage = "usage: soak [--schedules N (100000)] [--from SEED (1)] [--steps K (30)] [--parallel P (cores)] [--deletions] [--drift] [--no-shrink]";

    public static async Task<int> RunAsync(string[] args)
    {
        var count = 100_000;
        var from = 1;
        var steps = Schedules.DefaultSteps;
        var parallel = Environment.ProcessorCount;
        var shrink = true;
        var deletions = false;
        var drift = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (!TryRead(args, ref i, ref count, ref from, ref steps, ref parallel, ref shrink, ref deletions, ref drift))
            {
                Console.Error.WriteLine($"soak: cannot read '{args[i]}'; {Usage}");
                return 2;
            }
        }

        if (count < 1 || steps < 1 || parallel < 1)
        {
            Console.Error.WriteLine($"soak: --schedules, --steps and --parallel must be at least 1; {Usage}");
            return 2;
        }

        Console.WriteLine($"soak: {count} schedules from seed {from}, {steps} steps each{(deletions ? ", deletions in half" : "")}{(drift ? ", two foreign drifts each, the sweep on" : "")}, {parallel} at once; {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var failures = new ConcurrentBag<ScheduleResult>();
        long done = 0, stepsRun = 0, restarts = 0;
        var clock = Stopwatch.StartNew();
        using var progress = new Timer(_ =>
        {
            var n = Interlocked.Read(ref done);
            Console.WriteLine($"  {n}/{count} schedules, {failures.Count} failed, {n / Math.Max(clock.Elapsed.TotalSeconds, 1):F1}/s");
        }, null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

        // Stopped (Ctrl+C, SIGTERM), the run still prints what it did: a long soak's figure is never lost.
        using var stop = new CancellationTokenSource();
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var stopped = false;
        try
        {
            await RunSchedulesAsync();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            stopped = true;
        }

        async Task RunSchedulesAsync() => await Parallel.ForEachAsync(Enumerable.Range(from, count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = stop.Token }, async (seed, _) =>
        {
            var result = await Schedules.RunAsync(seed, Schedules.Generate(seed, steps, deletions, drift), sweep: drift);
            Interlocked.Add(ref stepsRun, result.Steps);
            Interlocked.Add(ref restarts, result.Restarts);
            Interlocked.Increment(ref done);
            if (!result.Passed)
            {
                failures.Add(result);
                Console.WriteLine($"  seed {seed}: {result.Violations[0]}");
            }
        });

        var elapsed = clock.Elapsed;
        Console.WriteLine();
        var run = (int)Interlocked.Read(ref done);
        Console.WriteLine(stopped
            ? $"schedules   {run} of {count} (stopped early; seeds from {from}, those in flight when stopped not counted)"
            : $"schedules   {count} (seeds {from}..{from + count - 1})");
        Console.WriteLine($"steps       {stepsRun}");
        Console.WriteLine($"crashes     {restarts} (processes restarted)");
        Console.WriteLine($"elapsed     {elapsed:hh\\:mm\\:ss} ({run / elapsed.TotalSeconds:F1} schedules/s)");
        // Every invariant a schedule checks is printed, held or not (I6 is timed by ExpiryOnTimeTests, not per
        // schedule); then any other check the oracle names (convergence, the audit chain).
        var named = new[] { "I1", "I2", "I3", "I4", "I5" };
        foreach (var invariant in named.Concat(failures.SelectMany(f => f.Violations).Select(v => v.Invariant).Distinct().Except(named).Order()))
        {
            var broken = failures.Where(f => f.Violations.Any(v => v.Invariant == invariant)).Select(f => f.Seed).Order().ToList();
            Console.WriteLine($"{invariant,-11} {broken.Count} violations{(broken.Count > 0 ? ": seeds " + string.Join(", ", broken) : "")}");
        }

        if (failures.IsEmpty)
            return stopped ? 3 : 0; // 3: no violation, but not every schedule ran

        var first = failures.MinBy(f => f.Seed)!;
        Console.WriteLine($"first failure, seed {first.Seed}: {first.Violations[0]}");
        if (shrink)
        {
            var shrunk = await Schedules.ShrinkAsync(first.Seed, Schedules.Generate(first.Seed, steps, deletions, drift), first.Violations[0].Invariant, sweep: drift);
            Console.WriteLine($"shrunk to {shrunk.Count} steps: {string.Join(", ", shrunk)}");
        }

        return 1;
    }

    private static bool TryRead(string[] args, ref int i, ref int count, ref int from, ref int steps, ref int parallel, ref bool shrink, ref bool deletions, ref bool drift)
    {
        if (args[i] == "--no-shrink") { shrink = false; return true; }
        if (args[i] == "--deletions") { deletions = true; return true; }
        if (args[i] == "--drift") { drift = true; return true; }
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return false;
        switch (args[i])
        {
            case "--schedules": count = value; break;
            case "--from": from = value; break;
            case "--steps": steps = value; break;
            case "--parallel": parallel = value; break;
            default: return false;
        }

        i++;
        return true;
    }
}
