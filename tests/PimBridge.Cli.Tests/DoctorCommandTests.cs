using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>doctor</c> against a working setup (moto, the Graph stub, a real state file) and against broken ones: each
/// failure is its own line with a fix, and the exit code says problems were found.
/// </summary>
[Collection(EngineCommandCollection.Name)]
public sealed class DoctorCommandTests(EngineCommandWorld world) : IAsyncLifetime
{
    private EngineScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EngineScenario.CreateAsync(world);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private static string[] Lines(CliRun run, string status) =>
        [.. run.Output.Split('\n').Where(l => l.StartsWith(status, StringComparison.Ordinal))];

    /// <summary>An S3 organization-trail source on a moto bucket, and a webhook sink posting to the stub.</summary>
    private async Task<string> WriteFullConfigAsync()
    {
        var bucket = $"trail-{Guid.NewGuid():N}"[..24];
        using (var s3 = new AmazonS3Client(world.Credentials, new AmazonS3Config
        {
            ServiceURL = world.Moto.Endpoint.ToString(), AuthenticationRegion = EngineCommandWorld.Region, ForcePathStyle = true,
        }))
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        }

        var hook = $"/hooks/{Guid.NewGuid():N}";
        world.Graph.On("POST", hook, _ => StubResponse.NoContent);
        _scenario.WriteConfig(
            gaps: new JsonObject { ["Source"] = new JsonObject { ["Type"] = "s3", ["Bucket"] = bucket } },
            sinks: new JsonArray(new JsonObject { ["Name"] = "security-webhook", ["Type"] = "webhook", ["Url"] = world.Graph.BaseUrl + hook }));
        return hook;
    }

    [Fact]
    public async Task A_working_setup_passes_every_check_and_sends_a_test_notification_only_when_asked()
    {
        var hook = await WriteFullConfigAsync();

        var run = await _scenario.RunAsync("doctor");
        var quiet = world.Graph.Received("POST", hook);
        var sent = await _scenario.RunAsync("doctor", "--send-test");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Empty(Lines(run, "FAIL"));
        foreach (var title in new[]
        {
            "Configuration file", "Entra settings", "Notification sinks settings", "Gap source settings", "AWS endpoint override", "State store",
            "AWS credentials", "Identity Center instance", $"Mapping '{_scenario.Mapping}'", "Identity Store user lookup",
            "Microsoft Graph sign-in", $"PIM read of group {_scenario.Group}", "CloudTrail source access",
        })
        {
            Assert.Single(Lines(run, "PASS"), l => l.Contains($" {title}: ", StringComparison.Ordinal));
        }

        Assert.Contains($"permission set {_scenario.PermissionSetName} ({_scenario.PermissionSetArn}), sessions up to PT4H", run.Output);
        Assert.Single(Lines(run, "NOT CHECKED"), l => l.Contains("AWS write permissions", StringComparison.Ordinal));
        Assert.Contains("sso:PutInlinePolicyToPermissionSet", run.Output);
        Assert.Single(Lines(run, "NOT CHECKED"), l => l.Contains("Notification delivery", StringComparison.Ordinal) && l.Contains("--send-test", StringComparison.Ordinal));
        Assert.Empty(quiet); // a test message in a security channel is noise: only --send-test sends one

        Assert.True(sent.ExitCode == ExitCodes.Success, sent.ToString());
        Assert.Single(Lines(sent, "PASS"), l => l.Contains("Sink 'security-webhook' (webhook): a test notification was delivered", StringComparison.Ordinal));
        var delivered = Assert.Single(world.Graph.Received("POST", hook));
        Assert.Contains("PimBridge doctor: test notification", delivered.Body);
    }

    [Fact]
    public async Task A_lookup_events_source_is_checked_by_assuming_the_audit_role_in_the_first_mapped_account()
    {
        _scenario.WriteConfig(gaps: new JsonObject { ["Source"] = new JsonObject { ["Type"] = "lookup-events", ["AuditRoleName"] = "PimBridgeAudit" } });

        var run = await _scenario.RunAsync("doctor");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var line = Assert.Single(Lines(run, "PASS"), l => l.Contains("CloudTrail source access:", StringComparison.Ordinal));
        Assert.Contains($"assumed the audit role arn:aws:iam::{EngineCommandWorld.Account}:role/PimBridgeAudit in account {EngineCommandWorld.Account}", line);
    }

    [Fact]
    public async Task An_S3_trail_source_is_checked_by_listing_the_first_mapped_accounts_log_folder_as_the_engine_does()
    {
        var bucket = $"trail-{Guid.NewGuid():N}"[..24];
        using (var s3 = new AmazonS3Client(world.Credentials, new AmazonS3Config
        {
            ServiceURL = world.Moto.Endpoint.ToString(), AuthenticationRegion = EngineCommandWorld.Region, ForcePathStyle = true,
        }))
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, ContentBody = "{\"Records\":[]}",
                Key = $"trails/AWSLogs/o-a1b2c3d4e5/{EngineCommandWorld.Account}/CloudTrail/eu-west-1/2026/11/22/{EngineCommandWorld.Account}_CloudTrail_eu-west-1_20261122T0000Z_a.json.gz",
            });
        }

        _scenario.WriteConfig(gaps: new JsonObject { ["Source"] = new JsonObject
        {
            ["Type"] = "s3", ["Bucket"] = bucket, ["Prefix"] = "trails", ["OrganizationId"] = "o-a1b2c3d4e5",
        } });
        var found = await _scenario.RunAsync("doctor");
        _scenario.WriteConfig(gaps: new JsonObject { ["Source"] = new JsonObject { ["Type"] = "s3", ["Bucket"] = bucket + "-absent" } });
        var missing = await _scenario.RunAsync("doctor");

        Assert.True(found.ExitCode == ExitCodes.Success, found.ToString());
        var line = Assert.Single(Lines(found, "PASS"), l => l.Contains("CloudTrail source access:", StringComparison.Ordinal));
        Assert.Contains($"s3://{bucket}/trails/AWSLogs/o-a1b2c3d4e5/{EngineCommandWorld.Account}/CloudTrail/ can be listed (s3:ListBucket allowed); log files for eu-west-1.", line);
        Assert.Equal(ExitCodes.DoctorFoundProblems, missing.ExitCode);
        Assert.Contains(Lines(missing, "FAIL"), l => l.Contains("CloudTrail source access:", StringComparison.Ordinal) && l.Contains("NoSuchBucket", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_watchers_configuration_without_an_Entra_section_skips_the_Graph_checks_and_passes()
    {
        _scenario.WriteConfig(entra: false);

        var run = await _scenario.RunAsync("doctor");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Empty(Lines(run, "FAIL"));
        Assert.Single(Lines(run, "SKIP"), l => l.Contains("Entra settings: ", StringComparison.Ordinal) && l.Contains("has no Entra section", StringComparison.Ordinal));
        Assert.Single(Lines(run, "SKIP"), l => l.Contains("Microsoft Graph sign-in: needs valid Entra settings.", StringComparison.Ordinal));
        Assert.Single(Lines(run, "PASS"), l => l.Contains($"Mapping '{_scenario.Mapping}': ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_local_graph_needs_no_sign_in_and_is_read_without_a_token()
    {
        _scenario.WriteConfig(entraMode: "LocalGraph");
        var before = world.Graph.Requests.Count;

        var run = await _scenario.RunWithConfiguredGraphAsync("doctor");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Single(Lines(run, "PASS"), l => l.Contains($"Entra settings: Mode LocalGraph, Graph at {world.Graph.BaseUrl},", StringComparison.Ordinal));
        Assert.Single(Lines(run, "PASS"), l => l.Contains($"Microsoft Graph sign-in: Mode LocalGraph: no sign-in, Graph is the local emulator at {world.Graph.BaseUrl}.", StringComparison.Ordinal));
        Assert.Single(Lines(run, "PASS"), l => l.Contains($"PIM read of group {_scenario.Group}", StringComparison.Ordinal));
        var reads = world.Graph.Requests.Skip(before).ToList();
        Assert.NotEmpty(reads);
        Assert.All(reads, r => Assert.Null(r.Header("Authorization")));
    }

    [Fact]
    public async Task Instances_PimBridge_cannot_read_are_reported_by_the_PIM_read()
    {
        world.Tenant.AddInstance(GraphJson.Instance($"{_scenario.Group}_approver_x", _scenario.EntraUserId, _scenario.Group, accessId: "approver"));

        var run = await _scenario.RunAsync("doctor");

        var pim = Assert.Single(Lines(run, "PASS"), l => l.Contains($"PIM read of group {_scenario.Group}", StringComparison.Ordinal));
        Assert.Contains("1 instance skipped, first:", pim);
        Assert.Contains($"{_scenario.Group}_approver_x", pim);
    }

    [Fact]
    public async Task A_wrong_instance_arn_fails_the_Identity_Center_lines_with_fixes()
    {
        _scenario.WriteConfig(instanceArn: "arn:aws:sso:::instance/ssoins-0000000000000000");

        var run = await _scenario.RunAsync("doctor");

        Assert.Equal(ExitCodes.DoctorFoundProblems, run.ExitCode);
        var instance = Assert.Single(Lines(run, "FAIL"), l => l.Contains("Identity Center instance:", StringComparison.Ordinal));
        Assert.Contains("lists no permission sets, yet mappings name one", instance);
        var fixes = run.Output.Split('\n').Where(l => l.TrimStart().StartsWith("fix:", StringComparison.Ordinal)).ToList();
        Assert.Contains(fixes, f => f.Contains("Check IdentityCenter.InstanceArn and IdentityCenter.Region", StringComparison.Ordinal));
        Assert.Single(Lines(run, "SKIP"), l => l.Contains($"Mapping '{_scenario.Mapping}': needs the Identity Center instance.", StringComparison.Ordinal));
        // What does not depend on the instance still passes.
        Assert.Single(Lines(run, "PASS"), l => l.Contains($"PIM read of group {_scenario.Group}", StringComparison.Ordinal));
        Assert.Contains("doctor found 1 problem; each failed line says what to do.", run.Error);
    }

    [Fact]
    public async Task An_unreachable_Graph_fails_the_PIM_read_with_a_fix()
    {
        var closed = EngineCommandWorld.ClosedLoopbackUrl();
        _scenario.WriteConfig(graphBaseUrl: closed);

        var run = await _scenario.RunAsync("doctor");

        Assert.Equal(ExitCodes.DoctorFoundProblems, run.ExitCode);
        var failed = Assert.Single(Lines(run, "FAIL"));
        Assert.Contains($"PIM read of group {_scenario.Group}: mapping {_scenario.Mapping}:", failed);
        var fix = run.Output.Split('\n').SkipWhile(l => !l.StartsWith("FAIL", StringComparison.Ordinal)).Skip(1).First();
        Assert.Contains($"fix: Check network access to {closed}", fix);
        Assert.Single(Lines(run, "PASS"), l => l.Contains("Mapping '", StringComparison.Ordinal)); // AWS is fine
    }

    [Fact]
    public async Task The_webhooks_settings_are_checked_where_they_are_set()
    {
        var elsewhere = await _scenario.RunAsync("doctor");
        var unauthenticated = await _scenario.RunWithHostSettingsAsync(new Dictionary<string, string?> { ["PimBridge:Host:EventsPath"] = "/api/events" }, "doctor");
        var leftover = await _scenario.RunWithHostSettingsAsync(new Dictionary<string, string?>
        {
            ["PimBridge:Host:SharedSecret:Secret"] = "shared-secret-abcdefghijklmnop", ["PimBridge:Host:ClientState"] = "an-old-secret",
        }, "doctor");
        var badOrigin = await _scenario.RunWithHostSettingsAsync(new Dictionary<string, string?>
        {
            ["PimBridge:Host:SharedSecret:Secret"] = "shared-secret-abcdefghijklmnop", ["PimBridge:Host:AllowedWebHookOrigins:0"] = "https://eventgrid.azure.net/",
        }, "doctor");
        var good = await _scenario.RunWithHostSettingsAsync(new Dictionary<string, string?> { ["PimBridge:Host:SharedSecret:Secret"] = "shared-secret-abcdefghijklmnop" }, "doctor");

        Assert.True(elsewhere.ExitCode == ExitCodes.Success, elsewhere.ToString());
        Assert.Single(Lines(elsewhere, "NOT CHECKED"), l => l.Contains("Webhook settings", StringComparison.Ordinal));

        Assert.Equal(ExitCodes.DoctorFoundProblems, unauthenticated.ExitCode);
        Assert.Single(Lines(unauthenticated, "FAIL"), l => l.Contains("Webhook authentication", StringComparison.Ordinal) && l.Contains("401", StringComparison.Ordinal));
        Assert.Contains("PimBridge:Host:SharedSecret:Secret", unauthenticated.Output);

        Assert.Equal(ExitCodes.DoctorFoundProblems, leftover.ExitCode);
        Assert.Single(Lines(leftover, "FAIL"), l => l.Contains("Webhook settings", StringComparison.Ordinal));
        Assert.Contains("Entra.Subscriptions.ClientState", leftover.Output);

        Assert.Equal(ExitCodes.DoctorFoundProblems, badOrigin.ExitCode);
        Assert.Single(Lines(badOrigin, "FAIL"), l => l.Contains("Webhook settings", StringComparison.Ordinal));
        Assert.Contains("'https://eventgrid.azure.net/'", badOrigin.Output);

        Assert.True(good.ExitCode == ExitCodes.Success, good.ToString());
        Assert.Single(Lines(good, "PASS"), l => l.Contains("Webhook authentication", StringComparison.Ordinal) && l.Contains("shared secret", StringComparison.Ordinal));
        Assert.Single(Lines(good, "PASS"), l => l.Contains("Webhook settings", StringComparison.Ordinal) && l.Contains("handshake granted to eventgrid.azure.net", StringComparison.Ordinal));
        Assert.Single(Lines(good, "PASS"), l => l.Contains("Graph notification clientState", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_json_form_lists_every_check_with_its_status_and_fix()
    {
        await WriteFullConfigAsync();
        var good = await _scenario.RunAsync("doctor", "--json");
        _scenario.WriteConfig(instanceArn: "arn:aws:sso:::instance/ssoins-0000000000000000", graphBaseUrl: EngineCommandWorld.ClosedLoopbackUrl());
        var bad = await _scenario.RunAsync("doctor", "--json");

        Assert.True(good.ExitCode == ExitCodes.Success, good.ToString());
        var passed = JsonNode.Parse(good.Output)!;
        Assert.True(passed["ok"]!.GetValue<bool>());
        var checks = passed["checks"]!.AsArray().Select(c => c!).ToList();
        Assert.Equal(0, passed["summary"]!["fail"]!.GetValue<int>());
        Assert.Equal(checks.Count(c => c["status"]!.GetValue<string>() == "pass"), passed["summary"]!["pass"]!.GetValue<int>());
        Assert.Equal("pass", checks.Single(c => c["id"]!.GetValue<string>() == "gap-source")["status"]!.GetValue<string>());
        Assert.Equal("pass", checks.Single(c => c["id"]!.GetValue<string>() == $"pim:{_scenario.Group}")["status"]!.GetValue<string>());
        var writes = checks.Single(c => c["id"]!.GetValue<string>() == "aws-writes");
        Assert.Equal("not-checked", writes["status"]!.GetValue<string>());
        Assert.Contains("sso:ProvisionPermissionSet", writes["fix"]!.GetValue<string>());

        Assert.Equal(ExitCodes.DoctorFoundProblems, bad.ExitCode);
        var failed = JsonNode.Parse(bad.Output)!;
        Assert.False(failed["ok"]!.GetValue<bool>());
        var failures = failed["checks"]!.AsArray().Select(c => c!).Where(c => c["status"]!.GetValue<string>() == "fail").ToList();
        Assert.Equal(new[] { "identity-center", $"pim:{_scenario.Group}" }, failures.Select(c => c["id"]!.GetValue<string>()));
        Assert.All(failures, f => Assert.False(string.IsNullOrWhiteSpace(f["fix"]!.GetValue<string>())));
        Assert.Equal(2, failed["summary"]!["fail"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_invalid_configuration_fails_with_every_problem_and_skips_what_needs_it()
    {
        File.WriteAllText(_scenario.ConfigPath, """
            {
              "IdentityCenter": { "InstanceArn": "ssoins-123", "IdentityStoreId": "d-1234567890", "Region": "eu-west-1" },
              "Mappings": [ { "Name": "admins", "EntraGroupId": "not-a-guid", "AccountAssignments": { "PermissionSet": "Admin", "Accounts": [ "111111111111" ] } } ],
              "Entra": { "Mode": "Telepathy" }
            }
            """);

        var run = await _scenario.RunAsync("doctor");

        Assert.Equal(ExitCodes.DoctorFoundProblems, run.ExitCode);
        Assert.Single(Lines(run, "FAIL"), l => l.Contains("Configuration file: ", StringComparison.Ordinal) && l.Contains("(2 problems)", StringComparison.Ordinal));
        Assert.Contains("- IdentityCenter.InstanceArn: 'ssoins-123' is not an Identity Center instance ARN", run.Output);
        Assert.Contains("- Mappings[0].EntraGroupId: 'not-a-guid' is not an Entra object id", run.Output);
        Assert.Single(Lines(run, "FAIL"), l => l.Contains("Entra settings: ", StringComparison.Ordinal));
        Assert.Contains("Entra.Mode: 'Telepathy' is not a credential mode", run.Output);
        Assert.Single(Lines(run, "SKIP"), l => l.Contains("Identity Center instance: needs a valid configuration file.", StringComparison.Ordinal));
        Assert.Single(Lines(run, "SKIP"), l => l.Contains("Microsoft Graph sign-in: needs valid Entra settings.", StringComparison.Ordinal));
        Assert.Single(Lines(run, "PASS"), l => l.Contains("State store: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_state_file_fails_the_store_line_and_nothing_is_created()
    {
        var missing = Path.Combine(_scenario.Folder, "elsewhere", "pimbridge.db");

        var run = await _scenario.RunWithoutStoreAsync("doctor", "--store", missing);

        Assert.Equal(ExitCodes.DoctorFoundProblems, run.ExitCode);
        var store = Assert.Single(Lines(run, "FAIL"));
        Assert.Contains($"State store: No PimBridge state file at '{missing}'", store);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task A_state_file_not_created_yet_in_an_existing_folder_passes_and_names_the_command_that_creates_it()
    {
        var first = Path.Combine(_scenario.Folder, "first.db");

        var run = await _scenario.RunWithoutStoreAsync("doctor", "--store", first);

        var store = Assert.Single(Lines(run, "PASS"), l => l.Contains("State store: ", StringComparison.Ordinal));
        Assert.Contains($"SQLite file {first} does not exist yet", store);
        Assert.Contains("`pimbridge reconcile` or `pimbridge serve` creates it", store);
        Assert.False(File.Exists(first));
    }

    /// <summary>The file `pimbridge init` writes has no Subscriptions: PIM can still be read, so doctor checks that.</summary>
    [Fact]
    public async Task An_Entra_section_without_Subscriptions_still_has_PIM_read_and_says_serve_needs_them()
    {
        _scenario.WriteConfig(subscriptions: false);

        var run = await _scenario.RunAsync("doctor");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Single(Lines(run, "NOT CHECKED"), l => l.Contains(" Entra settings: ", StringComparison.Ordinal) && l.Contains("no Subscriptions", StringComparison.Ordinal));
        Assert.Contains("`pimbridge serve` needs them", run.Output);
        Assert.Single(Lines(run, "PASS"), l => l.Contains(" Microsoft Graph sign-in: ", StringComparison.Ordinal));
        Assert.Single(Lines(run, "PASS"), l => l.Contains($" PIM read of group {_scenario.Group}: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_timeout_that_is_not_a_duration_is_refused()
    {
        var run = await _scenario.RunAsync("doctor", "--timeout", "forever");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("--timeout 'forever' is not a positive duration", run.Error);
    }
}
