namespace PimBridge.Cli;

public static class Program
{
    public static Task<int> Main(string[] args) => PimBridgeCommandLine.RunAsync(args);
}
