using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using PimBridge.Cli;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>pimbridge sandbox</c> as a newcomer runs it: the built-in scenario on a real moto_server, the Graph stub, the real
/// engine and gap detector, in process through the command line. It must pass, show each step of the timeline, and
/// leave nothing running or on disk; a scenario that expects the impossible must fail naming what was missing; a
/// malformed scenario must be refused before anything starts.
/// </summary>
public sealed partial class SandboxCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-sandbox-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_default_scenario_passes_prints_every_step_and_stops_everything_it_started()
    {
        var run = await CliRun.RunAsync("sandbox");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var output = run.Output;
        Assert.Matches(ActivationLine(), output);
        Assert.Matches(DeactivationLine(), output);
        Assert.Matches(ExpiryLine(), output);
        foreach (var cls in new[] { "credentials-after-expiry (critical)", "succeeded-before-fence (warning)", "blocked (info)", "succeeded-after-fence (critical)" })
            Assert.Matches($@"t\+\d\d:\d\d +activity after expiry → alert {Regex.Escape(cls)} in \d+ ms", output);
        Assert.Contains("(during the grant: no alert expected)", output, StringComparison.Ordinal);
        Assert.Contains("Admin's inline policy in Identity Center: 1 customer statement unchanged beside 1 PimBridge fence statement.", output, StringComparison.Ordinal);
        Assert.Contains("Passed: 12 of 12 expected outcomes observed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("MISSING", output, StringComparison.Ordinal);

        // Everything it started is gone: moto_server no longer answers, and the working folder was deleted.
        var endpoint = new Uri(MotoLine().Match(output).Groups[1].Value);
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(endpoint.Host, endpoint.Port));
        var state = StateLine().Match(output).Groups[1].Value;
        Assert.False(Directory.Exists(Path.GetDirectoryName(state)), $"{state} was left behind");
    }

    [Fact]
    public async Task The_burst_scenario_plays_ten_activations_and_their_expiries_at_once_and_every_one_is_granted_removed_and_fenced()
    {
        var file = Path.Combine(PimBridge.Testing.RepositoryRoot.Path, "src", "PimBridge.Sandbox", "Scenarios", "burst.json");

        var run = await CliRun.RunAsync("sandbox", "--scenario", file);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var output = run.Output;
        // All ten activate at t+00:00 and PIM lists them before any access is confirmed: a burst, not a queue.
        var lines = output.Split('\n');
        var activations = lines.Select((l, i) => (l, i)).Where(x => x.l.StartsWith("t+", StringComparison.Ordinal) && x.l.Contains("activates incident-responders", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, activations.Count);
        Assert.All(activations, a => Assert.StartsWith("t+00:00", a.l, StringComparison.Ordinal));
        var firstAccess = Array.FindIndex(lines, l => l.Contains("activation → AWS access in", StringComparison.Ordinal));
        Assert.True(firstAccess > activations.Max(a => a.i), output);
        for (var i = 1; i <= 10; i++)
        {
            Assert.Matches($@"eng{i:00}'s activation → AWS access in \d+ ms: IncidentAdmin in 111122223333, 444455556666", output);
            // Both accounts fenced: in one fence, or in two when the two removals were confirmed either side of a
            // scenario minute (a cutoff is a minute; at 60x a scenario minute is a real second).
            Assert.Matches($@"eng{i:00}'s expiry → removal and fence in \d+ ms \(removed after \d+ ms; fenced IncidentAdmin in (111122223333, 444455556666|111122223333; IncidentAdmin in 444455556666|444455556666; IncidentAdmin in 111122223333);", output);
        }

        Assert.Equal(10, lines.Count(l => l.StartsWith("t+20:00", StringComparison.Ordinal) && l.Contains("expires.", StringComparison.Ordinal)));
        Assert.Contains("Passed: 31 of 31 expected outcomes observed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_writes_the_outcome_summary_to_standard_output_and_keep_leaves_the_folder_to_inspect()
    {
        var run = await CliRun.RunAsync("sandbox", "--json", "--keep");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        using var document = JsonDocument.Parse(run.Output); // standard output is one JSON document, nothing else
        var root = document.RootElement;
        Assert.Equal("default", root.GetProperty("scenario").GetString());
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(12, root.GetProperty("outcomes").GetArrayLength());
        Assert.Empty(root.GetProperty("missing").EnumerateArray());
        Assert.All(root.GetProperty("outcomes").EnumerateArray(), o => Assert.True(o.GetProperty("met").GetBoolean(), o.ToString()));
        Assert.Contains(root.GetProperty("outcomes").EnumerateArray(), o =>
            o.GetProperty("outcome").GetString() == "alert" && o.GetProperty("observed").GetString() == "succeeded-after-fence (critical)");
        Assert.Contains(root.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "engine"
            && e.GetProperty("text").GetString()!.StartsWith("expiry → removal and fence in ", StringComparison.Ordinal));
        Assert.Matches(ActivationLine(), run.Error); // the live timeline went to standard error

        var kept = root.GetProperty("keptFolder").GetString()!;
        try
        {
            Assert.Contains($"Kept the working folder: {kept}", run.Error, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(kept, "state.db")));
            Assert.True(File.Exists(Path.Combine(kept, "README.txt")));
            Assert.Equal(5, Directory.GetFiles(Path.Combine(kept, "trail"), "*.json.gz", SearchOption.AllDirectories).Length);
        }
        finally
        {
            Directory.Delete(kept, recursive: true);
        }
    }

    [Fact]
    public async Task A_scenario_expecting_what_cannot_happen_fails_with_the_documented_code_and_names_what_was_missing()
    {
        // A call during the grant cannot raise an alert, and an activation that expires is not "deactivated".
        var file = Write("impossible.json", """
            {
              "name": "impossible",
              "permissionSets": [ { "name": "Admin", "sessionDuration": "1h" } ],
              "users": ["alice"],
              "groups": [ { "name": "prod-admins", "permissionSet": "Admin", "accounts": ["111122223333"] } ],
              "timeline": [
                { "at": "0m", "do": "activate", "user": "alice", "group": "prod-admins", "for": "10m" },
                { "at": "2m", "do": "aws-call", "user": "alice", "permissionSet": "Admin", "account": "111122223333", "call": "s3:ListBuckets", "expectAlert": "succeeded-after-fence" }
              ],
              "expect": [
                { "outcome": "access-granted", "user": "alice", "group": "prod-admins" },
                { "outcome": "access-removed", "user": "alice", "group": "prod-admins", "reason": "deactivated" }
              ]
            }
            """);

        var run = await CliRun.RunAsync("sandbox", "--scenario", file);

        Assert.True(run.ExitCode == ExitCodes.SandboxExpectationNotMet, run.ToString());
        Assert.Equal(5, ExitCodes.SandboxExpectationNotMet);
        Assert.Contains("The sandbox did not observe 2 expected outcomes of scenario 'impossible':", run.Error, StringComparison.Ordinal);
        Assert.Contains("  - alert: alice's s3:ListBuckets at t+02:00: expected succeeded-after-fence, observed none", run.Error, StringComparison.Ordinal);
        Assert.Matches(@"  - access-removed: alice via prod-admins: expected removed \(deactivated\), observed removed \(expired\) in \d+ ms", run.Error);
        Assert.Contains("Failed: 1 of 3 expected outcomes observed", run.Output, StringComparison.Ordinal);
        Assert.Contains("MISSING", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"name\": \"broken\", ", "is not JSON")]
    [InlineData("""
        {
          "name": "typos",
          "permissionSets": [ { "name": "Admin", "sessionDuration": "forever" } ],
          "users": ["alice"],
          "groups": [ { "name": "prod-admins", "permissionSet": "Admin", "accounts": ["111122223333"] } ],
          "timeline": [ { "at": "0m", "do": "activate", "user": "bob", "group": "prod-admins", "for": "10m" } ],
          "expect": [ { "outcome": "access-granted", "user": "alice", "group": "prod-admins" } ]
        }
        """, "$.permissionSets[0].sessionDuration: 'forever' is not a duration; write it like 0m, 90s, 20m, 1h or PT1H|$.timeline[0].user: 'bob' is not in users")]
    [InlineData("""
        {
          "name": "order",
          "permissionSets": [ { "name": "Admin", "sessionDuration": "1h" } ],
          "users": ["alice"],
          "groups": [ { "name": "prod-admins", "permissionSet": "Admin", "accounts": ["111122223333"] } ],
          "timeline": [
            { "at": "5m", "do": "deactivate", "user": "alice", "group": "prod-admins" },
            { "at": "6m", "do": "aws-call", "user": "alice", "permissionSet": "Admin", "account": "111122223333", "beforeFence": true, "expectAlert": "blocked" }
          ]
        }
        """, "$.timeline[0]: alice has no active activation in prod-admins at t+05:00 to deactivate|$.timeline[1]: beforeFence needs alice's fenced access to Admin in 111122223333 to have ended")]
    public async Task A_malformed_scenario_is_refused_before_anything_starts(string json, string expectedProblems)
    {
        var file = Write("bad.json", json);

        var run = await CliRun.RunAsync("sandbox", "--scenario", file);

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.StartsWith($"error: The scenario file '{file}' is not a valid sandbox scenario: ", run.Error, StringComparison.Ordinal);
        foreach (var problem in expectedProblems.Split('|'))
            Assert.Contains(problem, run.Error, StringComparison.Ordinal);
        Assert.Contains("See docs/sandbox.md for the format.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting moto_server", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_scenario_file_is_bad_input()
    {
        var missing = Path.Combine(_folder, "nope.json");

        var run = await CliRun.RunAsync("sandbox", "--scenario", missing);

        Assert.True(run.ExitCode == ExitCodes.BadInput, run.ToString());
        Assert.Contains($"The scenario file '{missing}' is not a valid sandbox scenario: it cannot be read", run.Error, StringComparison.Ordinal);
    }

    private string Write(string name, string json)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    [GeneratedRegex(@"t\+\d\d:\d\d +activation → AWS access in \d+ ms: Admin in 111122223333")]
    private static partial Regex ActivationLine();

    [GeneratedRegex(@"t\+\d\d:\d\d +deactivation → removal and fence in \d+ ms \(removed after \d+ ms; fenced ReadOnly in 111122223333, 444455556666;")]
    private static partial Regex DeactivationLine();

    [GeneratedRegex(@"t\+\d\d:\d\d +expiry → removal and fence in \d+ ms \(removed after \d+ ms; fenced Admin in 111122223333;")]
    private static partial Regex ExpiryLine();

    [GeneratedRegex(@"moto_server on (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex MotoLine();

    [GeneratedRegex(@"state in (\S+state\.db)")]
    private static partial Regex StateLine();
}
