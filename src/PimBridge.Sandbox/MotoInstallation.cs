using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PimBridge.Sandbox;

/// <summary>
/// moto[server] at a pinned version in a private virtual environment in the user's cache folder: what
/// <see cref="MotoServer"/> runs when no moto_server is named by PIMBRIDGE_MOTO_SERVER or found on PATH, so a newcomer
/// needs only Python. It is installed once, with that environment's own pip (never into the system Python, which
/// Debian 12 and Ubuntu 23.04+ refuse), and reused after. A marker written only after a successful install makes a
/// half-finished one be redone; a lock file makes processes that start together (test assemblies run in parallel)
/// install it once. pip reads its own settings from the environment, so PIP_INDEX_URL, PIP_FIND_LINKS and
/// PIP_NO_INDEX point it at a mirror or a folder of wheels.
/// </summary>
public sealed class MotoInstallation
{
    public const string Version = "5.2.1";
    public const string Requirement = $"moto[server]=={Version}";

    /// <summary>The Python that creates the environment, when it is not python3 (python on Windows) from PATH.</summary>
    public const string PythonVariable = "PIMBRIDGE_PYTHON";

    private const string MarkerName = ".pimbridge-installed";
    private const string UseExisting = "Or use a moto you already have: set PIMBRIDGE_MOTO_SERVER to its moto_server executable.";
    private const string PythonFix = "install Python 3.9 or later with its venv module (Debian and Ubuntu: apt-get install python3 python3-venv; others: https://www.python.org/downloads/), or set " + PythonVariable + " to a Python 3.9+ executable";
    private static readonly Version MinimumPython = new(3, 9);
    private static readonly TimeSpan LockPatience = TimeSpan.FromMinutes(15);

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly TextWriter _progress;

    /// <param name="environment">The variables this reads (PATH, the cache folder, PIMBRIDGE_PYTHON) and the only ones Python and pip get.</param>
    /// <param name="progress">Where the line saying an install is under way goes (standard error, for the sandbox and the tests).</param>
    public MotoInstallation(IReadOnlyDictionary<string, string> environment, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(progress);
        _environment = environment;
        _progress = progress;
        Folder = Path.Combine(CacheFolder(environment), "pimbridge", $"moto-{Version}");
    }

    /// <summary>
    /// The virtual environment: <c>$XDG_CACHE_HOME/pimbridge/moto-5.2.1</c> (<c>~/.cache/...</c> when that is not set),
    /// <c>%LOCALAPPDATA%\pimbridge\moto-5.2.1</c> on Windows.
    /// </summary>
    public string Folder { get; }

    /// <summary>Where the environment's moto_server is once installed.</summary>
    public string MotoServerPath => Path.Combine(Folder, ScriptsFolder, OperatingSystem.IsWindows() ? "moto_server.exe" : "moto_server");

    public bool IsInstalled => File.Exists(MarkerPath) && File.Exists(MotoServerPath);

    private static string ScriptsFolder => OperatingSystem.IsWindows() ? "Scripts" : "bin";

    private string MarkerPath => Path.Combine(Folder, MarkerName);

    private string EnvironmentPython => Path.Combine(Folder, ScriptsFolder, OperatingSystem.IsWindows() ? "python.exe" : "python");

