using BenchmarkDotNet.Running;

namespace PimBridge.Benchmarks;

/// <summary>
/// The entry point. <c>latency [--grants N] [--rps R] [--groups G] [--warmup W]</c> measures hint-to-confirmed-access
/// times against moto_server (not BenchmarkDotNet: a distribution of a real workflow); <c>trails [--size-mb N] ...</c>
/// generates a realistic organisation trail and compares the CloudTrail scanner with the Python baseline
/// (<c>trails-scan</c> is its child process); <c>soak [--schedules N]</c> runs seeded safety schedules against the
/// adversarial Identity Center (docs/verification.md); <c>burst [--aws model|moto] [--shape S] [--activations N] [--expiry] ...</c>
/// measures many simultaneous activations (and their expiry) against the adversarial model at AWS's documented quotas or
/// against moto (docs/performance.md); <c>graphpoll [--groups 10,100] [--runs R] [--no-delta] ...</c> counts the Graph
/// calls per minute of the host's poll against the Graph stub (docs/graph-poll.md); anything else goes to
/// BenchmarkDotNet (<c>--filter '*'</c> and so on). Not top-level statements: those would declare a global
/// <c>Program</c>, hiding the host's, which WebApplicationFactory starts.
/// </summary>
public static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "latency")
            return await GrantLatency.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "trails")
            return await Trails.TrailBenchmark.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "burst")
            return await Burst.BurstRun.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "graphpoll")
            return await GraphPoll.GraphPollRun.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "soak")
            return await Soak.SoakRun.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "trails-scan")
            return await Trails.TrailScanner.RunAsync(args[1..]);

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
        return 0;
    }
}
