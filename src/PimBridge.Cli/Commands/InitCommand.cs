using System.CommandLine;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using PimBridge.Aws;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Cli.Init;
using PimBridge.Cli.Output;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Entra;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge init [--from-aws] [--from-entra] [--output FILE] [--force]</c>: writes a commented starter
/// <c>pimbridge.json</c>. With <c>--from-aws</c> it reads the Identity Center instance, its permission sets and their
/// accounts; with <c>--from-entra</c>, the PIM-enabled Entra groups; without either it asks for the instance (when a
/// person is at the terminal) or writes a template. What it cannot know is a placeholder marked REPLACE. The file always
/// passes <c>pimbridge config validate</c>, which lists the placeholders left; init checks that before it writes.
/// </summary>
internal static class InitCommand
{
    private const string FallbackRegion = "us-east-1";

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var output = new Option<string?>("--output")
        {
            Description = $"The file to write (default: ${ConfigFileOption.ConfigVariable}, else ./{ConfigFileOption.DefaultFile}).",
            HelpName = "file",
        };
        var force = new Option<bool>("--force") { Description = "Replace the file if it already exists." };
        var fromAws = new Option<bool>("--from-aws")
        {
            Description = "Read IAM Identity Center with your AWS credentials (the instance, its identity store, the permission sets and their accounts): one mapping per provisioned permission set.",
        };
        var fromEntra = new Option<bool>("--from-entra")
        {
            Description = "List the PIM-enabled Entra groups through Microsoft Graph, signed in as you (Azure CLI, environment): one mapping per group.",
        };
        var region = new Option<string?>("--region")
        {
            Description = "Identity Center's Region (default: AWS_REGION, AWS_DEFAULT_REGION, or the AWS profile's region).",
            HelpName = "region",
        };
        var instanceArn = new Option<string?>("--instance-arn")
        {
            Description = "The Identity Center instance: with --from-aws, which one when the Region has several; without, the value to write.",
            HelpName = "arn",
        };
        var identityStoreId = new Option<string?>("--identity-store-id") { Description = "The identity store id to write (--from-aws reads it).", HelpName = "id" };
        var tenant = new Option<string?>("--tenant") { Description = "The Entra tenant (directory id or domain) to sign in to, written as Entra.TenantId.", HelpName = "tenant" };
        var graphUrl = new Option<string?>("--graph-url")
        {
            Description = $"Microsoft Graph's base URL (default {GraphClients.DefaultBaseUrl}), written as Entra.GraphBaseUrl: for sovereign clouds.",
            HelpName = "url",
        };
        var command = new Command("init", "Write a commented starter configuration file: from AWS and Entra, from your answers, or as a template to complete.")
        {
            output, force, fromAws, fromEntra, region, instanceArn, identityStoreId, tenant, graphUrl,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(fromAws) && result.GetResult(identityStoreId) is not null)
                result.AddError("--identity-store-id cannot be used with --from-aws, which reads it from the instance.");
        });
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(new InitRequest(
            Output: parseResult.GetValue(output) is { Length: > 0 } given ? given
                : Environment.GetEnvironmentVariable(ConfigFileOption.ConfigVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
                : ConfigFileOption.DefaultFile,
            OutputGiven: parseResult.GetResult(output) is not null,
            Force: parseResult.GetValue(force),
            FromAws: parseResult.GetValue(fromAws),
            FromEntra: parseResult.GetValue(fromEntra),
            Region: Blank(parseResult.GetValue(region)),
            InstanceArn: Blank(parseResult.GetValue(instanceArn)),
            IdentityStoreId: Blank(parseResult.GetValue(identityStoreId)),
            Tenant: Blank(parseResult.GetValue(tenant)),
            GraphUrl: Blank(parseResult.GetValue(graphUrl))), console, ct), cancellationToken));
        return command;
    }

    private sealed record InitRequest(
        string Output, bool OutputGiven, bool Force, bool FromAws, bool FromEntra, string? Region, string? InstanceArn, string? IdentityStoreId, string? Tenant, string? GraphUrl);

    /// <summary>What Identity Center is, from AWS, a person, the options or placeholders.</summary>
    private sealed record IdentityCenterValues(string InstanceArn, string IdentityStoreId, string Region, IReadOnlyList<string> Notes, IReadOnlyList<PermissionSetInventory>? PermissionSets);

    private static async Task<int> RunAsync(InitRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(request.Output);
        if (Directory.Exists(path))
            throw new CliInputException($"'{path}' is a folder; give --output the path of the file to write.");
        if (File.Exists(path) && !request.Force)
            throw new CliInputException($"'{path}' already exists, and init does not replace a configuration unasked; pass --force to replace it, or --output FILE to write another file.");
        if (Path.GetDirectoryName(path) is { } folder && !Directory.Exists(folder))
            throw new CliInputException($"The folder of '{path}' does not exist; create it, or give --output a file in an existing folder.");

        var entra = new EntraOptions { Mode = nameof(EntraCredentialMode.Developer), TenantId = request.Tenant, GraphBaseUrl = request.GraphUrl };
        if (entra.Problems(subscriptions: false) is { Count: > 0 } entraProblems)
            throw new CliInputException($"--tenant or --graph-url is not usable: {string.Join(" ", entraProblems)}");

        var ic = request.FromAws ? await FromAwsAsync(request, console, cancellationToken).ConfigureAwait(false) : await FromPersonAsync(request, console, cancellationToken).ConfigureAwait(false);
        var groups = request.FromEntra ? await FromEntraAsync(entra, console, cancellationToken).ConfigureAwait(false) : null;
        var starter = Compose(request, ic, groups);

        await WriteCheckedAsync(path, starter.Render(), request.Force, cancellationToken).ConfigureAwait(false);

        var config = request.OutputGiven || Environment.GetEnvironmentVariable(ConfigFileOption.ConfigVariable) is { Length: > 0 } ? $" --config {path}" : "";
        var left = starter.PlaceholderCount;
        await console.Output.WriteLineAsync(
            $"Wrote {path} {starter.Origin}: {Formats.Count(starter.Mappings.Count, "mapping")}, {(left == 0 ? "nothing left to replace" : $"{Formats.Count(left, "value")} to replace (marked REPLACE)")}.").ConfigureAwait(false);
        await console.Output.WriteLineAsync("Next:").ConfigureAwait(false);
        var step = 1;
        if (left > 0)
            await console.Output.WriteLineAsync($"  {step++}. Replace each REPLACE in the file; `pimbridge config validate{config}` lists what is left.").ConfigureAwait(false);
        await console.Output.WriteLineAsync($"  {step++}. pimbridge config validate{config}").ConfigureAwait(false);
        await console.Output.WriteLineAsync($"  {step++}. pimbridge doctor{config}   (AWS and Graph access, with a fix for each failure)").ConfigureAwait(false);
        await console.Output.WriteLineAsync($"  {step}. pimbridge reconcile --dry-run{config}   (what PimBridge would grant now; it writes nothing)").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Writes the file only once it loads as <c>config validate</c> loads it: a starter that does not validate is a bug
    /// of init's, never a file left for a person to puzzle over.
    /// </summary>
    private static async Task WriteCheckedAsync(string path, string text, bool replace, CancellationToken cancellationToken)
    {
        // Not a dot file: the configuration's file provider does not read those.
        var draft = $"{path}.init-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(draft, text, cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                PimBridgeConfiguration.Load(draft, useEnvironment: false, otherSections: ConfigFileOption.OtherSections);
            }
            catch (ConfigurationException e)
            {
                throw new InvalidOperationException($"init composed a configuration that does not validate ({string.Join(" ", e.Problems)}); nothing was written. Please report this.", e);
            }

            File.Move(draft, path, overwrite: replace);
        }
        finally
        {
            File.Delete(draft); // gone already when it was moved
        }
    }

    private static StarterConfiguration Compose(InitRequest request, IdentityCenterValues ic, PimGroupListing? groups)
    {
        var names = new MappingNames();
        var mappings = new List<StarterMapping>();
        var notes = new List<string>();
        var sets = ic.PermissionSets;
        var provisioned = sets?.Where(s => s.Accounts.Count > 0).ToList() ?? [];
        var unprovisioned = sets?.Where(s => s.Accounts.Count == 0).Select(s => s.Name).ToList() ?? [];

        if (groups is not null)
        {
            // Real groups: the target stays a placeholder, for only a person can say which group gets which access.
            foreach (var group in groups.Groups)
            {
                var access = group.Eligible.Contains(PimAccess.Member) ? PimAccess.Member : PimAccess.Owner;
                var groupNotes = new List<string> { $"Entra group \"{group.DisplayName}\" ({(group.Eligible.Count == 2 ? "member and owner" : access == PimAccess.Owner ? "owner" : "member")} eligibility in PIM)." };
                if (group.Eligible.Count == 2)
                    groupNotes.Add("Owners can be activated too: to give them access, copy this mapping with \"Access\": \"owner\" and a Name of its own.");
                mappings.Add(new StarterMapping(names.From(group.DisplayName, $"group-{group.Id[..Math.Min(8, group.Id.Length)]}"), group.Id, access,
                    StarterConfiguration.PlaceholderPermissionSet, [StarterConfiguration.PlaceholderAccount]) { Notes = groupNotes });
            }

            if (groups.Groups.Count == 0)
                notes.Add($"No PIM-enabled group was found: none of the {Formats.Count(groups.GroupsChecked, "group")} that PIM for Groups can govern has an eligibility schedule. The example below is to complete by hand.");
            if (provisioned.Count > 0)
            {
                notes.Add("The permission sets of this instance, with the accounts each is provisioned to; copy one into a mapping's \"AccountAssignments\":");
                notes.AddRange(provisioned.Select(s => $"  {{ \"PermissionSet\": \"{s.Name}\", \"Accounts\": [ {string.Join(", ", s.Accounts.Select(a => $"\"{a}\""))} ] }}"));
            }
        }
        else if (sets is not null)
        {
            // Real targets: the group stays a placeholder. A mapping holds at most so many accounts (CommitBudget); more are split.
            var most = CommitBudget.MaxAccountsPerMapping(expiresSoonSinks: 0);
            foreach (var set in provisioned)
            {
                var chunks = set.Accounts.Chunk(most).ToList();
                for (var i = 0; i < chunks.Count; i++)
                {
                    var setNotes = new List<string> { $"Permission set \"{set.Name}\"{(set.Description is { Length: > 0 } d ? $" ({d})" : "")}, provisioned to {Formats.Count(set.Accounts.Count, "account")}." };
                    if (chunks.Count > 1)
                        setNotes.Add($"Part {i + 1} of {chunks.Count}: a mapping lists at most {most} accounts, so give each part the same EntraGroupId.");
                    mappings.Add(new StarterMapping(names.From(set.Name, "permission-set"), StarterConfiguration.PlaceholderGroupId, PimAccess.Member, set.Name, [.. chunks[i]]) { Notes = setNotes });
                }
            }
        }

        if (unprovisioned.Count > 0)
            notes.Add($"Not provisioned to any account yet, so left out: {string.Join(", ", unprovisioned)}. A mapping may name them with the accounts to assign them in.");
        if (mappings.Count == 0)
        {
            if (sets is { Count: 0 })
                notes.Add("This instance has no permission set yet: create one in IAM Identity Center > Permission sets, then name it below.");
            mappings.Add(StarterMapping.Example());
        }

        return new StarterConfiguration
        {
            Origin = (request.FromAws, request.FromEntra) switch
            {
                (true, true) => "from AWS and Entra",
                (true, false) => "from AWS",
                (false, true) => "from Entra",
                _ => ic.InstanceArn == StarterConfiguration.PlaceholderInstanceArn ? "as a template" : "from your answers",
            },
            InstanceArn = ic.InstanceArn,
            IdentityStoreId = ic.IdentityStoreId,
            Region = ic.Region,
            IdentityCenterNotes = ic.Notes,
            Mappings = mappings,
            MappingNotes = notes,
            TenantId = request.Tenant,
            GraphBaseUrl = request.GraphUrl,
        };
    }

    private static async Task<IdentityCenterValues> FromAwsAsync(InitRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        var region = request.Region ?? DefaultRegion()
            ?? throw new CliInputException("--from-aws needs the Region of your Identity Center instance: pass --region REGION (for example eu-west-1), or set AWS_REGION.");
        Check("Region", region, "--region");
        var environment = EngineEnvironment.Current;
        Uri? endpoint;
        try
        {
            endpoint = CompositionSettings.AwsEndpoint(environment.HostConfiguration(request.Output));
        }
        catch (ConfigurationException e)
        {
            throw new CliInputException(e.Problems[0], e);
        }

        using var ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = region, Endpoint = endpoint, Credentials = environment.AwsCredentials });
        try
        {
            var instances = await IdentityCenterInventory.InstancesAsync(ssoAdmin, cancellationToken).ConfigureAwait(false);
            var instance = ChooseInstance(instances, request.InstanceArn, region);
            var sets = await ReconcileCommand.WithStatusAsync(console, console.ShowsProgress, "Reading the permission sets...",
                _ => IdentityCenterInventory.PermissionSetsAsync(ssoAdmin, instance.InstanceArn!, cancellationToken)).ConfigureAwait(false);
            var read = $"Read from AWS: instance {instance.InstanceArn}{(instance.Name is { Length: > 0 } name ? $" ({name})" : "")}" +
                       $"{(instance.OwnerAccountId is { Length: > 0 } owner ? $" of account {owner}" : "")}, {Formats.Count(sets.Count, "permission set")}.";
            return new IdentityCenterValues(instance.InstanceArn!, instance.IdentityStoreId!, region, [read], sets);
        }
        catch (AwsServiceException e)
        {
            var fix = e.IsAccessDenied
                ? "Allow sso:ListInstances, sso:ListPermissionSets, sso:DescribePermissionSet and sso:ListAccountsForProvisionedPermissionSet to your AWS principal."
                : e.ErrorCode == AwsServiceException.CredentialsUnavailable
                    ? "Give the AWS SDK credentials (AWS_PROFILE after `aws sso login`, or the AWS_ environment variables)."
                    : e.Status == 0
                        ? $"Check the network path to AWS in {region} (proxy, firewall, DNS)."
                        : "Check --region (Identity Center's Region) and the credentials' account.";
            throw new CliInputException($"Reading IAM Identity Center in {region} failed: {e.Message.TrimEnd('.')}. {fix} Or run init without --from-aws and fill in the values.", e);
        }
    }

    private static InstanceMetadata ChooseInstance(IReadOnlyList<InstanceMetadata> instances, string? wanted, string region)
    {
        string Describe(InstanceMetadata i) => $"{i.InstanceArn}{(i.Name is { Length: > 0 } name ? $" ({name})" : "")}";
        if (instances.Count == 0)
            throw new CliInputException($"These AWS credentials see no IAM Identity Center instance in {region}. Pass --region with the instance's Region (IAM Identity Center > Settings shows it).");
        if (wanted is not null)
        {
            return instances.FirstOrDefault(i => string.Equals(i.InstanceArn, wanted, StringComparison.OrdinalIgnoreCase))
                ?? throw new CliInputException($"--instance-arn '{wanted}' is not an instance in {region}; the instances there: {string.Join(", ", instances.Select(Describe))}.");
        }

        if (instances.Count > 1)
            throw new CliInputException($"{region} has {instances.Count} Identity Center instances: {string.Join(", ", instances.Select(Describe))}. Pass --instance-arn ARN to choose one.");
        return instances[0];
    }

    /// <summary>The instance from the options, else a person's answers, else placeholders (a person completes the file).</summary>
    private static async Task<IdentityCenterValues> FromPersonAsync(InitRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        var instanceArn = request.InstanceArn;
        var identityStoreId = request.IdentityStoreId;
        var region = request.Region;
        if (instanceArn is not null) Check("InstanceArn", instanceArn, "--instance-arn");
        if (identityStoreId is not null) Check("IdentityStoreId", identityStoreId, "--identity-store-id");
        if (region is not null) Check("Region", region, "--region");

        if (console.Answers is { } answers)
        {
            await console.Error.WriteLineAsync("IAM Identity Center > Settings shows these. Press Enter to leave a value for later (the file marks it REPLACE).").ConfigureAwait(false);
            instanceArn ??= await AskAsync(console, answers, "Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)", "InstanceArn", null, cancellationToken).ConfigureAwait(false);
            identityStoreId ??= await AskAsync(console, answers, "Identity store id (d-…)", "IdentityStoreId", null, cancellationToken).ConfigureAwait(false);
            region ??= await AskAsync(console, answers, "Region of the instance", "Region", DefaultRegion(), cancellationToken).ConfigureAwait(false);
        }

        var notes = new List<string>();
        if (region is null && DefaultRegion() is { } configured)
            region = configured;
        else if (region is null)
            notes.Add($"Check the Region below: none was given or configured, so it is {FallbackRegion}.");
        return new IdentityCenterValues(
            instanceArn ?? StarterConfiguration.PlaceholderInstanceArn, identityStoreId ?? StarterConfiguration.PlaceholderIdentityStoreId, region ?? FallbackRegion, notes, null);
    }

    /// <summary>Asks until the answer is valid (the validator says what is wrong) or empty; three tries.</summary>
    private static async Task<string?> AskAsync(CliConsole console, TextReader answers, string question, string field, string? suggestion, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await console.Error.WriteAsync($"{question}{(suggestion is null ? "" : $" [{suggestion}]")}: ").ConfigureAwait(false);
            await console.Error.FlushAsync(cancellationToken).ConfigureAwait(false);
            var answer = (await answers.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim();
            if (string.IsNullOrEmpty(answer))
                return suggestion;
            if (Problem(field, answer) is not { } problem)
                return answer;
            await console.Error.WriteLineAsync($"  {problem}").ConfigureAwait(false);
        }

        throw new CliInputException($"No usable {field} after three answers; run `pimbridge init` again, or leave the answer empty to fill it in later.");
    }

    private static void Check(string field, string value, string option)
    {
        if (Problem(field, value) is { } problem)
            throw new CliInputException($"{option}: {problem}");
    }

    /// <summary>The validator's own word on one Identity Center value (the others set to valid placeholders), or null.</summary>
    private static string? Problem(string field, string value)
    {
        var ic = new IdentityCenterOptions
        {
            InstanceArn = field == "InstanceArn" ? value : StarterConfiguration.PlaceholderInstanceArn,
            IdentityStoreId = field == "IdentityStoreId" ? value : StarterConfiguration.PlaceholderIdentityStoreId,
            Region = field == "Region" ? value : FallbackRegion,
        };
        var example = StarterMapping.Example();
        try
        {
            PimBridgeConfiguration.Validate(new PimBridgeOptions
            {
                IdentityCenter = ic,
                Mappings = [new MappingOptions { Name = example.Name, EntraGroupId = example.EntraGroupId, AccountAssignments = new() { PermissionSet = example.PermissionSet, Accounts = [.. example.Accounts] } }],
            });
            return null;
        }
        catch (ConfigurationException e)
        {
            return e.Problems.FirstOrDefault(p => p.StartsWith($"IdentityCenter.{field}:", StringComparison.Ordinal)) ?? string.Join(" ", e.Problems);
        }
    }

    private static async Task<PimGroupListing> FromEntraAsync(EntraOptions entra, CliConsole console, CancellationToken cancellationToken)
    {
        using var graph = ConfiguredEngine.CreateGraph(entra, EngineEnvironment.Current);
        try
        {
            var listing = await ReconcileCommand.WithStatusAsync(console, console.ShowsProgress, "Listing the directory's groups...",
                status => GraphPimGroups.ListAsync(graph, (asked, all) => status?.Invoke($"Asking PIM about group {asked} of {all}..."), cancellationToken)).ConfigureAwait(false);
            await console.Error.WriteLineAsync($"Entra: {Formats.Count(listing.Groups.Count, "PIM-enabled group")} among {Formats.Count(listing.GroupsChecked, "group")} PIM for Groups can govern.").ConfigureAwait(false);
            return listing;
        }
        catch (PimGroupListingException e)
        {
            throw new CliInputException($"{e.Message} Sign in with `az login` (or the AZURE_ environment variables), or run init without --from-entra and fill in the group ids.", e);
        }
    }

    /// <summary>The AWS SDK's Region from the environment or the profile; never the instance metadata service, which can hang off EC2.</summary>
    private static string? DefaultRegion()
    {
        try
        {
            return new EnvironmentVariableAWSRegion().Region.SystemName;
        }
        catch (InvalidOperationException)
        {
        }

        try
        {
            return new ProfileAWSRegion(new CredentialProfileStoreChain()).Region.SystemName;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
