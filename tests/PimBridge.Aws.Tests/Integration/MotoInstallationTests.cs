using System.Diagnostics;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>
/// Where moto_server comes from on a machine without one: <see cref="MotoServer.LocateAsync"/> installs the pinned
/// moto[server] once into a private virtual environment in the user's cache folder and reuses it, or fails naming
/// which of Python, venv or the package index is missing, the fix, and PIMBRIDGE_MOTO_SERVER. The package index is a
/// local folder holding a stand-in wheel (pip's PIP_NO_INDEX and PIP_FIND_LINKS), so no network is needed.
/// </summary>
public sealed class MotoInstallationTests : IDisposable
{
    private readonly MachineWithoutMoto _machine = new();

    public void Dispose() => _machine.Dispose();

    private string InstallingLine => $"PimBridge: installing moto[server]==5.2.1 into {Path.Combine(_machine.Cache, "pimbridge", "moto-5.2.1")} (once) ...";

    [Fact]
    public async Task Without_moto_it_installs_the_pinned_moto_once_in_the_cache_folder_and_later_runs_reuse_it()
    {
        StandInMotoWheel.Write(_machine.Wheels, StandInMotoWheel.Echo);
        using var first = new StringWriter();
        using var second = new StringWriter();

        // Two at once, as parallel test assemblies start: one installs, the other waits for it.
        var located = await Task.WhenAll(
            MotoServer.LocateAsync(_machine.Environment, first),
            MotoServer.LocateAsync(_machine.Environment, second));

        var installation = new MotoInstallation(_machine.Environment, TextWriter.Null);
        Assert.Equal(Path.Combine(_machine.Cache, "pimbridge", "moto-5.2.1", "bin", "moto_server"), installation.MotoServerPath);
        Assert.All(located, path => Assert.Equal(installation.MotoServerPath, path));
        Assert.True(installation.IsInstalled);
        var progress = first + "\n" + second;
        Assert.Equal(1, Occurrences(progress, InstallingLine));
        Assert.Contains("PimBridge: moto[server]==5.2.1 installed in", progress, StringComparison.Ordinal);
        Assert.Equal("stand-in moto_server -H 127.0.0.1", (await RunAsync(installation.MotoServerPath, "-H", "127.0.0.1")).Trim());

        var installedAt = Directory.GetLastWriteTimeUtc(installation.Folder);
        using var later = new StringWriter();
        Assert.Equal(installation.MotoServerPath, await MotoServer.LocateAsync(_machine.Environment, later));
        Assert.Equal("", later.ToString());
        Assert.Equal(installedAt, Directory.GetLastWriteTimeUtc(installation.Folder));
    }

