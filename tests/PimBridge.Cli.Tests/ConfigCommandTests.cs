using System.Text.Json;

namespace PimBridge.Cli.Tests;

/// <summary><c>pimbridge config validate</c>: the engine settings, the notification sinks and the gap source, offline.</summary>
public sealed class ConfigCommandTests : IDisposable
{
    private const string IdentityCenter = """
        "IdentityCenter": { "InstanceArn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "IdentityStoreId": "d-1234567890", "Region": "eu-west-1" }
        """;

    private const string Mappings = """
        "Mappings": [
          { "Name": "ops-admin", "EntraGroupId": "11111111-1111-1111-1111-111111111111", "MaxDuration": "8h",
            "AccountAssignments": { "PermissionSet": "Admin", "Accounts": ["111111111111", "222222222222"] } },
          { "Name": "platform", "EntraGroupId": "33333333-3333-3333-3333-333333333333", "IdentityCenterGroup": { "DisplayName": "Platform" } },
        ]
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("pimbridge-cli-config-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_root, $"pimbridge-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private string ValidFile() => Write($$"""
        {
          // The file a deployment would use: comments and trailing commas are allowed.
          {{IdentityCenter}},
          {{Mappings}},
          "Notifications": {
            "Sinks": [
              { "Name": "security-slack", "Type": "slack", "Url": "https://hooks.slack.com/services/T000/B000/XXXX", "MinimumSeverity": "warning" },
              { "Name": "audit-log", "Type": "log", "Kinds": ["alert", "access-live", "access-removed"] },
            ],
          },
          "Gaps": { "Source": { "Type": "lookup-events", "AuditRoleName": "PimBridgeAudit" } },
          "Entra": { "TenantId": "checked by the Entra component, not here" },
        }
        """);

    [Fact]
    public async Task A_valid_file_prints_valid_and_what_it_sets_up()
    {
        var file = ValidFile();

        var run = await CliRun.RunAsync("config", "validate", "--config", file);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        var lines = run.Output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal($"valid: {file}", lines[0]);
        Assert.Equal("Identity Center: arn:aws:sso:::instance/ssoins-0123456789abcdef in eu-west-1 (identity store d-1234567890, users matched by userPrincipalName)", lines[1]);
        Assert.Equal("Mappings: 2", lines[2]);
        Assert.Equal("  ops-admin: Entra group 11111111-1111-1111-1111-111111111111 (member) -> permission set Admin in 111111111111, 222222222222; at most 8h", lines[3]);
        Assert.Equal("  platform: Entra group 33333333-3333-3333-3333-333333333333 (member) -> Identity Center group Platform", lines[4]);
        Assert.StartsWith("State store (not part of this file): ", lines[5]);
        Assert.Equal("Notification sinks: 2", lines[6]);
        Assert.Equal("  security-slack: slack; alert (from warning)", lines[7]);
        Assert.Equal("  audit-log: log; alert, access-live, access-removed (from info)", lines[8]);
        Assert.Equal("Gap source: lookup-events (role PimBridgeAudit in each account) in eu-west-1", lines[9]);
        Assert.Equal(10, lines.Count);
    }

    [Fact]
    public async Task Json_of_a_valid_file_has_the_summary()
    {
        var file = ValidFile();

        var run = await CliRun.RunAsync("config", "validate", "--config", file, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var root = document.RootElement;
        Assert.Equal(["valid", "file", "problems", "summary", "placeholders"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0, root.GetProperty("placeholders").GetArrayLength()); // none of `pimbridge init`'s placeholders
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(file, root.GetProperty("file").GetString());
        Assert.Equal(0, root.GetProperty("problems").GetArrayLength());
        var summary = root.GetProperty("summary");
        Assert.Equal(["identityCenter", "mappings", "store", "sinks", "gapSource"], summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal("eu-west-1", summary.GetProperty("identityCenter").GetProperty("region").GetString());
        var mappings = summary.GetProperty("mappings").EnumerateArray().ToList();
        Assert.Equal(["ops-admin", "platform"], mappings.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("Admin", mappings[0].GetProperty("permissionSet").GetString());
        Assert.Equal("8h", mappings[0].GetProperty("maxDuration").GetString());
        Assert.Equal(JsonValueKind.Null, mappings[0].GetProperty("identityCenterGroup").ValueKind);
        Assert.Equal("Platform", mappings[1].GetProperty("identityCenterGroup").GetString());
        Assert.True(mappings[1].GetProperty("fenceSessions").GetBoolean());
        Assert.EndsWith("pimbridge.db", summary.GetProperty("store").GetProperty("sqlitePath").GetString());
        var sinks = summary.GetProperty("sinks").EnumerateArray().ToList();
        Assert.Equal(["security-slack", "audit-log"], sinks.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal("slack", sinks[0].GetProperty("type").GetString());
        Assert.Equal(["alert"], sinks[0].GetProperty("kinds").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal("warning", sinks[0].GetProperty("minimumSeverity").GetString());
        var gap = summary.GetProperty("gapSource");
        Assert.Equal("lookup-events", gap.GetProperty("type").GetString());
        Assert.Equal(["eu-west-1"], gap.GetProperty("regions").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Without_sinks_or_a_gap_source_the_summary_says_so()
    {
        var file = Write($"{{ {IdentityCenter}, {Mappings} }}");

        var run = await CliRun.RunAsync("config", "validate", "--config", file);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Notification sinks: none (alerts are only stored)", run.Output);
        Assert.Contains("Gap source: none (the gap detector is off)", run.Output);
    }

    [Fact]
    public async Task An_unknown_key_and_a_bad_sink_are_both_listed_with_their_fixes()
    {
        var file = Write($$"""
            {
              {{IdentityCenter}},
              {{Mappings}},
              "Fences": { "CutofMargin": "30m" },
              "Notifications": { "Sinks": [ { "Name": "security-slack", "Type": "slack" } ] }
            }
            """);

        var run = await CliRun.RunAsync("config", "validate", "--config", file);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        var lines = run.Error.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal($"error: The configuration '{file}' is not valid (2 problems):", lines[0]);
        Assert.Equal("  - Fences.CutofMargin: PimBridge has no such setting; check the spelling (docs/engine.md lists every setting) or remove it.", lines[1]);
        Assert.StartsWith("  - Notifications.Sinks[0] 'security-slack'.Url: missing; set it to the Slack incoming webhook URL", lines[2]);
        Assert.Equal(3, lines.Count);
    }

    [Fact]
    public async Task A_sink_with_a_plain_http_url_is_refused()
    {
        var file = Write($$"""
            { {{IdentityCenter}}, {{Mappings}},
              "Notifications": { "Sinks": [ { "Name": "hooks", "Type": "webhook", "Url": "http://alerts.example.com/pimbridge", "MinimumSeverity": "severe" } ] } }
            """);

        var run = await CliRun.RunAsync("config", "validate", "--config", file, "--json");

        Assert.True(run.ExitCode == 2, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var root = document.RootElement;
        Assert.False(root.GetProperty("valid").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("summary").ValueKind);
        var problems = root.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Notifications.Sinks[0] 'hooks'.MinimumSeverity: 'severe' is not a severity", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Notifications.Sinks[0] 'hooks'.Url:", StringComparison.Ordinal) && p.Contains("use https", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_gap_source_missing_its_bucket_is_refused()
    {
        var file = Write($$"""
            { {{IdentityCenter}}, {{Mappings}}, "Gaps": { "Source": { "Type": "s3", "Prefix": "s3://org-trail/logs" } } }
            """);

        var run = await CliRun.RunAsync("config", "validate", "--config", file);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("(2 problems)", run.Error);
        Assert.Contains("  - Gaps.Source.Bucket: required for 's3'; set the name of the bucket the organization trail delivers to.", run.Error);
        Assert.Contains("  - Gaps.Source.Prefix: 's3://org-trail/logs' is a URL;", run.Error);
    }

    [Fact]
    public async Task An_unknown_gap_source_type_is_reported_once()
    {
        var file = Write($$"""
            { {{IdentityCenter}}, {{Mappings}}, "Gaps": { "Source": { "Type": "cloudwatch" } } }
            """);

        var run = await CliRun.RunAsync("config", "validate", "--config", file, "--json");

        Assert.True(run.ExitCode == 2, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var problem = Assert.Single(document.RootElement.GetProperty("problems").EnumerateArray()).GetString();
        Assert.StartsWith("Gaps.Source.Type: 'cloudwatch' is not a source", problem);
    }

    [Fact]
    public async Task Engine_problems_are_listed_together()
    {
        var file = Write("""
            { "IdentityCenter": { "InstanceArn": "ssoins-123", "IdentityStoreId": "d-1234567890", "Region": "Ireland" }, "Mappings": [] }
            """);

        var run = await CliRun.RunAsync("config", "validate", "--config", file);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("(3 problems)", run.Error);
        Assert.Contains("  - IdentityCenter.InstanceArn: 'ssoins-123' is not an Identity Center instance ARN", run.Error);
        Assert.Contains("  - IdentityCenter.Region: 'Ireland' is not an AWS Region", run.Error);
        Assert.Contains("  - Mappings: none configured", run.Error);
    }

    [Theory]
    [InlineData("missing", "the configuration file does not exist")]
    [InlineData("{ \"IdentityCenter\": ", "not valid JSON")]
    public async Task A_missing_or_unreadable_file_exits_2(string content, string says)
    {
        var file = content == "missing" ? Path.Combine(_root, "pimbridge.json") : Write(content);

        var run = await CliRun.RunAsync("config", "validate", "--config", file);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(says, run.Error);
    }
}
