using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>pimbridge sandbox --serve</c> as a newcomer runs it: its own process, kept running until a signal. The commands it
/// prints are run exactly as printed (with bash and curl): activating PIM on the stub's control surface and posting
/// the group's CloudEvent to the webhook must become a grant in the state store (read with <c>pimbridge grants</c>)
/// and an account assignment in moto's Identity Center; deactivating must remove it and fence the sessions; a user PIM
/// knows but Identity Center does not must raise an alert. On SIGINT or SIGTERM the process must exit 0 and leave
/// nothing running: its child processes gone, and moto's, the stub's and the host's ports closed.
/// </summary>
public sealed partial class SandboxServeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_printed_commands_grant_and_remove_access_and_Ctrl_C_leaves_nothing_running()
    {
        Assert.False(OperatingSystem.IsWindows(), "this test reads /proc and sends SIGINT");
        using var process = StartSandbox();
        World world;
        IReadOnlyList<int> children;
        try
        {
            world = await ReadyAsync(process);
            children = Descendants(process.Id);
            Assert.Contains(children, pid => CommandLine(pid).Contains("moto_server", StringComparison.Ordinal));

            // 1. Activate PIM, 2. deliver the group's change notification, as printed.
            var activated = JsonNode.Parse(await ShellAsync(world.Command("/sandbox/pim/activate")))!;
            Assert.Equal("alice", activated["user"]!.GetValue<string>());
            Assert.Contains("\"hinted\"", await ShellAsync(world.EventFor("prod-admins")), StringComparison.Ordinal);

            // 3. The grant, with AWS access confirmed, in the store (read with grants) and in Identity Center.
            var grant = await UntilAsync(async () => (await GrantsAsync(world)).SingleOrDefault(g => g["accessConfirmedAt"] is JsonValue), "alice's grant with access confirmed");
            Assert.Equal("alice@example.com", grant["user"]!.GetValue<string>());
            Assert.Equal("prod-admins", grant["mapping"]!.GetValue<string>());
            Assert.Equal("active", grant["state"]!.GetValue<string>());
            var userId = grant["userId"]!.GetValue<string>();
            Assert.Equal(["Admin in 111122223333"], await AssignmentsAsync(world, userId));

            // 4. Deactivate early and deliver the notification again: the access goes and the sessions are fenced.
            await Task.Delay(TimeSpan.FromSeconds(1.1)); // the printed event's id is the current second
            var deactivated = JsonNode.Parse(await ShellAsync(world.Command("/sandbox/pim/deactivate")))!;
            Assert.Equal(activated["instanceId"]!.GetValue<string>(), deactivated["instanceId"]!.GetValue<string>());
            Assert.Contains("\"hinted\"", await ShellAsync(world.EventFor("prod-admins")), StringComparison.Ordinal);
            var ended = await UntilAsync(async () => (await GrantsAsync(world)).SingleOrDefault(g => g["state"]!.GetValue<string>() == "ended"), "alice's grant ended");
            Assert.Equal("deactivated", ended["endReason"]!.GetValue<string>());
            await UntilAsync(async () => (await AssignmentsAsync(world, userId)).Count == 0 ? "" : null, "the assignment removed from Identity Center");
            var fence = await UntilAsync(async () => (await ListAsync(world, "fences")).SingleOrDefault(f => f["state"]!.GetValue<string>() == "active"), "alice's fence active");
            Assert.Equal("Admin", fence["permissionSet"]!.GetValue<string>());

            // carol is in Entra but not in Identity Center: her activation is an alert, not access.
            await Task.Delay(TimeSpan.FromSeconds(1.1));
            using (var http = new HttpClient())
            {
                using var carol = await http.PostAsync(new Uri(world.Control, "/sandbox/pim/activate"),
                    new StringContent("""{"user": "carol", "group": "prod-admins", "minutes": 10}""", System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.Created, carol.StatusCode);
            }

            Assert.Contains("\"hinted\"", await ShellAsync(world.EventFor("prod-admins")), StringComparison.Ordinal);
            var alert = await UntilAsync(async () => (await ListAsync(world, "alerts")).SingleOrDefault(), "carol's unmapped-user alert");
            Assert.Equal("unmapped-user", alert["kind"]!.GetValue<string>());
            Assert.Contains("carol@example.com", alert.ToJsonString(), StringComparison.Ordinal);

            process.Signal("INT");
            var exit = await ExitedAsync(process);
            Assert.True(exit == 0, $"exit {exit}\n{process.Output}");
        }
        finally
        {
            process.Kill();
        }

        Assert.Contains("Stopped pimbridge serve, the Graph stub and moto_server", process.Output, StringComparison.Ordinal);
        await AssertNothingLeftAsync(world, children);
    }

    [Fact]
    public async Task Sigterm_stops_everything_it_started()
    {
        Assert.False(OperatingSystem.IsWindows(), "this test reads /proc and sends SIGTERM");
        using var process = StartSandbox("--keep");
        World world;
        IReadOnlyList<int> children;
        try
        {
            world = await ReadyAsync(process);
            children = Descendants(process.Id);
            Assert.NotEmpty(children);

            process.Signal("TERM");
            var exit = await ExitedAsync(process);
            Assert.True(exit == 0, $"exit {exit}\n{process.Output}");
        }
        finally
        {
            process.Kill();
        }

        try
        {
            Assert.Contains($"Kept the folder {world.Folder}", process.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(world.ConfigFile));
            foreach (var pid in children)
                Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} ({CommandLine(pid)}) is still running");
            await AssertRefusedAsync(world.Moto);
        }
        finally
        {
            Directory.Delete(world.Folder, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_with_json_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("sandbox", "--serve", "--json");

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.Contains("--json is for a scenario run", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("moto_server", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Waits for the sandbox to exit after a signal; if it does not, fails with what it printed (which step of the stop it was in).</summary>
    private static async Task<int> ExitedAsync(ServeProcess process)
    {
        try
        {
            return await process.Exited.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"sandbox --serve did not exit within {Patience.TotalSeconds:0} s of the signal:\n{process.Output}");
            throw;
        }
    }

    /// <summary>What the ready sandbox printed: its addresses, its files and its commands.</summary>
    private sealed record World(Uri Moto, Uri Control, Uri Serve, string ConfigFile, string StatePath, string[] Lines)
    {
        public string Folder => Path.GetDirectoryName(ConfigFile)!;

        /// <summary>The printed command that calls <paramref name="path"/>.</summary>
        public string Command(string path) => Lines.Select(l => l.Trim()).Single(l => l.StartsWith("curl ", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));

        /// <summary>The printed command that posts <paramref name="group"/>'s change notification.</summary>
        public string EventFor(string group) => Lines[Array.FindIndex(Lines, l => l.Trim() == $"{group}:") + 1].Trim();
    }

    private static async Task<World> ReadyAsync(ServeProcess process)
    {
        var waited = Stopwatch.StartNew();
        while (!process.Output.Contains("Ctrl+C stops", StringComparison.Ordinal))
        {
            if (process.Exited.IsCompleted)
                Assert.Fail($"sandbox --serve exited before it was ready:\n{process.Output}");
            if (waited.Elapsed > TimeSpan.FromSeconds(120))
                Assert.Fail($"sandbox --serve was not ready within 120 s:\n{process.Output}");
            await Task.Delay(100);
        }

        var output = process.Output;
        string Find(Regex regex) => regex.Match(output) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"not printed: {regex}\n{output}");
        return new World(
            new Uri(Find(MotoLine())), new Uri(Find(StubLine())), new Uri(Find(ServeLine())), Find(ConfigLine()), Find(StateLine()),
            output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray());
    }

    /// <summary>
    /// Starts it as a terminal's foreground command is started: with SIGINT at its default. A shell without job control
    /// starts a background command (<c>.ci/run &amp;</c>, nohup) with SIGINT ignored, the ignoring is inherited across
    /// exec, and a program started that way rightly keeps ignoring it (the runtime does): the Ctrl+C under test then
    /// never arrived, and the test failed or passed by how the test run was started. <c>env --default-signal</c> is
    /// GNU coreutils 8.31+ (Debian 11 and later).
    /// </summary>
    private static ServeProcess StartSandbox(params string[] arguments)
    {
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pimbridge.dll"));
        foreach (var argument in new[] { "sandbox", "--serve" }.Concat(arguments)) start.ArgumentList.Add(argument);
        return new ServeProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start pimbridge sandbox --serve."));
    }

    /// <summary>Runs a printed command line with bash, as a person pastes it; its standard output.</summary>
    private static async Task<string> ShellAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var shell = Process.Start(start)!;
        var output = shell.StandardOutput.ReadToEndAsync();
        var error = shell.StandardError.ReadToEndAsync();
        await shell.WaitForExitAsync().WaitAsync(Patience);
        Assert.True(shell.ExitCode == 0, $"`{command}` exited {shell.ExitCode}: {await error}");
        return await output;
    }

    private static async Task<List<JsonNode>> GrantsAsync(World world) => await ListAsync(world, "grants");

    /// <summary><c>pimbridge {command} --store STATE --json</c>, as printed.</summary>
    private static async Task<List<JsonNode>> ListAsync(World world, string command)
    {
        var printed = world.Lines.Select(l => l.Trim()).Single(l => l.StartsWith($"pimbridge {command} ", StringComparison.Ordinal));
        Assert.Equal($"pimbridge {command} --store {world.StatePath}", printed);
        var run = await CliRun.RunAsync(command, "--store", world.StatePath, "--json");
        Assert.True(run.ExitCode is ExitCodes.Success or ExitCodes.AlertsFound, run.ToString());
        return [.. JsonNode.Parse(run.Output)!.AsArray().Select(n => n!)];
    }

    /// <summary>The user's account assignments in moto's Identity Center, as "permission set in account".</summary>
    private static async Task<List<string>> AssignmentsAsync(World world, string userId)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(world.ConfigFile))!;
        var instance = config["IdentityCenter"]!["InstanceArn"]!.GetValue<string>();
        using var ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = LocalWorld.Region, Endpoint = world.Moto, Credentials = LocalWorld.AwsCredentials });
        var found = new List<string>();
        await foreach (var assignment in ssoAdmin.ListAccountAssignmentsForPrincipalAsync(new ListAccountAssignmentsForPrincipalRequest
        {
            InstanceArn = instance, PrincipalId = userId, PrincipalType = PrincipalTypes.User,
        }))
        {
            var name = (await ssoAdmin.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = instance, PermissionSetArn = assignment.PermissionSetArn! })).PermissionSet!.Name;
            found.Add($"{name} in {assignment.AccountId}");
        }

        return found;
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what)
        where T : class
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value) return value;
            if (waited.Elapsed > Patience) Assert.Fail($"not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(200);
        }
    }

    private static async Task AssertNothingLeftAsync(World world, IReadOnlyList<int> children)
    {
        foreach (var pid in children)
            Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} ({CommandLine(pid)}) is still running");
        await AssertRefusedAsync(world.Moto);
        await AssertRefusedAsync(world.Control);
        await AssertRefusedAsync(world.Serve);
        Assert.False(Directory.Exists(world.Folder), $"{world.Folder} was left behind");
    }

    private static async Task AssertRefusedAsync(Uri endpoint)
    {
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, endpoint.Port));
    }

    /// <summary>Every process below <paramref name="root"/>, from each process's parent in /proc/PID/stat.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // ended while listing
            }
        }

        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var (pid, ppid) in parents)
            {
                if (ppid != parent) continue;
                found.Add(pid);
                queue.Enqueue(pid);
            }
        }

        return found;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"moto_server \(AWS\) +(http://127\.0\.0\.1:\d+/)")]
    private static partial Regex MotoLine();

    [GeneratedRegex(@"PIM control: (http://127\.0\.0\.1:\d+)/sandbox/pim")]
    private static partial Regex StubLine();

    [GeneratedRegex(@"pimbridge serve +(http://127\.0\.0\.1:\d+) ")]
    private static partial Regex ServeLine();

    [GeneratedRegex(@"configuration +(\S+pimbridge\.json)")]
    private static partial Regex ConfigLine();

    [GeneratedRegex(@"state +(\S+state\.db)")]
    private static partial Regex StateLine();
}
