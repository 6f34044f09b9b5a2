using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Domain;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>pimbridge serve</c> for real: the command line → the ASP.NET Core host → the configured composition, with the
/// real Graph SDK (signed in as a managed identity, App Service's protocol) against the loopback Graph stub and the
/// real AWS clients against moto_server. The process environment carries AWS's and the managed identity's settings,
/// as it would in production, so these tests run alone (their collection is not parallelised).
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class ServeCommandTests(ServeWorld world)
{
    [Fact]
    public async Task Serve_answers_health_ingests_an_event_into_AWS_access_exposes_metrics_and_stops_with_exit_0()
    {
        var scenario = await world.ScenarioAsync("serve-smoke");
        var port = FreeLoopbackPort();
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = PimBridgeCommandLine.RunAsync(
            ["serve", .. scenario.Arguments, "--port", port.ToString(CultureInfo.InvariantCulture), "--PimBridge:Host:Worker:PollInterval=00:00:00"],
            CliConsole.Capture(output, error), stop.Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

        try
        {
            Assert.Equal(HttpStatusCode.OK, await UntilAnsweredAsync(http, "/healthz", run, error));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);

            // The poll is off: only the event can make PimBridge read the group.
            var now = DateTimeOffset.UtcNow;
            world.Tenant.AddInstance(GraphJson.Instance($"instance-{scenario.Name}", scenario.EntraUser, scenario.Group, start: Iso(now.AddMinutes(-1)), end: Iso(now.AddHours(1))));
            using var delivery = await DeliverAsync(http, Payloads.GroupUpdatedCloudEvent(scenario.Group, id: Guid.NewGuid().ToString()));
            Assert.True(delivery.IsSuccessStatusCode, $"delivery answered {(int)delivery.StatusCode}: {await delivery.Content.ReadAsStringAsync()}");

            await world.UntilAsync(() => world.AssignedAsync(scenario), "the activation became an account assignment in moto");
            var metrics = await UntilMetricsAsync(http, "pimbridge_grant_processing_time_seconds_count");
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.ContentType);
            Assert.Contains("pimbridge_events_total{outcome=\"hinted\"} 1\n", metrics.Text);
            Assert.Contains($"pimbridge_grants_started_total{{mapping=\"{scenario.Name}\"}} 1\n", metrics.Text);
            Assert.Contains("pimbridge_grant_processing_time_seconds_count 1\n", metrics.Text);
            Assert.Contains("pimbridge_graph_requests_total{method=\"GET\",resource=\"identityGovernance/privilegedAccess/group/assignmentScheduleInstances\",status=\"200\"}", metrics.Text);
            Assert.Contains("pimbridge_aws_attempts_total{operation=\"CreateAccountAssignment\",service=\"sso-admin\"}", metrics.Text);
        }
        finally
        {
            stop.Cancel();
        }

        var exit = await run.WaitAsync(TimeSpan.FromSeconds(15));
        var stderr = error.ToString();
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{stderr}");
        Assert.Contains($"listening on http://127.0.0.1:{port} (events POST /api/events, /healthz, /readyz, /metrics)", stderr);
        Assert.Contains($"store: SQLite file {scenario.StorePath}", stderr);
        Assert.Contains($"configuration: {scenario.ConfigPath}", stderr);
        Assert.EndsWith($"pimbridge serve: stopped.{Environment.NewLine}", stderr);
        Assert.Equal("", output.ToString()); // standard output is for results; serve has none
        await AssertRefusedAsync(port);
    }

    [Fact]
    public async Task A_broken_configuration_is_printed_with_exit_2_and_nothing_listens()
    {
        var folder = world.NewFolder();
        var config = Path.Combine(folder, "pimbridge.json");
        await File.WriteAllTextAsync(config, """
            {
              "IdentityCenter": { "InstanceArn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "IdentityStoreId": "d-1234567890", "Region": "us-east-1" },
              "Mapings": [],
              "Entra": { "Mode": "Magic" }
            }
            """);
        var port = FreeLoopbackPort();

        var run = await CliRun.RunAsync("serve", "--config", config, "--store", Path.Combine(folder, "state.db"), "--port", port.ToString(CultureInfo.InvariantCulture));

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.Contains($"error: The configuration '{config}' is not usable:", run.Error);
        Assert.Contains("  - Mapings: PimBridge has no such setting", run.Error);
        Assert.Contains("  - Entra.Mode: 'Magic' is not a credential mode", run.Error);
        Assert.DoesNotContain("listening", run.Error);
        Assert.False(File.Exists(Path.Combine(folder, "state.db"))); // nothing was started, so nothing was created
        await AssertRefusedAsync(port);
    }

    [Theory]
    [InlineData("--PimBridge:Host:EventsPath=api/events", "PimBridge:Host:EventsPath must start with '/', got 'api/events'.")]
    [InlineData("--PimBridge:Host:Metrics:Path=metrics", "PimBridge:Host:Metrics:Path must start with '/', got 'metrics'.")]
    [InlineData("--PimBridge:Host:Wroker:Enabled=false", "contain a key PimBridge does not know")]
    [InlineData("--prot", "Unknown option or argument '--prot'.")]
    [InlineData("--PimBridge:Host:EventsPath", "The host setting '--PimBridge:Host:EventsPath' has no value")]
    [InlineData("--PimBridge:Host:AllowedWebHookOrigins:0=https://eventgrid.azure.net/", "'https://eventgrid.azure.net/' is not a host name")]
    [InlineData("--PimBridge:Host:ClientState=old-secret", "PimBridge:Host:ClientState is no longer a setting: the webhook checks the Entra.Subscriptions.ClientState")]
    public async Task Bad_host_settings_and_unknown_options_are_errors_with_exit_2(string argument, string expected)
    {
        var scenario = await world.ScenarioAsync("serve-bad", seedAws: false);
        var port = FreeLoopbackPort();

        var run = await CliRun.RunAsync(["serve", .. scenario.Arguments, "--port", port.ToString(CultureInfo.InvariantCulture), argument]);

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.Contains(expected, run.Error);
        Assert.DoesNotContain("listening", run.Error);
        await AssertRefusedAsync(port);
    }

    [Fact]
    public async Task A_port_in_use_is_an_error_with_exit_2_that_says_what_to_do()
    {
        var scenario = await world.ScenarioAsync("serve-busy", seedAws: false);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await CliRun.RunAsync(["serve", .. scenario.Arguments, "--port", port.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.Contains($"error: Could not listen: Failed to bind to address http://127.0.0.1:{port}", run.Error);
        Assert.Contains("Choose another --port or --urls", run.Error);
    }

    [Fact]
    public async Task Serve_with_urls_and_port_together_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("serve", "--urls", "http://127.0.0.1:1", "--port", "2");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("--urls and --port cannot be used together", run.Error);
    }

    /// <summary>
    /// The process as an operator runs it: SIGTERM arrives while a tick waits on Graph. The tick finishes (the grant
    /// it read is recorded), and only then does the process exit, with 0: here after longer than the 30 seconds the
    /// command line gives other commands, because the host's shutdownTimeoutSeconds allows it.
    /// </summary>
    [Fact]
    public async Task Sigterm_lets_the_tick_in_flight_finish_and_the_process_exits_0()
    {
        Assert.False(OperatingSystem.IsWindows(), "this test sends SIGTERM, which Windows does not have");
        var scenario = await world.ScenarioAsync("serve-sigterm");
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        var held = 0;
        // The tick's read of the activation's principal waits until released (once).
        world.Graph.On("GET", $"/users/{scenario.EntraUser}", _ =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                holding.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(60));
            }

            return StubResponse.Ok(GraphJson.User(scenario.EntraUser, scenario.Upn, null));
        });

        var port = FreeLoopbackPort();
        using var process = world.StartServeProcess(
            [.. scenario.Arguments, "--port", port.ToString(CultureInfo.InvariantCulture), "--PimBridge:Host:Worker:PollInterval=00:00:00", "--shutdownTimeoutSeconds=90"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            Assert.Equal(HttpStatusCode.OK, await UntilAnsweredAsync(http, "/readyz", process.Exited, null, process));
            var now = DateTimeOffset.UtcNow;
            world.Tenant.AddInstance(GraphJson.Instance($"instance-{scenario.Name}", scenario.EntraUser, scenario.Group, start: Iso(now.AddMinutes(-1)), end: Iso(now.AddHours(1))));
            using var delivery = await DeliverAsync(http, Payloads.GroupUpdatedCloudEvent(scenario.Group, id: Guid.NewGuid().ToString()));
            Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);
            await holding.Task.WaitAsync(TimeSpan.FromSeconds(30));

            process.Signal("TERM");
            var hold = TimeSpan.FromSeconds(33);
            await Task.Delay(hold);
            Assert.False(process.Exited.IsCompleted, $"the process exited while its tick was in flight\n{process.Output}");
            var released = Stopwatch.StartNew();
            release.Set();

            var exit = await process.Exited.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, $"exit {exit}\n{process.Output}");
            Assert.True(released.Elapsed < TimeSpan.FromSeconds(20), $"the process took {released.Elapsed} to exit once the tick could finish");
            Assert.Contains("pimbridge serve: stopped.", process.Output);
        }
        finally
        {
            release.Set();
            process.Kill();
        }

        // What the tick was doing when the signal came is done and recorded.
        await using var store = await SqliteStateStore.OpenAsync(scenario.StorePath);
        var grant = Assert.Single(await store.ListGrantsAsync(activeOnly: true, scenario.Upn));
        Assert.Equal(scenario.Name, grant.Mapping);
        Assert.Empty(await store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, scenario.Group));
    }

    private static async Task<HttpStatusCode> UntilAnsweredAsync(HttpClient http, string path, Task running, StringWriter? error, ServeProcess? process = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (running.IsCompleted)
                Assert.Fail($"serve ended before answering {path}:\n{error?.ToString() ?? process?.Output}");
            try
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK) return response.StatusCode;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{path} did not answer 200 within 60 s:\n{error?.ToString() ?? process?.Output}");
        return default;
    }

    private static async Task<(string Text, string? ContentType)> UntilMetricsAsync(HttpClient http, string expected)
    {
        var text = "";
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
            if (text.Contains(expected, StringComparison.Ordinal))
                return (text, response.Content.Headers.ContentType?.ToString());
            await Task.Delay(100);
        }

        Assert.Fail($"/metrics never showed {expected}:\n{text}");
        return default;
    }

    private static async Task<HttpResponseMessage> DeliverAsync(HttpClient http, string cloudEvent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(cloudEvent, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/cloudevents+json; charset=utf-8");
        request.Headers.Add("X-PimBridge-Secret", ServeWorld.SharedSecret);
        return await http.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(int port)
    {
        using var client = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServeCollection : ICollectionFixture<ServeWorld>
{
    public const string Name = "serve (sets process environment variables)";
}

/// <summary>One user, group and mapping of a serve test, with the files and arguments serve runs on.</summary>
public sealed record ServeScenario(string Name, string Group, string EntraUser, string Upn, string PermissionSetArn, string UserId, string ConfigPath, string StorePath, string[] Arguments);

/// <summary>
/// What <c>pimbridge serve</c> talks to, shared by the serve tests: moto_server with an Identity Center instance, the
/// Graph stub with a PIM tenant and a managed identity token endpoint, and the process environment pointing the AWS
/// SDK's credential chain and Azure's managed identity credential at them (restored afterwards).
/// </summary>
public sealed class ServeWorld : IAsyncLifetime
{
    public const string SharedSecret = "serve-shared-secret-0123456789";
    public const string Region = "us-east-1";
    public const string AccountId = "111111111111";
    private const string IdentityHeader = "serve-identity-header";
    private static readonly BasicAWSCredentials MotoCredentials = new("testing", "testing");

    private readonly string _root = Directory.CreateTempSubdirectory("pimbridge-serve-").FullName;
    private readonly Dictionary<string, string?> _saved = [];
    private SsoAdminClient _ssoAdmin = null!;
    private string _instanceArn = "";
    private string _identityStoreId = "";

    public MotoServer Moto { get; private set; } = null!;
    public GraphStub Graph { get; private set; } = null!;
    public PimTenant Tenant { get; private set; } = null!;

    /// <summary>The environment serve needs: AWS credentials for moto, and App Service's managed identity endpoint on the stub.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        Moto = await MotoServer.StartAsync();
        Graph = await GraphStub.StartAsync();
        Tenant = new PimTenant(Graph);
        // Azure.Identity's ManagedIdentityCredential, App Service flavour: GET {IDENTITY_ENDPOINT}?resource=…, the secret in X-IDENTITY-HEADER.
        Graph.On("GET", "/msi/token", request => request.Header("X-IDENTITY-HEADER") == IdentityHeader
            ? StubResponse.Ok(new JsonObject
            {
                ["access_token"] = StubCredential.Token,
                ["expires_on"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                ["resource"] = request.Query.GetValueOrDefault("resource"),
                ["token_type"] = "Bearer",
            }.ToJsonString())
            : StubResponse.Error(401, "Unauthorized", "X-IDENTITY-HEADER is missing or wrong."));

        Environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["IDENTITY_ENDPOINT"] = $"{Graph.BaseUrl}/msi/token",
            ["IDENTITY_HEADER"] = IdentityHeader,
        };
        foreach (var (name, value) in Environment)
        {
            _saved[name] = System.Environment.GetEnvironmentVariable(name);
            System.Environment.SetEnvironmentVariable(name, value);
        }

        _ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = Region, Endpoint = Moto.Endpoint, Credentials = MotoCredentials });
        await foreach (var instance in _ssoAdmin.ListInstancesAsync())
        {
            _instanceArn = instance.InstanceArn!;
            _identityStoreId = instance.IdentityStoreId!;
            break;
        }

        Assert.False(string.IsNullOrEmpty(_instanceArn), "moto listed no Identity Center instance");
    }

    public async Task DisposeAsync()
    {
        foreach (var (name, value) in _saved)
            System.Environment.SetEnvironmentVariable(name, value);
        _ssoAdmin?.Dispose();
        if (Graph is not null) await Graph.DisposeAsync();
        if (Moto is not null) await Moto.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    public string NewFolder() => Directory.CreateDirectory(Path.Combine(_root, Guid.NewGuid().ToString("N")[..12])).FullName;

    /// <summary>A mapping of a new group to a new permission set in one account, a user in Entra and in Identity Center, and a configuration for them.</summary>
    public async Task<ServeScenario> ScenarioAsync(string prefix, bool seedAws = true)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        var group = Guid.NewGuid().ToString();
        var entraUser = Guid.NewGuid().ToString();
        var upn = $"{name}@contoso.com";
        string permissionSet = "", userId = "";
        if (seedAws)
        {
            Tenant.AddGroup(group).AddUser(entraUser, upn);
            userId = (await MotoAsync("identitystore", "AWSIdentityStore.CreateUser", new JsonObject
            {
                ["IdentityStoreId"] = _identityStoreId, ["UserName"] = upn, ["DisplayName"] = upn,
                ["Name"] = new JsonObject { ["GivenName"] = "Serve", ["FamilyName"] = name },
                ["Emails"] = new JsonArray(new JsonObject { ["Value"] = upn, ["Type"] = "work", ["Primary"] = true }),
            }))["UserId"]!.GetValue<string>();
            permissionSet = (await MotoAsync("sso", "SWBExternalService.CreatePermissionSet", new JsonObject
            {
                ["InstanceArn"] = _instanceArn, ["Name"] = name, ["SessionDuration"] = "PT1H",
            }))["PermissionSet"]!["PermissionSetArn"]!.GetValue<string>();
        }

        var folder = NewFolder();
        var config = Path.Combine(folder, "pimbridge.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["IdentityCenter"] = new JsonObject { ["InstanceArn"] = _instanceArn, ["IdentityStoreId"] = _identityStoreId, ["Region"] = Region },
            ["Mappings"] = new JsonArray(new JsonObject
            {
                ["Name"] = name, ["EntraGroupId"] = group,
                ["AccountAssignments"] = new JsonObject { ["PermissionSet"] = seedAws ? name : "Admin", ["Accounts"] = new JsonArray(AccountId) },
            }),
            ["Entra"] = new JsonObject
            {
                ["Mode"] = "ManagedIdentity",
                ["GraphBaseUrl"] = Graph.BaseUrl,
                ["Subscriptions"] = new JsonObject
                {
                    ["AzureSubscriptionId"] = "00000000-0000-0000-0000-000000000000", ["ResourceGroup"] = "pimbridge",
                    ["PartnerTopic"] = "pimbridge-graph", ["Location"] = "westeurope", ["ClientState"] = Payloads.DefaultClientState,
                },
            },
        }.ToJsonString());
        var store = Path.Combine(folder, "state.db");
        string[] arguments =
        [
            "--config", config, "--store", store,
            $"--PimBridge:AwsEndpoint={Moto.Endpoint}",
            $"--PimBridge:Host:SharedSecret:Secret={SharedSecret}",
            "--Logging:LogLevel:Default=Warning",
        ];
        return new ServeScenario(name, group, entraUser, upn, permissionSet, userId, config, store, arguments);
    }

    public async Task<bool> AssignedAsync(ServeScenario scenario)
    {
        await foreach (var assignment in _ssoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = _instanceArn, AccountId = AccountId, PermissionSetArn = scenario.PermissionSetArn,
        }))
        {
            if (assignment.PrincipalId == scenario.UserId) return true;
        }

        return false;
    }

    public async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                Assert.Fail($"not within 60 s: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs the built <c>pimbridge</c> as its own process, with <see cref="Environment"/>.</summary>
    public ServeProcess StartServeProcess(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pimbridge.dll"));
        start.ArgumentList.Add("serve");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in Environment) start.Environment[name] = value;
        return new ServeProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start pimbridge serve."));
    }

    /// <summary>One call of an operation PimBridge does not wrap (it only reads users and permission sets), signed as AWS requires.</summary>
    private async Task<JsonNode> MotoAsync(string signingName, string target, JsonObject body)
    {
        using var http = new HttpClient(new SigV4SigningHandler(MotoCredentials, RegionEndpoint.GetBySystemName(Region), signingName, new SocketsHttpHandler()));
        using var request = new HttpRequestMessage(HttpMethod.Post, Moto.Endpoint) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"moto {target}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}

/// <summary>A <c>pimbridge serve</c> process: its combined output, its exit, and signals.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public ServeProcess(Process process)
    {
        _process = process;
        DataReceivedEventHandler capture = (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.OutputDataReceived += capture;
        process.ErrorDataReceived += capture;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Exited = WaitAsync();
    }

    /// <summary>Completes with the exit code.</summary>
    public Task<int> Exited { get; }

    public int Id => _process.Id;

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Sends a signal the way an operator or an orchestrator does (kill -TERM).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
    }

    private async Task<int> WaitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