    [Fact]
    public async Task A_moto_server_named_by_PIMBRIDGE_MOTO_SERVER_or_found_on_PATH_is_used_and_nothing_is_installed()
    {
        var onPath = Directory.CreateDirectory(Path.Combine(_machine.Root, "on-path")).FullName;
        await File.WriteAllTextAsync(Path.Combine(onPath, "moto_server"), "");
        var named = Path.Combine(_machine.Root, "named-moto-server");
        await File.WriteAllTextAsync(named, "");
        _machine.Environment["PATH"] = onPath + Path.PathSeparator + _machine.Environment["PATH"];
        using var progress = new StringWriter();

        Assert.Equal(Path.Combine(onPath, "moto_server"), await MotoServer.LocateAsync(_machine.Environment, progress));
        _machine.Environment["PIMBRIDGE_MOTO_SERVER"] = named;
        Assert.Equal(named, await MotoServer.LocateAsync(_machine.Environment, progress));

        Assert.Equal("", progress.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_machine.Cache));
    }

    [Fact]
    public async Task Without_Python_it_fails_saying_Python_is_missing_the_fix_and_how_to_use_an_existing_moto()
    {
        _machine.Environment[MotoInstallation.PythonVariable] = Path.Combine(_machine.Root, "no-such-python");
        var named = await Assert.ThrowsAsync<InvalidOperationException>(() => MotoServer.LocateAsync(_machine.Environment, TextWriter.Null));

        _machine.Environment.Remove(MotoInstallation.PythonVariable);
        _machine.Environment["PATH"] = Directory.CreateDirectory(Path.Combine(_machine.Root, "empty-path")).FullName;
        var notOnPath = await Assert.ThrowsAsync<InvalidOperationException>(() => MotoServer.LocateAsync(_machine.Environment, TextWriter.Null));

        Assert.Contains($"Python is missing: PIMBRIDGE_PYTHON is set to '{Path.Combine(_machine.Root, "no-such-python")}', which does not exist.", named.Message, StringComparison.Ordinal);
        Assert.Contains("Python is missing: python3 is not on PATH.", notOnPath.Message, StringComparison.Ordinal);
        foreach (var message in new[] { named.Message, notOnPath.Message })
        {
            Assert.Contains("Fix: install Python 3.9 or later with its venv module (Debian and Ubuntu: apt-get install python3 python3-venv", message, StringComparison.Ordinal);
            Assert.Contains("set PIMBRIDGE_MOTO_SERVER to its moto_server executable", message, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_machine.Cache));
    }

    [Fact]
    public async Task Without_venv_it_fails_saying_venv_is_missing_with_what_Python_said_and_the_fix()
    {
        // Debian's python3 without python3-venv: it runs, but -m venv creates a bare folder, then fails on ensurepip.
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The python3 standing in for Debian's is a shell script.");
        var python = Path.Combine(_machine.Root, "python3-without-venv");
        await File.WriteAllTextAsync(python, """
            #!/bin/sh
            if [ "$1" = "-c" ]; then echo 3.11; exit 0; fi
            mkdir -p "$3/bin"
            echo "The virtual environment was not created successfully because ensurepip is not" >&2
            echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv" >&2
            echo "package using the following command." >&2
            echo "" >&2
            echo "    apt install python3.11-venv" >&2
            exit 1
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(python, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _machine.Environment[MotoInstallation.PythonVariable] = python;
        var installation = new MotoInstallation(_machine.Environment, TextWriter.Null);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => MotoServer.LocateAsync(_machine.Environment, TextWriter.Null));

        Assert.Contains($"Python's venv module could not create a virtual environment in {installation.Folder} ({python} -m venv exited with 1: The virtual environment was not created successfully because ensurepip is not", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: install the venv module (Debian and Ubuntu: apt-get install python3-venv)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("set PIMBRIDGE_MOTO_SERVER to its moto_server executable", failure.Message, StringComparison.Ordinal);
        Assert.False(installation.IsInstalled);
    }

    [Fact]
    public async Task Without_the_package_index_it_fails_naming_the_index_and_pips_settings_and_the_half_finished_install_is_redone_later()
    {
        // PIP_NO_INDEX with an empty PIP_FIND_LINKS folder: pip finds no moto anywhere, as when the index is unreachable.
        var installation = new MotoInstallation(_machine.Environment, TextWriter.Null);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => MotoServer.LocateAsync(_machine.Environment, TextWriter.Null));

        Assert.Contains($"pip could not install moto[server]==5.2.1 from the package index into {installation.Folder} (pip exited with 1:", failure.Message, StringComparison.Ordinal);
        Assert.Contains("No matching distribution found for moto", failure.Message, StringComparison.Ordinal);
        Assert.Contains("point pip at a mirror with PIP_INDEX_URL, or at a folder of wheels with PIP_NO_INDEX=1 and PIP_FIND_LINKS=<folder>", failure.Message, StringComparison.Ordinal);
        Assert.Contains("set PIMBRIDGE_MOTO_SERVER to its moto_server executable", failure.Message, StringComparison.Ordinal);
        Assert.False(installation.IsInstalled);

        // What is left is half-finished: the environment, and here even an executable, as an interrupted pip leaves
        // it, but no marker. The next run, with the index back, installs afresh.
        await File.WriteAllTextAsync(installation.MotoServerPath, "#!/bin/sh\necho half-finished\n");
        Assert.False(installation.IsInstalled);
        StandInMotoWheel.Write(_machine.Wheels, StandInMotoWheel.Echo);
        using var progress = new StringWriter();
        var located = await MotoServer.LocateAsync(_machine.Environment, progress);

        Assert.Equal(installation.MotoServerPath, located);
        Assert.Contains(InstallingLine, progress.ToString(), StringComparison.Ordinal);
        Assert.True(installation.IsInstalled);
        Assert.StartsWith("stand-in moto_server", await RunAsync(located, "-p", "1"), StringComparison.Ordinal);
    }

    private static int Occurrences(string text, string line) => text.Split('\n').Count(l => l.TrimEnd('\r') == line);

    private async Task<string> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (key, value) in _machine.Environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"{file} exited with {process.ExitCode}: {await error}");
        return await output;
    }
}
