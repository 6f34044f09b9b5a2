namespace PimBridge.Deploy.Tests;

/// <summary>
/// The Pulumi program (pulumi/) is TypeScript and proven by its own mock-based tests; this runs them from
/// <c>dotnet test</c> so the README's one test command covers the deployment too.
/// </summary>
public sealed class PulumiProgramTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Npm_test_passes_in_the_pulumi_folder()
    {
        await PulumiFolder.EnsureInstalledAsync();

        var test = await PulumiFolder.RunAsync("npm", ["test"], TestTimeout);

        Assert.True(test.ExitCode == 0, $"npm test in {PulumiFolder.Path()} failed (exit {test.ExitCode}):\n{test.Output}");
        // node:test's summary; guards against a script that exits 0 having run nothing.
        Assert.Matches(@"# pass [1-9]\d*", test.Output);
        Assert.Contains("# fail 0", test.Output);
    }
}
