using PimBridge.Sandbox;

namespace PimBridge.Testing;

/// <summary>
/// This machine's environment as a newcomer's would be: no moto_server on PATH, PIMBRIDGE_MOTO_SERVER unset, an empty
/// cache folder, and pip pointed at a local folder of wheels with no package index. Built as a variable set for the
/// child processes, never applied to this process, so tests running beside it still see the real moto.
/// </summary>
public sealed class MachineWithoutMoto : IDisposable
{
    public MachineWithoutMoto()
    {
        Root = Directory.CreateTempSubdirectory("pimbridge-no-moto-").FullName;
        Cache = Directory.CreateDirectory(Path.Combine(Root, "cache")).FullName;
        Wheels = Directory.CreateDirectory(Path.Combine(Root, "wheels")).FullName;

        var real = MotoServer.ThisProcessEnvironment();
        var variables = new Dictionary<string, string>(real, OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        variables.Remove("PIMBRIDGE_MOTO_SERVER");
        variables["PATH"] = string.Join(Path.PathSeparator, (real.GetValueOrDefault("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(dir => MotoInstallation.FindOnPath(new Dictionary<string, string> { ["PATH"] = dir }, "moto_server") is null));
        // Where Python sits beside moto_server (pyenv's shims), hiding moto hides Python too: name it, as a user may.
        var python = OperatingSystem.IsWindows() ? "python" : "python3";
        if (MotoInstallation.FindOnPath(variables, python) is null && MotoInstallation.FindOnPath(real, python) is { } realPython)
            variables[MotoInstallation.PythonVariable] = realPython;
        variables["XDG_CACHE_HOME"] = Cache;
        variables["LOCALAPPDATA"] = Cache;
        variables["PIP_NO_INDEX"] = "1";
        variables["PIP_FIND_LINKS"] = Wheels;
        Environment = variables;
    }

    public string Root { get; }

    /// <summary>The user's cache folder, where the private install goes.</summary>
    public string Cache { get; }

    /// <summary>The only place pip looks for packages.</summary>
    public string Wheels { get; }

    /// <summary>The variables for the child processes; a test may change them for its own runs.</summary>
    public Dictionary<string, string> Environment { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
