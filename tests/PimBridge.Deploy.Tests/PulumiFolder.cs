using System.Diagnostics;
using System.Text;

namespace PimBridge.Deploy.Tests;

/// <summary>
/// The Pulumi program's folder (pulumi/) and running its npm scripts. Node.js and npm are prerequisites: without them a
/// test fails, naming the fix, rather than skipping.
/// </summary>
internal static class PulumiFolder
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static string Path() => System.IO.Path.Combine(Testing.RepositoryRoot.Path, "pulumi");

    /// <summary>.CI installs the packages first; a developer's first run installs them here, exactly as locked.</summary>
    public static async Task EnsureInstalledAsync()
    {
        var folder = Path();
        Assert.True(File.Exists(System.IO.Path.Combine(folder, "package-lock.json")), $"{folder} has no package-lock.json.");
        await InstallGate.WaitAsync();
        try
        {
            if (Directory.Exists(System.IO.Path.Combine(folder, "node_modules", "@pulumi", "pulumi")))
                return;
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], InstallTimeout);
            Assert.True(install.ExitCode == 0, $"npm ci in {folder} failed (exit {install.ExitCode}):\n{install.Output}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>Runs a command in pulumi/; standard output and error are returned apart and together.</summary>
    public static async Task<(int ExitCode, string Output, string StandardOutput)> RunAsync(string command, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = Path(),
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
            var stdout = new StringBuilder();
            var lockObject = new object();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lockObject) { output.AppendLine(e.Data); stdout.AppendLine(e.Data); } };
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
                lock (lockObject) return (-1, $"{command} {string.Join(' ', arguments)} did not finish within {timeout}:\n{output}", stdout.ToString());
            }
            process.WaitForExit(); // drains the redirected streams
            lock (lockObject) return (process.ExitCode, output.ToString(), stdout.ToString());
        }
    }
}
