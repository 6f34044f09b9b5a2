using BenchmarkDotNet.Running;

namespace PimBridge.Benchmarks;

/// <summary>
/// The entry point. <c>latency [--grants N] [--rps R] [--groups G] [--warmup W]</c> measures hint-to-confirmed-access
/// times against moto_server (not BenchmarkDotNet: a distribution of a real workflow); anything else goes to
/// BenchmarkDotNet (<c>--filter '*'</c> and so on). Not top-level statements: those would declare a global
/// <c>Program</c>, hiding the host's, which WebApplicationFactory starts.
/// </summary>
public static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "latency")
            return await GrantLatency.RunAsync(args[1..]);

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
        return 0;
    }
}
