using System.Text.RegularExpressions;

namespace PimBridge.Architecture.Tests;

/// <summary>
/// AWS's request quotas are per Identity Center instance, and PimBridge paces each client (its limiter and its
/// operation slots). So a process must hold one sso-admin and one Identity Store client that every part of it draws on:
/// a second client would bring a second budget, and the two together would exceed the quota.
/// </summary>
public sealed partial class QuotaBudgetTests
{
    /// <summary>Where a client may be built, and how many times: the engine's composition once; three one-shot tools their own.</summary>
    private static readonly Dictionary<string, int> Allowed = new(StringComparer.Ordinal)
    {
        ["PimBridge.Composition/ComposedEngine.cs"] = 1,   // every host's engine, drift sweep and watch
        ["PimBridge.Cli/Doctor/AwsChecks.cs"] = 1,          // `pimbridge doctor`: a process of its own, read-only probes
        ["PimBridge.Sandbox/SandboxWorld.cs"] = 1,          // the sandbox seeding its own moto_server
        ["PimBridge.Sandbox/LocalWorld.cs"] = 1,            // sandbox --serve seeding its own moto_server, disposed before the host starts
    };

    /// <summary>One-shot tools that build one of the two clients only.</summary>
    private static readonly Dictionary<string, (string Client, int Count)> AllowedOneClient = new(StringComparer.Ordinal)
    {
        ["PimBridge.Cli/Commands/InitCommand.cs"] = ("SsoAdminClient", 1), // `pimbridge init --from-aws`: a process of its own, read-only listing
    };

    [Theory]
    [InlineData("SsoAdminClient")]
    [InlineData("IdentityStoreClient")]
    public void Each_process_builds_one_client_per_quota_and_only_the_composition_builds_the_engines(string client)
    {
        var built = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in Repository.SourceFiles())
        {
            var count = Construction().Matches(File.ReadAllText(Path.Combine(Repository.Src, file))).Count(m => m.Groups[1].Value == client);
            if (count > 0) built[file] = count;
        }

        var allowed = Allowed.Concat(AllowedOneClient.Where(a => a.Value.Client == client).Select(a => KeyValuePair.Create(a.Key, a.Value.Count)));
        Assert.Equal(allowed.OrderBy(a => a.Key), built.OrderBy(b => b.Key));
    }

    [GeneratedRegex(@"new\s+(SsoAdminClient|IdentityStoreClient)\s*\(")]
    private static partial Regex Construction();
}
