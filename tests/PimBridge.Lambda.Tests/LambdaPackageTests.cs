using System.Diagnostics;
using System.IO.Compression;

namespace PimBridge.Lambda.Tests;

/// <summary>build-lambda.sh end to end: a real self-contained linux-x64 publish, zipped (slow: about a minute).</summary>
public sealed class LambdaPackageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-lambda-package-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "PimBridge.sln")))
                return folder.FullName;
        throw new InvalidOperationException($"No PimBridge.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }

    private static (int ExitCode, string Output) Run(string file, string arguments, IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish in 8 minutes.");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void The_build_script_zips_a_self_contained_package_whose_executable_bootstrap_refuses_to_run_outside_Lambda()
    {
        var zipPath = Path.Combine(_folder, "pimbridge-watcher.zip");
        var (exitCode, output) = Run("bash", $"\"{Path.Combine(RepositoryRoot(), "src", "PimBridge.Lambda", "build-lambda.sh")}\" \"{zipPath}\"",
            new Dictionary<string, string?> { ["PIMBRIDGE_LAMBDA_ARTIFACTS_PATH"] = Path.Combine(_folder, "build") });
        Assert.True(exitCode == 0, $"build-lambda.sh failed ({exitCode}):\n{output}");

        using (var zip = ZipFile.OpenRead(zipPath))
        {
            var names = zip.Entries.Select(e => e.FullName).ToHashSet();
            // At the root: Lambda runs /var/task/bootstrap; self-contained: the runtime itself is in the package.
            Assert.Contains("bootstrap", names);
            Assert.Contains("bootstrap.dll", names);
            Assert.Contains("libhostfxr.so", names);
            Assert.Contains("libcoreclr.so", names);
            Assert.Contains("PimBridge.Composition.dll", names);
            Assert.Contains("PimBridge.Store.DynamoDb.dll", names);
            // Only what the watcher runs: no web host, no Graph (it never reads PIM), no SQLite (its state is in DynamoDB).
            string[] absent = ["PimBridge.Host", "PimBridge.Entra", "PimBridge.Store.Sqlite", "Microsoft.Graph", "Microsoft.Kiota", "Microsoft.AspNetCore", "Microsoft.Data.Sqlite", "SQLitePCLRaw", "libe_sqlite3"];
            var unwanted = names.Where(name => absent.Any(prefix => Path.GetFileName(name).StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).ToList();
            Assert.True(unwanted.Count == 0, $"the package holds what the watcher never runs: {string.Join(", ", unwanted)}");
            // Well under Lambda's 250 MB limit for a function's code, unzipped: what the watcher needs is about 60 MB at most.
            var unzipped = zip.Entries.Sum(e => e.Length);
            Assert.True(unzipped <= 60L * 1024 * 1024, $"the package unzips to {unzipped} bytes, over 60 MB");
            var mode = (UnixFileMode)((zip.GetEntry("bootstrap")!.ExternalAttributes >> 16) & 0xFFF);
            Assert.True(mode.HasFlag(UnixFileMode.UserExecute | UnixFileMode.OtherExecute), $"bootstrap's mode in the zip is {mode}");
        }

        var extracted = Path.Combine(_folder, "task");
        ZipFile.ExtractToDirectory(zipPath, extracted);
        var (bootstrapExit, bootstrapOutput) = Run(Path.Combine(extracted, "bootstrap"), "",
            new Dictionary<string, string?> { ["AWS_LAMBDA_RUNTIME_API"] = null, ["DOTNET_ROOT"] = null });
        Assert.Equal(2, bootstrapExit);
        Assert.Contains("must run in Lambda", bootstrapOutput);
    }
}
