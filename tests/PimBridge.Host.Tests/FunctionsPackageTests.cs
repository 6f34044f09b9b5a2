using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using PimBridge.Host;

namespace PimBridge.Host.Tests;

/// <summary>
/// Runs publish-functions.sh once for real (a self-contained linux-x64 publish, about a minute) into a temporary folder
/// the tests below share. Its bin/obj go to a private artifacts path, so the linux-x64 restore never races a build of
/// the working tree.
/// </summary>
public sealed class FunctionsPackageFixture : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-functions-package-").FullName;

    public FunctionsPackageFixture()
    {
        RepositoryRoot = FindRepositoryRoot();
        Package = Path.Combine(_folder, "package");
        var script = Path.Combine(RepositoryRoot, "src", "PimBridge.Host", "publish-functions.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(Package);
        start.Environment["PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH"] = Path.Combine(_folder, "build");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            ScriptExitCode = -1;
            ScriptOutput = $"publish-functions.sh did not finish in 8 minutes.\n{stdout.Result}{stderr.Result}";
            return;
        }

        ScriptExitCode = process.ExitCode;
        ScriptOutput = stdout.Result + stderr.Result;
    }

    public string RepositoryRoot { get; }

    /// <summary>The deployable folder the script wrote.</summary>
    public string Package { get; }

    public int ScriptExitCode { get; }

    public string ScriptOutput { get; }

    /// <summary>The package folder, once the script is known to have succeeded.</summary>
    public string Published()
    {
        Assert.True(ScriptExitCode == 0, $"publish-functions.sh failed ({ScriptExitCode}):\n{ScriptOutput}");
        return Package;
    }

    public string SourceFunctions => Path.Combine(RepositoryRoot, "src", "PimBridge.Host", "functions");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "PimBridge.sln")))
                return folder.FullName;
        throw new InvalidOperationException($"No PimBridge.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}

/// <summary>
/// The Azure Functions package publish-functions.sh builds: the custom-handler layout the Functions host expects, and
/// the published executable started the way that host starts it. Linux only, like the package (linux-x64, Unix modes).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FunctionsPackageTests(FunctionsPackageFixture fixture) : IClassFixture<FunctionsPackageFixture>
{
    private static readonly PimBridgeHostOptions.FunctionsOptions HandlerDefaults = new();

    private static JsonObject ReadJson(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        return Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(path)));
    }

    [Fact]
    public void The_package_has_host_json_one_folder_per_function_and_the_self_contained_handler_at_its_root()
    {
        var package = fixture.Published();

        // host.json: what the source says, and a custom handler the Functions host can start from the folder's root.
        var sourceHost = ReadJson(Path.Combine(fixture.SourceFunctions, "host.json"));
        var host = ReadJson(Path.Combine(package, "host.json"));
        Assert.True(JsonNode.DeepEquals(sourceHost, host), $"the package's host.json differs from the source:\n{host}");
        Assert.Equal("2.0", host["version"]?.GetValue<string>());
        var handler = Assert.IsType<JsonObject>(host["customHandler"]);
        Assert.Equal(sourceHost["customHandler"]!["enableForwardingHttpRequest"]!.GetValue<bool>(), handler["enableForwardingHttpRequest"]?.GetValue<bool>());
        var executableName = handler["description"]?["defaultExecutablePath"]?.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(executableName), "host.json names no customHandler.description.defaultExecutablePath");
        var executable = Path.Combine(package, executableName);
        Assert.True(File.Exists(executable), $"host.json's defaultExecutablePath {executableName} is not in the package's root");
        var mode = File.GetUnixFileMode(executable);
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute), $"{executableName}'s mode is {mode}");

        // Exactly the source's functions, each in its own folder, named as the handler routes them.
        var sourceNames = Directory.GetDirectories(fixture.SourceFunctions).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["GraphEvents", "Reconcile", "RenewSubscriptions"], sourceNames);
        Assert.Equal(
            new[] { HandlerDefaults.EventGridFunction, HandlerDefaults.ReconcileFunction, HandlerDefaults.SubscriptionsFunction }.Order(StringComparer.Ordinal),
            sourceNames);
        var packagedNames = Directory.GetDirectories(package)
            .Where(d => File.Exists(Path.Combine(d, "function.json"))).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(sourceNames, packagedNames);
        Assert.False(File.Exists(Path.Combine(package, "function.json")), "a function.json at the root would make the root itself a function");

        var bindings = new Dictionary<string, JsonObject>();
        foreach (var name in sourceNames)
        {
            var source = ReadJson(Path.Combine(fixture.SourceFunctions, name, "function.json"));
            var packaged = ReadJson(Path.Combine(package, name, "function.json"));
            Assert.True(JsonNode.DeepEquals(source, packaged), $"{name}/function.json differs from the source:\n{packaged}");
            bindings[name] = Assert.IsType<JsonObject>(Assert.Single(Assert.IsType<JsonArray>(packaged["bindings"])));
        }

        // The triggers the handler is written for: an Event Grid event under the binding name it reads, and two timers.
        var graphEvents = bindings["GraphEvents"];
        Assert.Equal("eventGridTrigger", graphEvents["type"]?.GetValue<string>());
        Assert.Equal(HandlerDefaults.EventGridBinding, graphEvents["name"]?.GetValue<string>());
        Assert.Equal("in", graphEvents["direction"]?.GetValue<string>());
        Assert.Equal("timerTrigger", bindings["Reconcile"]["type"]?.GetValue<string>());
        Assert.Equal("0 */1 * * * *", bindings["Reconcile"]["schedule"]?.GetValue<string>());
        Assert.Equal("timerTrigger", bindings["RenewSubscriptions"]["type"]?.GetValue<string>());
        Assert.Equal("0 30 3 * * *", bindings["RenewSubscriptions"]["schedule"]?.GetValue<string>());

        // Self-contained: the runtime itself is in the package (the Functions image has no .NET 10 to lean on).
        foreach (var file in new[] { "libhostfxr.so", "libcoreclr.so", "PimBridge.Host.dll", "PimBridge.Store.DynamoDb.dll", "PimBridge.Entra.dll" })
            Assert.True(File.Exists(Path.Combine(package, file)), $"{file} is missing from the package");
        var runtimeConfig = ReadJson(Path.Combine(package, "PimBridge.Host.runtimeconfig.json"));
        Assert.NotNull(runtimeConfig["runtimeOptions"]?["includedFrameworks"]);
    }

    [Fact]
    public void The_zip_beside_the_folder_holds_the_same_files_with_the_handler_still_executable()
    {
        var package = fixture.Published();
        var zipPath = package + ".zip";
        Assert.True(File.Exists(zipPath), $"publish-functions.sh wrote no {zipPath}");
        var executableName = ReadJson(Path.Combine(package, "host.json"))["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>();

        using var zip = System.IO.Compression.ZipFile.OpenRead(zipPath);
        var files = Directory.GetFiles(package, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(package, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal);
        Assert.Equal(files, zip.Entries.Where(e => !e.FullName.EndsWith('/')).Select(e => e.FullName).Order(StringComparer.Ordinal));
        // Run from the package, the Functions host executes the handler straight from the zip's files: a zip without
        // modes (as deployment tools write one) would leave it "Permission denied".
        var mode = (UnixFileMode)((zip.GetEntry(executableName)!.ExternalAttributes >> 16) & 0xFFF);
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute | UnixFileMode.OtherExecute), $"{executableName}'s mode in the zip is {mode}");
        Assert.Null(zip.GetEntry("pimbridge.json")); // no stack settings in the package: they come as PIMBRIDGE_CONFIG_JSON
    }

    [Fact]
    public async Task The_published_handler_started_like_the_Functions_host_answers_health_and_says_what_is_missing()
    {
        var package = fixture.Published();
        var executableName = ReadJson(Path.Combine(package, "host.json"))["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>();
        var port = FreeLoopbackPort();

        // As the Functions host starts it: from the folder's root (workingDirectory ""), with the port it must listen on.
        // No pimbridge.json is deployed, no DOTNET_ROOT and no ASP.NET Core URLs are inherited.
        var start = new ProcessStartInfo(Path.Combine(package, executableName))
        {
            WorkingDirectory = package, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var name in start.Environment.Keys.ToArray())
            if (name.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("PIMBRIDGE", StringComparison.OrdinalIgnoreCase) || name.StartsWith("FUNCTIONS_", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(name);
        start.Environment[PimBridgeHost.FunctionsPortVariable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "Custom";

        var output = new StringBuilder();
        void Collect(object? _, DataReceivedEventArgs line)
        {
            if (line.Data is null) return;
            lock (output) output.AppendLine(line.Data);
        }

        string Output()
        {
            lock (output) return output.ToString();
        }

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        Assert.True(process.Start(), $"{executableName} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var health = await WaitForHealthAsync(http, process, TimeSpan.FromSeconds(30));
            Assert.True(health is not null, $"{executableName} did not answer /healthz on port {port} within 30 s (exited: {process.HasExited}):\n{Output()}");
            Assert.Equal(HttpStatusCode.OK, health.Value.Status);
            Assert.Equal("up", JsonNode.Parse(health.Value.Body)?["status"]?.GetValue<string>());

            // Started without its configuration: not ready, and the reason names the missing file.
            using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            var readyBody = await ready.Content.ReadAsStringAsync();
            Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable, $"/readyz answered {(int)ready.StatusCode}: {readyBody}");
            var reason = JsonNode.Parse(readyBody)?["reason"]?.GetValue<string>() ?? "";
            Assert.Contains("pimbridge.json", reason, StringComparison.Ordinal);
            Assert.Contains("does not exist", reason, StringComparison.Ordinal);

            // Under FUNCTIONS_CUSTOMHANDLER_PORT the function routes are mapped: a timer invocation gets the
            // custom-handler answer, a 503 (the invocation fails) whose logs say why.
            using var invocation = new StringContent("""{"Data":{"myTimer":{"IsPastDue":false}},"Metadata":{}}""", Encoding.UTF8, "application/json");
            using var reconciled = await http.PostAsync(new Uri("/" + HandlerDefaults.ReconcileFunction, UriKind.Relative), invocation);
            var reconciledBody = await reconciled.Content.ReadAsStringAsync();
            Assert.True(reconciled.StatusCode == HttpStatusCode.ServiceUnavailable, $"/Reconcile answered {(int)reconciled.StatusCode}: {reconciledBody}");
            var answer = Assert.IsType<JsonObject>(JsonNode.Parse(reconciledBody));
            Assert.IsType<JsonObject>(answer["Outputs"]);
            var logs = Assert.IsType<JsonArray>(answer["Logs"]).Select(l => l!.GetValue<string>()).ToArray();
            Assert.Contains(logs, l => l.StartsWith("failed: ", StringComparison.Ordinal) && l.Contains("pimbridge.json", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls GET /healthz until it answers (any status), the process exits, or <paramref name="within"/> passes.</summary>
    private static async Task<(HttpStatusCode Status, string Body)?> WaitForHealthAsync(HttpClient http, Process process, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }

        return null;
    }
}
