using System.Diagnostics;
using PimBridge.Testing;

namespace PimBridge.Cli.Tests;

/// <summary>
/// The README's first command on a machine with no moto: <c>pimbridge sandbox</c> runs as its own process with moto
/// hidden from PATH, PIMBRIDGE_MOTO_SERVER unset and an empty cache folder, installs moto into a private virtual
/// environment, starts it and passes. pip's package index is a local folder (PIP_NO_INDEX, PIP_FIND_LINKS) holding a
/// stand-in moto wheel whose moto_server becomes this machine's real moto_server, so bootstrap → start → answers is
/// proven without a network; that pip fetches the real moto from the real index is the one step not run here.
/// </summary>
public sealed class SandboxWithoutMotoTests
{
    [Fact]
    public async Task On_a_machine_without_moto_the_sandbox_installs_it_once_into_the_cache_folder_and_passes()
    {
        using var machine = new MachineWithoutMoto();
        var realMoto = await MotoServer.LocateAsync(MotoServer.ThisProcessEnvironment(), TextWriter.Null);
        StandInMotoWheel.Write(machine.Wheels, StandInMotoWheel.Delegating(realMoto));
        var installation = new MotoInstallation(machine.Environment, TextWriter.Null);
        Assert.Null(MotoInstallation.FindOnPath(machine.Environment, "moto_server"));
        Assert.False(installation.IsInstalled);

        var (exitCode, output, error) = await RunPimBridgeAsync(machine.Environment, "sandbox");

        var run = $"exit {exitCode}\n--- stdout\n{output}\n--- stderr\n{error}";
        Assert.True(exitCode == ExitCodes.Success, run);
        Assert.Contains($"PimBridge: installing moto[server]==5.2.1 into {installation.Folder} (once) ...", error, StringComparison.Ordinal);
        Assert.Contains("Passed: 12 of 12 expected outcomes observed", output, StringComparison.Ordinal);
        Assert.True(installation.IsInstalled, run);
    }

    /// <summary>The built pimbridge (beside this assembly) as its own process, with only <paramref name="environment"/>.</summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunPimBridgeAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var dotnet = MotoInstallation.FindOnPath(environment, "dotnet")
            ?? throw new InvalidOperationException("dotnet is not on PATH once moto is hidden from it; this test runs pimbridge with it.");
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pimbridge.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (key, value) in environment) start.Environment[key] = value;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pimbridge {string.Join(' ', arguments)} did not end within 3 minutes.\n--- stderr\n{await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}
