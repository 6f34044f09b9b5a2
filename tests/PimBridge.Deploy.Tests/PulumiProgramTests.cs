using System.Diagnostics;
using System.Text;

namespace PimBridge.Deploy.Tests;

/// <summary>
/// The Pulumi program (pulumi/) is TypeScript and proven by its own mock-based tests; this runs them from
/// <c>dotnet test</c> so the README's one test command covers the deployment too. Node.js and npm are prerequisites:
/// without them the test fails, naming the fix, rather than skipping.
/// </summary>
public sealed class PulumiProgramTests
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Npm_test_passes_in_the_pulumi_folder()
    {
        var pulumiDir = Path.Combine(RepositoryRoot(), "pulumi");
        Assert.True(File.Exists(Path.Combine(pulumiDir, "package-lock.json")), $"{pulumiDir} has no package-lock.json.");

        // .ci/run installs the packages first; a developer's first run installs them here, exactly as locked.
        if (!Directory.Exists(Path.Combine(pulumiDir, "node_modules", "@pulumi", "pulumi")))
        {
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], pulumiDir, InstallTimeout);
            Assert.True(install.ExitCode == 0, $"npm ci in {pulumiDir} failed (exit {install.ExitCode}):\n{install.Output}");
        }

        var test = await RunAsync("npm", ["test"], pulumiDir, TestTimeout);
        Assert.True(test.ExitCode == 0, $"npm test in {pulumiDir} failed (exit {test.ExitCode}):\n{test.Output}");
        // node:test's summary; guards against a script that exits 0 having run nothing.
        Assert.Matches(@"# pass [1-9]\d*", test.Output);
        Assert.Contains("# fail 0", test.Output);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PimBridge.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"PimBridge.sln was not found above {AppContext.BaseDirectory}: run the tests from the repository.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, string[] arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["npm_config_update_notifier"] = "false";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{command}' could not be started ({e.Message}). The Pulumi program's tests need Node.js 20+ and npm on PATH: install them (https://nodejs.org) and re-run.", e);
        }

        using (process)
        {
            var output = new StringBuilder();
            var lockObject = new object();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lockObject) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lockObject) output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                lock (lockObject) return (-1, $"{command} {string.Join(' ', arguments)} did not finish within {timeout}:\n{output}");
            }
            process.WaitForExit(); // drains the redirected streams
            lock (lockObject) return (process.ExitCode, output.ToString());
        }
    }
}
