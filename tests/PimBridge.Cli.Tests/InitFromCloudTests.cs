using PimBridge.Cli.Commands;
using PimBridge.Core.Configuration;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>init --from-aws</c> against a real moto_server and <c>init --from-entra</c> against the loopback Graph stub, through
/// the real clients; what they write passes <c>config validate</c>.
/// </summary>
[Collection(EngineCommandCollection.Name)]
public sealed class InitFromCloudTests(EngineCommandWorld world) : IAsyncLifetime
{
    private EngineScenario _scenario = null!;

    private string Written => Path.Combine(_scenario.Folder, "written.json");

    public async Task InitializeAsync() => _scenario = await EngineScenario.CreateAsync(world);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    /// <summary>Runs <c>pimbridge</c> pointed at moto (PimBridge:AwsEndpoint) and the stub's credential, with no --config.</summary>
    private async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit;
        using (EngineEnvironment.Use(world.Environment))
            exit = await PimBridgeCommandLine.RunAsync(args, CliConsole.Capture(output, error, TimeProvider.System));
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    private PimBridgeSettings Load() => PimBridgeConfiguration.Load(Written, useEnvironment: false, otherSections: ["Entra"]);

    /// <summary>A group of the directory that PIM governs (it has an eligibility schedule), named after the scenario.</summary>
    private (string Id, string Name) AddPimGroup(string name, string accessId = "member")
    {
        var id = Guid.NewGuid().ToString();
        world.Tenant.AddDirectoryGroup(GraphJson.DirectoryGroup(id, name))
            .AddEligibility(GraphJson.EligibilitySchedule($"{id}_{accessId}_1", _scenario.EntraUserId, id, accessId));
        return (id, name);
    }

    [Fact]
    public async Task From_AWS_it_reads_the_instance_and_writes_a_mapping_per_provisioned_permission_set_for_a_person_to_give_a_group()
    {
        var run = await RunAsync("init", "--from-aws", "--region", EngineCommandWorld.Region, "--output", Written);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"Wrote {Written} from AWS:", run.Output);
        var settings = Load();
        Assert.Equal(world.InstanceArn, settings.IdentityCenter.InstanceArn);
        Assert.Equal(world.IdentityStoreId, settings.IdentityCenter.IdentityStoreId);
        Assert.Equal(EngineCommandWorld.Region, settings.IdentityCenter.Region);
        var mapping = Assert.Single(settings.Mappings, m => m.PermissionSet == _scenario.PermissionSetName);
        Assert.Equal(_scenario.PermissionSetName, mapping.Name);
        Assert.Equal(["123456789012"], mapping.Accounts); // moto 5.2.1 lists its own account for any provisioned permission set
        Assert.Equal("00000000-0000-0000-0000-000000000000", mapping.EntraGroupId);
        Assert.Contains($"// Permission set \"{_scenario.PermissionSetName}\"", await File.ReadAllTextAsync(Written));

        var validate = await CliRun.RunAsync("config", "validate", "--config", Written);

        Assert.True(validate.ExitCode == ExitCodes.Success, validate.ToString());
        Assert.Contains($"('{_scenario.PermissionSetName}').EntraGroupId: put the Object ID of the Entra group", validate.Output);
        Assert.DoesNotContain("IdentityCenter.InstanceArn:", validate.Output);
    }

    [Fact]
    public async Task From_Entra_it_writes_a_mapping_per_PIM_enabled_group_with_its_id_and_name()
    {
        var admins = AddPimGroup($"AWS Admins {_scenario.Mapping}");
        var owners = AddPimGroup($"AWS Owners {_scenario.Mapping}", accessId: "owner");
        var plain = Guid.NewGuid().ToString();
        world.Tenant.AddDirectoryGroup(GraphJson.DirectoryGroup(plain, $"Everyone {_scenario.Mapping}"));

        var run = await RunAsync("init", "--from-entra", "--graph-url", world.Graph.BaseUrl, "--region", EngineCommandWorld.Region, "--output", Written);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"Wrote {Written} from Entra:", run.Output);
        var settings = Load();
        var member = Assert.Single(settings.Mappings, m => m.EntraGroupId == admins.Id);
        Assert.Equal($"AWS-Admins-{_scenario.Mapping}", member.Name);
        Assert.Equal(Core.Domain.PimAccess.Member, member.Access);
        Assert.Equal(Core.Domain.PimAccess.Owner, Assert.Single(settings.Mappings, m => m.EntraGroupId == owners.Id).Access);
        Assert.DoesNotContain(settings.Mappings, m => m.EntraGroupId == plain);
        var text = await File.ReadAllTextAsync(Written);
        Assert.Contains($"// Entra group \"{admins.Name}\" (member eligibility in PIM).", text);
        Assert.Contains($"\"GraphBaseUrl\": \"{world.Graph.BaseUrl}\"", text);

        var validate = await CliRun.RunAsync("config", "validate", "--config", Written);

        Assert.True(validate.ExitCode == ExitCodes.Success, validate.ToString());
        Assert.Contains($"('{member.Name}').AccountAssignments.PermissionSet: name the permission set", validate.Output);
    }

    [Fact]
    public async Task Both_together_give_each_group_a_mapping_and_list_the_permission_sets_to_copy_into_them()
    {
        var admins = AddPimGroup($"AWS Admins {_scenario.Mapping}");

        var run = await RunAsync("init", "--from-aws", "--from-entra", "--graph-url", world.Graph.BaseUrl, "--region", EngineCommandWorld.Region, "--output", Written);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"Wrote {Written} from AWS and Entra:", run.Output);
        var settings = Load();
        Assert.Equal(world.InstanceArn, settings.IdentityCenter.InstanceArn);
        Assert.Equal("REPLACE-ME", Assert.Single(settings.Mappings, m => m.EntraGroupId == admins.Id).PermissionSet);
        Assert.DoesNotContain(settings.Mappings, m => m.EntraGroupId == "00000000-0000-0000-0000-000000000000");
        Assert.Contains($"//   {{ \"PermissionSet\": \"{_scenario.PermissionSetName}\", \"Accounts\": [ \"123456789012\" ] }}", await File.ReadAllTextAsync(Written));

        var validate = await CliRun.RunAsync("config", "validate", "--config", Written);
        Assert.True(validate.ExitCode == ExitCodes.Success, validate.ToString());
    }

    [Fact]
    public async Task An_instance_the_Region_does_not_have_is_refused_with_the_ones_it_has()
    {
        var run = await RunAsync("init", "--from-aws", "--region", EngineCommandWorld.Region, "--instance-arn", "arn:aws:sso:::instance/ssoins-ffffffffffffffff", "--output", Written);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains($"is not an instance in {EngineCommandWorld.Region}; the instances there: {world.InstanceArn}", run.Error);
        Assert.False(File.Exists(Written));
    }
}
