namespace PimBridge.Cli;

/// <summary>The pimbridge commands (being written).</summary>
public static class PimBridgeCommandLine
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(args.Length == 0 ? 0 : 2);
}
