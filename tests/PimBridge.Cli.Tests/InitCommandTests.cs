using System.Text.Json.Nodes;
using PimBridge.Core.Configuration;
using PimBridge.Testing;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>init</c> without AWS or Entra: the template, a person's answers, and the file it refuses to replace. Whatever it
/// writes passes <c>config validate</c>, which lists the placeholders left.
/// </summary>
public sealed class InitCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-cli-init-").FullName;

    private string File1 => Path.Combine(_folder, "pimbridge.json");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs <c>pimbridge</c> with a person at the terminal giving <paramref name="answers"/>, one a line.</summary>
    private static async Task<CliRun> RunAnsweringAsync(string answers, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await PimBridgeCommandLine.RunAsync(args, CliConsole.Capture(output, error, new ManualTimeProvider(CliRun.Now), new StringReader(answers)));
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Without_flags_or_a_terminal_it_writes_a_commented_template_that_validate_passes_and_lists_what_to_replace()
    {
        var run = await CliRun.RunAsync("init", "--output", File1, "--region", "eu-west-1");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"Wrote {File1} as a template: 1 mapping, 5 values to replace (marked REPLACE).", run.Output);
        Assert.Contains($"pimbridge config validate --config {File1}", run.Output);
        var text = await File.ReadAllTextAsync(File1);
        Assert.StartsWith("// PimBridge configuration, written by `pimbridge init` as a template.", text);
        Assert.Contains("// REPLACE: the Object ID of the Entra group", text);
        Assert.Contains("Add your mappings here.", text);

        var validate = await CliRun.RunAsync("config", "validate", "--config", File1);

        Assert.True(validate.ExitCode == ExitCodes.Success, validate.ToString());
        Assert.Contains("Still to replace (5 placeholders `pimbridge init` wrote", validate.Output);
        Assert.Contains("- IdentityCenter.InstanceArn: copy the instance ARN", validate.Output);
        Assert.Contains("- IdentityCenter.IdentityStoreId:", validate.Output);
        Assert.Contains("- Mappings[0] ('example').EntraGroupId:", validate.Output);
        Assert.Contains("- Mappings[0] ('example').AccountAssignments.PermissionSet:", validate.Output);
        Assert.Contains("- Mappings[0] ('example').AccountAssignments.Accounts:", validate.Output);
        var json = await CliRun.RunAsync("config", "validate", "--config", File1, "--json");
        Assert.Equal(5, JsonNode.Parse(json.Output)!["placeholders"]!.AsArray().Count);
        Assert.Equal("eu-west-1", PimBridgeConfiguration.Load(File1, useEnvironment: false, otherSections: ["Entra"]).IdentityCenter.Region);
    }

    [Fact]
    public async Task An_existing_file_is_kept_unless_force_is_given()
    {
        await File.WriteAllTextAsync(File1, "{ \"mine\": true }");

        var refused = await CliRun.RunAsync("init", "--output", File1);

        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.Contains($"'{File1}' already exists", refused.Error);
        Assert.Contains("pass --force to replace it", refused.Error);
        Assert.Equal("{ \"mine\": true }", await File.ReadAllTextAsync(File1));

        var replaced = await CliRun.RunAsync("init", "--output", File1, "--force");

        Assert.True(replaced.ExitCode == ExitCodes.Success, replaced.ToString());
        Assert.Equal(ExitCodes.Success, (await CliRun.RunAsync("config", "validate", "--config", File1)).ExitCode);
        Assert.Equal([Path.GetFileName(File1)], Directory.GetFiles(_folder).Select(Path.GetFileName)); // no draft left behind
    }

    [Fact]
    public async Task A_person_at_the_terminal_is_asked_for_the_instance_and_a_wrong_answer_is_explained_and_asked_again()
    {
        const string arn = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
        var run = await RunAnsweringAsync($"ssoins-123\n{arn}\nd-9876543210\neu-central-1\n", "init", "--output", File1);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Identity Center instance ARN", run.Error);
        Assert.Contains("'ssoins-123' is not an Identity Center instance ARN", run.Error);
        Assert.Contains($"Wrote {File1} from your answers: 1 mapping, 3 values to replace", run.Output);
        var settings = PimBridgeConfiguration.Load(File1, useEnvironment: false, otherSections: ["Entra"]);
        Assert.Equal(arn, settings.IdentityCenter.InstanceArn);
        Assert.Equal("d-9876543210", settings.IdentityCenter.IdentityStoreId);
        Assert.Equal("eu-central-1", settings.IdentityCenter.Region);

        var validate = await CliRun.RunAsync("config", "validate", "--config", File1);
        Assert.True(validate.ExitCode == ExitCodes.Success, validate.ToString());
        Assert.DoesNotContain("IdentityCenter.", validate.Output[validate.Output.IndexOf("Still to replace", StringComparison.Ordinal)..]);
    }

    [Fact]
    public async Task Values_given_as_options_are_written_and_a_wrong_one_is_refused_with_the_validators_reason()
    {
        var refused = await CliRun.RunAsync("init", "--output", File1, "--instance-arn", "ssoins-123");

        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.Contains("--instance-arn: IdentityCenter.InstanceArn: 'ssoins-123' is not an Identity Center instance ARN", refused.Error);
        Assert.False(File.Exists(File1));

        var run = await CliRun.RunAsync("init", "--output", File1, "--instance-arn", "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            "--identity-store-id", "d-9876543210", "--region", "ap-southeast-2", "--tenant", "contoso.onmicrosoft.com");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var settings = PimBridgeConfiguration.Load(File1, useEnvironment: false, otherSections: ["Entra"]);
        Assert.Equal("ap-southeast-2", settings.IdentityCenter.Region);
        Assert.Contains("\"TenantId\": \"contoso.onmicrosoft.com\"", await File.ReadAllTextAsync(File1));
    }

    [Fact]
    public async Task A_folder_that_does_not_exist_is_refused()
    {
        var nowhere = Path.Combine(_folder, "nowhere", "pimbridge.json");

        var run = await CliRun.RunAsync("init", "--output", nowhere);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("does not exist; create it, or give --output a file in an existing folder", run.Error);
    }
}