    /// <summary>The moto_server executable, installed first if it is not yet.</summary>
    /// <exception cref="InvalidOperationException">Python, its venv module or the package index is unavailable; the message says which, and the fix.</exception>
    public async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken = default)
    {
        if (IsInstalled) return MotoServerPath;
        // Python is checked before anything is written, so a machine without it is left as it was.
        var python = FindPython();
        await CheckPythonAsync(python, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(Folder)!);
        using (await HoldLockAsync(cancellationToken).ConfigureAwait(false))
        {
            // Another process may have installed it while this one waited for the lock.
            if (!IsInstalled) await InstallAsync(python, cancellationToken).ConfigureAwait(false);
        }

        return MotoServerPath;
    }

    /// <summary>The first file called <paramref name="name"/> (<c>name.exe</c> on Windows) in the environment's PATH.</summary>
    public static string? FindOnPath(IReadOnlyDictionary<string, string> environment, string name)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var file = OperatingSystem.IsWindows() ? name + ".exe" : name;
        return (Variable(environment, "PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, file))
            .FirstOrDefault(File.Exists);
    }

    private async Task InstallAsync(string python, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        await _progress.WriteLineAsync($"PimBridge: installing {Requirement} into {Folder} (once) ...").ConfigureAwait(false);
        await _progress.FlushAsync(cancellationToken).ConfigureAwait(false);
        // Without the marker, whatever is there is a half-finished install (interrupted, or a failed pip): start afresh.
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);

        var venv = await RunAsync(python, ["-m", "venv", Folder], cancellationToken).ConfigureAwait(false);
        if (venv.ExitCode != 0 || !File.Exists(EnvironmentPython))
            throw Failure(
                $"Python's venv module could not create a virtual environment in {Folder} ({python} -m venv exited with {venv.ExitCode}: {venv.Tail})",
                "install the venv module (Debian and Ubuntu: apt-get install python3-venv), or set " + PythonVariable + " to a Python 3.9+ that has it");

        var pip = await RunAsync(EnvironmentPython, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", Requirement], cancellationToken).ConfigureAwait(false);
        if (pip.ExitCode != 0)
            throw Failure(
                $"pip could not install {Requirement} from the package index into {Folder} (pip exited with {pip.ExitCode}: {pip.Tail})",
                "let this machine reach the package index (https://pypi.org/simple), or point pip at a mirror with PIP_INDEX_URL, or at a folder of wheels with PIP_NO_INDEX=1 and PIP_FIND_LINKS=<folder> (pip reads these from the environment)");
        if (!File.Exists(MotoServerPath))
            throw Failure($"pip installed {Requirement} into {Folder} but {MotoServerPath} is not there", $"delete {Folder} and run again");

        await File.WriteAllTextAsync(MarkerPath, Requirement + "\n", cancellationToken).ConfigureAwait(false);
        await _progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"PimBridge: {Requirement} installed in {started.Elapsed.TotalSeconds:0} s.")).ConfigureAwait(false);
    }

    private string FindPython()
    {
        if (Variable(_environment, PythonVariable) is { } configured)
            return File.Exists(configured)
                ? configured
                : throw Failure($"Python is missing: {PythonVariable} is set to '{configured}', which does not exist", PythonFix);
        var name = OperatingSystem.IsWindows() ? "python" : "python3";
        return FindOnPath(_environment, name) ?? throw Failure($"Python is missing: {name} is not on PATH", PythonFix);
    }

    private async Task CheckPythonAsync(string python, CancellationToken cancellationToken)
    {
        var version = await RunAsync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], cancellationToken).ConfigureAwait(false);
        if (version.ExitCode != 0 || !System.Version.TryParse(version.Output.Trim(), out var found))
            throw Failure($"Python is missing: {python} did not run as Python (exit {version.ExitCode}: {version.Tail})", PythonFix);
        if (found < MinimumPython)
            throw Failure($"Python {found} at {python} is too old: moto {Version} needs Python {MinimumPython} or later", PythonFix);
    }

    private async Task<ProcessRun> RunAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (key, value) in _environment) start.Environment[key] = value;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        DataReceivedEventHandler capture = (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.OutputDataReceived += capture;
        process.ErrorDataReceived += capture;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessRun(-1, e.Message);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stop the pip or venv this started; without the marker, the next run starts afresh.
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { /* already gone */ }
            throw;
        }

        lock (output) return new ProcessRun(process.ExitCode, output.ToString());
    }

    private static InvalidOperationException Failure(string problem, string fix) =>
        new($"moto_server was not found (PIMBRIDGE_MOTO_SERVER is not set and none is on PATH), and PimBridge could not install {Requirement} for you. {problem}. Fix: {fix}. {UseExisting}");

    private async Task<FileStream> HoldLockAsync(CancellationToken cancellationToken)
    {
        var path = Folder + ".lock";
        var waited = Stopwatch.StartNew();
        var told = false;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock (flock on Unix), released when the process ends however it ends.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockPatience)
            {
                if (!told)
                {
                    await _progress.WriteLineAsync($"PimBridge: waiting for another process installing {Requirement} into {Folder} ...").ConfigureAwait(false);
                    told = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"Another process has held {path} for {LockPatience.TotalMinutes:0} minutes while installing {Requirement}; if none is running, delete {Folder} and run again. {UseExisting}", e);
            }
        }
    }

    private static string CacheFolder(IReadOnlyDictionary<string, string> environment)
    {
        if (OperatingSystem.IsWindows())
            return Variable(environment, "LOCALAPPDATA") ?? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (Variable(environment, "XDG_CACHE_HOME") is { } xdg && Path.IsPathRooted(xdg))
            return xdg;
        var home = Variable(environment, "HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? Path.GetTempPath() : Path.Combine(home, ".cache");
    }

    private static string? Variable(IReadOnlyDictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private sealed record ProcessRun(int ExitCode, string Output)
    {
        /// <summary>The last lines, where pip and venv say what went wrong.</summary>
        public string Tail => string.Join(" | ", Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(8));
    }
}
