using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Composition;
using PimBridge.Core.Domain;
using PimBridge.Sandbox.Trails;
using PimBridge.Store.DynamoDb;
using PimBridge.Testing;

namespace PimBridge.Lambda.Tests;

/// <summary>build-lambda.sh end to end: a real self-contained linux-x64 publish, zipped (slow: about a minute).</summary>
public sealed class LambdaPackageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-lambda-package-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

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
    public async Task The_build_script_zips_a_self_contained_trimmed_package_whose_bootstrap_refuses_to_run_outside_Lambda_and_runs_the_watcher_in_it()
    {
        var zipPath = Path.Combine(_folder, "pimbridge-watcher.zip");
        var (exitCode, output) = Run("bash", $"\"{Path.Combine(RepositoryRoot.Path, "src", "PimBridge.Lambda", "build-lambda.sh")}\" \"{zipPath}\"",
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

        await RunsTheWatcherAsLambdaWouldAsync(extracted);
    }

    private const string Account = "111111111111";
    private const string OpsGroup = "11111111-1111-1111-1111-111111111111";
    private const string Organization = "o-a1b2c3d4e5";
    private const string TrailBucket = "org-cloudtrail-111111111111";
    private const string UserName = "alice@example.com";

    /// <summary>
    /// The extracted package run as Lambda runs it, against moto and a local Runtime API, through the paths trimming can
    /// break at run time (configuration binding, JSON, the DynamoDB, S3 and Identity Center clients, the webhook sink):
    /// a grant whose PIM activation ended a minute ago is seeded in the DynamoDB table with an account assignment on
    /// moto, and one scheduled invocation must remove it, fence its sessions, scan the S3 trail and tell the webhook.
    /// </summary>
    private static async Task RunsTheWatcherAsLambdaWouldAsync(string package)
    {
        var world = new DynamoDbMotoFixture();
        await world.InitializeAsync();
        try
        {
            await RunsTheWatcherAsync(package, world);
        }
        finally
        {
            await world.DisposeAsync();
        }
    }

    private static async Task RunsTheWatcherAsync(string package, DynamoDbMotoFixture world)
    {
        var endpoint = world.Server.Endpoint;
        var credentials = new BasicAWSCredentials("testing", "testing");
        var table = await world.CreateTableAsync();
        using var ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = DynamoDbMotoFixture.Region, Endpoint = endpoint, Credentials = credentials });
        var (instanceArn, identityStoreId) = ("", "");
        await foreach (var instance in ssoAdmin.ListInstancesAsync())
        {
            (instanceArn, identityStoreId) = (instance.InstanceArn!, instance.IdentityStoreId!);
            break;
        }

        var userId = (await MotoJsonAsync(endpoint, "identitystore", "AWSIdentityStore.CreateUser", new JsonObject
        {
            ["IdentityStoreId"] = identityStoreId, ["UserName"] = UserName, ["DisplayName"] = "Alice",
            ["Name"] = new JsonObject { ["GivenName"] = "Alice", ["FamilyName"] = "Example" },
            ["Emails"] = new JsonArray(new JsonObject { ["Value"] = UserName, ["Type"] = "work", ["Primary"] = true }),
        }))["UserId"]!.GetValue<string>();
        var permissionSetArn = (await MotoJsonAsync(endpoint, "sso", "SWBExternalService.CreatePermissionSet", new JsonObject
        {
            ["InstanceArn"] = instanceArn, ["Name"] = "Admin", ["SessionDuration"] = "PT1H",
        }))["PermissionSet"]!["PermissionSetArn"]!.GetValue<string>();
        await ssoAdmin.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = instanceArn, PermissionSetArn = permissionSetArn, TargetType = ProvisionTargetTypes.AwsAccount, TargetId = Account,
        });

        // The grant: PIM activation of the last hour, ended a minute ago, granted by the engine itself (an hour back).
        var now = DateTimeOffset.UtcNow;
        var (start, end) = (now.AddHours(-1), now.AddMinutes(-1));
        var engine = new JsonObject
        {
            ["IdentityCenter"] = new JsonObject { ["InstanceArn"] = instanceArn, ["IdentityStoreId"] = identityStoreId, ["Region"] = DynamoDbMotoFixture.Region },
            ["Mappings"] = new JsonArray(new JsonObject
            {
                ["Name"] = "ops-admin", ["EntraGroupId"] = OpsGroup,
                ["AccountAssignments"] = new JsonObject { ["PermissionSet"] = "Admin", ["Accounts"] = new JsonArray(Account) },
            }),
        };
        var environment = new Dictionary<string, string?>
        {
            ["PimBridge__Store"] = "dynamodb",
            ["PimBridge__DynamoDbTable"] = table,
            ["PimBridge__DynamoDbRegion"] = DynamoDbMotoFixture.Region,
            ["PimBridge__AwsEndpoint"] = endpoint.ToString(),
            [WatcherConfiguration.ConfigJsonVariable] = engine.ToJsonString(),
        };
        using (var loggers = LoggerFactory.Create(_ => { }))
        {
            var seeding = await ComposedEngine.ComposeAsync(WatcherConfiguration.Build(environment, package), new ShiftedTime(start.AddMinutes(1) - now), loggers,
                new ComposedEngineInputs { Stores = [new DynamoDbStoreFactory()], AwsCredentials = credentials });
            await seeding.Enforcer.ReconcileAsync(new PimSnapshot([OpsGroup], [new Activation("act-1", new EntraPrincipal("alice-entra", UserName), OpsGroup, PimAccess.Member, start, end)]));
            await seeding.Enforcer.DrainAsync(WatcherFunction.MaxTicksPerInvocation, CancellationToken.None, CancellationToken.None);
            if (seeding.Resources is { } resources) await resources.DisposeAsync();
        }
        Assert.True(await AssignedAsync(ssoAdmin, instanceArn, permissionSetArn, userId), "seeding did not create the account assignment on moto");

        // The organization trail: one call with the grant's session, after its end.
        using var s3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = endpoint.ToString(), AuthenticationRegion = DynamoDbMotoFixture.Region, ForcePathStyle = true });
        await s3.PutBucketAsync(TrailBucket);
        using (var trail = new MemoryStream(TrailJson.Gzip(TrailJson.File([TrailJson.RoleSessionCall("after-expiry", now.AddSeconds(-20), Account, "Admin", UserName,
            userId: userId, sessionCreated: start.AddMinutes(5), region: DynamoDbMotoFixture.Region)]))))
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = TrailBucket, Key = TrailJson.OrganizationTrailKey(Organization, Account, DynamoDbMotoFixture.Region, now), InputStream = trail,
            });
        }

        await using var webhook = await LoopbackReceiver.StartAsync();
        engine["Gaps"] = new JsonObject
        {
            ["Source"] = new JsonObject { ["Type"] = "s3", ["Bucket"] = TrailBucket, ["OrganizationId"] = Organization, ["Regions"] = new JsonArray(DynamoDbMotoFixture.Region) },
        };
        engine["Notifications"] = new JsonObject
        {
            ["Sinks"] = new JsonArray(new JsonObject { ["Name"] = "hook", ["Type"] = "webhook", ["Url"] = webhook.Url("/hook").ToString(), ["Kinds"] = new JsonArray("alert", "access-removed") }),
        };
        environment[WatcherConfiguration.ConfigJsonVariable] = engine.ToJsonString();

        await using var runtimeApi = await RuntimeApiStub.StartAsync();
        runtimeApi.Enqueue("scheduled-1", DateTimeOffset.UtcNow.AddMinutes(2), "{\"source\":\"aws.scheduler\",\"detail-type\":\"Scheduled Event\"}");
        var startInfo = new ProcessStartInfo(Path.Combine(package, "bootstrap")) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = package };
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;
        startInfo.Environment["AWS_LAMBDA_RUNTIME_API"] = runtimeApi.Address;
        startInfo.Environment["LAMBDA_TASK_ROOT"] = package;
        startInfo.Environment["AWS_LAMBDA_FUNCTION_NAME"] = "pimbridge-watcher";
        startInfo.Environment["AWS_ACCESS_KEY_ID"] = "testing";
        startInfo.Environment["AWS_SECRET_ACCESS_KEY"] = "testing";
        startInfo.Environment["AWS_REGION"] = DynamoDbMotoFixture.Region;
        startInfo.Environment.Remove("DOTNET_ROOT");
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var bootstrap = new Process { StartInfo = startInfo };
        bootstrap.OutputDataReceived += (_, line) => { if (line.Data is not null) logs.Enqueue(line.Data); };
        bootstrap.ErrorDataReceived += (_, line) => { if (line.Data is not null) logs.Enqueue(line.Data); };
        bootstrap.Start();
        bootstrap.BeginOutputReadLine();
        bootstrap.BeginErrorReadLine();
        PostedResult result;
        try
        {
            result = await runtimeApi.ResultFor("scheduled-1").WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"bootstrap answered no invocation (exited: {bootstrap.HasExited}); init error: {(runtimeApi.HasResult(RuntimeApiStub.InitKey) ? System.Text.Encoding.UTF8.GetString((await runtimeApi.ResultFor(RuntimeApiStub.InitKey)).Body) : "none")}; output:\n{string.Join('\n', logs)}");
            throw;
        }
        finally
        {
            // Ours, by its pid: it would otherwise wait for the next invocation for ever.
            if (!bootstrap.HasExited) bootstrap.Kill(entireProcessTree: true);
            await bootstrap.WaitForExitAsync();
        }

        var body = System.Text.Encoding.UTF8.GetString(result.Body);
        var output = string.Join('\n', logs);
        Assert.False(runtimeApi.HasResult(RuntimeApiStub.InitKey), $"init error posted: {output}");
        Assert.True(result.Kind == "response", $"the invocation failed ({result.Kind}, {result.ErrorTypeHeader}): {body}\n{output}");
        var summary = JsonSerializer.Deserialize<WatcherSummary>(body)!;
        Assert.True(summary.Ticks >= 1 && summary.Idle, body);
        Assert.True(summary.GrantsEnded == 1, body);
        Assert.True(summary.IntentsFailed == 0, body);
        Assert.NotNull(summary.GapAlerts);
        Assert.NotNull(summary.CriticalGapAlerts);
        Assert.False(summary.GapScanSkipped, body);

        Assert.False(await AssignedAsync(ssoAdmin, instanceArn, permissionSetArn, userId), $"the assignment is still on moto: {body}");
        using var dynamo = world.CreateClient();
        var store = new DynamoDbStateStore(dynamo, table);
        var fence = Assert.Single(await store.ListFencesAsync(openOnly: true));
        Assert.Equal(permissionSetArn, fence.PermissionSetArn);
        Assert.Contains(webhook.Requests, request => request.Body.Contains("access-removed", StringComparison.Ordinal));
    }

    private static async Task<bool> AssignedAsync(SsoAdminClient ssoAdmin, string instanceArn, string permissionSetArn, string userId)
    {
        await foreach (var assignment in ssoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest { InstanceArn = instanceArn, AccountId = Account, PermissionSetArn = permissionSetArn }))
            if (assignment.PrincipalId == userId) return true;
        return false;
    }

    /// <summary>What PimBridge only reads, created with the operation's raw JSON: moto checks no signature, the Authorization scope names the service.</summary>
    private static async Task<JsonNode> MotoJsonAsync(Uri endpoint, string signingName, string target, JsonObject body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", target);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential=testing/20260101/{DynamoDbMotoFixture.Region}/{signingName}/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{target} on moto answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}

/// <summary>The system clock moved by a fixed amount; its timers run in real time (a ManualTimeProvider's would never fire for the AWS clients' waits).</summary>
internal sealed class ShiftedTime(TimeSpan shift) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
}
