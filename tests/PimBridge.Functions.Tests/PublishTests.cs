using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace PimBridge.Functions.Tests;

/// <summary>
/// Runs publish-functions.sh once for real (a framework-dependent linux-x64 publish, about a minute) into a temporary
/// folder the tests below share. Its bin/obj go to a private artifacts path, so the linux-x64 restore never races a
/// build of the working tree.
/// </summary>
public sealed class PublishedAppFixture : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-functions-publish-").FullName;

    public PublishedAppFixture()
    {
        Package = Path.Combine(_folder, "functions");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(PimBridge.Testing.RepositoryRoot.Path, "src", "PimBridge.Functions", "publish-functions.sh"));
        start.ArgumentList.Add(Package);
        start.Environment["PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH"] = Path.Combine(_folder, "build");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            ExitCode = -1;
            Output = $"publish-functions.sh did not finish in 8 minutes.\n{stdout.Result}{stderr.Result}";
            return;
        }

        ExitCode = process.ExitCode;
        Output = stdout.Result + stderr.Result;
    }

    /// <summary>The folder the script wrote; the zip is beside it.</summary>
    public string Package { get; }

    public int ExitCode { get; }

    public string Output { get; }

    /// <summary>The package folder, once the script is known to have succeeded.</summary>
    public string Published()
    {
        Assert.True(ExitCode == 0, $"publish-functions.sh failed ({ExitCode}):\n{Output}");
        return Package;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary>What the Functions host reads from the published app: which functions exist, their bindings, and how to start the worker.</summary>
public sealed class PublishTests(PublishedAppFixture fixture) : IClassFixture<PublishedAppFixture>
{
    private static JsonNode ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    private static JsonObject Trigger(JsonArray functions, string name)
    {
        var function = functions.Single(f => f!["name"]!.GetValue<string>() == name)!;
        Assert.Equal("PimBridge.Functions.dll", function["scriptFile"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", function["language"]!.GetValue<string>());
        var bindings = function["bindings"]!.AsArray();
        return (JsonObject)bindings.Single(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!;
    }

    [Fact]
    public void The_metadata_lists_exactly_the_HTTP_function_and_the_two_timers()
    {
        var functions = ReadJson(Path.Combine(fixture.Published(), "functions.metadata")).AsArray();

        Assert.Equal(["GraphEvents", "Reconcile", "RenewSubscriptions"], functions.Select(f => f!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_Event_Grid_webhook_is_an_anonymous_HTTP_trigger_on_api_events_for_POST_and_the_OPTIONS_handshake()
    {
        var functions = ReadJson(Path.Combine(fixture.Published(), "functions.metadata")).AsArray();

        var http = Trigger(functions, "GraphEvents");
        Assert.Equal("httpTrigger", http["type"]!.GetValue<string>());
        Assert.Equal("events", http["route"]!.GetValue<string>());
        // DeliveryAuthenticator authenticates (bearer token or shared secret), so the Functions host must not ask for a key.
        Assert.Equal("Anonymous", http["authLevel"]!.GetValue<string>());
        Assert.Equal(["options", "post"], http["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToLowerInvariant()).Order(StringComparer.Ordinal));
        var output = functions.Single(f => f!["name"]!.GetValue<string>() == "GraphEvents")!["bindings"]!.AsArray()
            .Single(b => b!["direction"]!.GetValue<string>().Equals("Out", StringComparison.OrdinalIgnoreCase))!;
        Assert.Equal("http", output["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Reconcile", "*/10 * * * * *")]
    [InlineData("RenewSubscriptions", "0 30 3 * * *")]
    public void The_timers_keep_their_schedules(string name, string schedule)
    {
        var functions = ReadJson(Path.Combine(fixture.Published(), "functions.metadata")).AsArray();

        var timer = Trigger(functions, name);
        Assert.Equal("timerTrigger", timer["type"]!.GetValue<string>());
        Assert.Equal(schedule, timer["schedule"]!.GetValue<string>());
        Assert.False(timer["runOnStartup"]!.GetValue<bool>());
    }

    [Fact]
    public void The_worker_config_starts_the_published_assembly_with_the_platforms_dotnet()
    {
        var package = fixture.Published();
        var description = ReadJson(Path.Combine(package, "worker.config.json"))["description"]!;

        Assert.Equal("dotnet-isolated", description["language"]!.GetValue<string>());
        Assert.Equal("dotnet", description["defaultExecutablePath"]!.GetValue<string>());
        Assert.Equal("PimBridge.Functions.dll", description["defaultWorkerPath"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(package, "PimBridge.Functions.dll")));
        // Framework-dependent: the Function App's runtime stack supplies .NET, so the package carries no runtime of its own.
        Assert.False(File.Exists(Path.Combine(package, "System.Private.CoreLib.dll")), "the package carries a .NET runtime: publish framework-dependent");
        Assert.Contains("Microsoft.NETCore.App", File.ReadAllText(Path.Combine(package, "PimBridge.Functions.runtimeconfig.json")));
    }

    [Fact]
    public void Host_json_is_at_the_root_and_the_zip_holds_the_same_files()
    {
        var package = fixture.Published();
        Assert.Equal("2.0", ReadJson(Path.Combine(package, "host.json"))["version"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(package, "function.json")));

        using var zip = ZipFile.OpenRead(package + ".zip");
        var zipped = zip.Entries.Where(e => !e.FullName.EndsWith('/')).Select(e => e.FullName).Order(StringComparer.Ordinal).ToArray();
        var files = Directory.EnumerateFiles(package, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(package, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, zipped);
        Assert.Contains("functions.metadata", zipped);
        Assert.Contains("worker.config.json", zipped);
    }
}
