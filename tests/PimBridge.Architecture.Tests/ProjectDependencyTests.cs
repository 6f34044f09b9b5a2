namespace PimBridge.Architecture.Tests;

/// <summary>The dependency picture of docs/architecture.md, checked against the project files.</summary>
public sealed class ProjectDependencyTests
{
    private static readonly ProjectGraph Graph = ProjectGraph.Read(Repository.Src);

    private static readonly string[] Hosts =
        ["PimBridge.Host", "PimBridge.Functions", "PimBridge.Lambda", "PimBridge.Cli", "PimBridge.Sandbox"];

    private static readonly string[] Adapters =
        ["PimBridge.Aws", "PimBridge.Entra", "PimBridge.Notifications", "PimBridge.Store.Sqlite", "PimBridge.Store.DynamoDb"];

    // Cloud and hosting SDKs: Core reaches them only through its ports.
    private static readonly string[] CloudPackagePrefixes =
        ["AWSSDK.", "Amazon.", "Azure.", "Microsoft.Graph", "Microsoft.Azure.", "Microsoft.Identity", "Microsoft.Kiota", "Microsoft.AspNetCore", "Microsoft.Data.Sqlite", "SQLitePCLRaw"];

    [Fact]
    public void Core_references_no_project_and_no_cloud_or_hosting_package()
    {
        var core = Graph["PimBridge.Core"];

        Assert.Empty(core.References);
        Assert.DoesNotContain(core.Packages, p => CloudPackagePrefixes.Any(p.StartsWith));
    }

    [Fact]
    public void No_project_references_an_executable()
    {
        var executables = Graph.Projects.Values.Where(p => p.IsExecutable).Select(p => p.Name).ToHashSet();
        Assert.Contains("PimBridge.Cli", executables);

        var offenders = Graph.Projects.Values
            .SelectMany(p => p.References.Where(executables.Contains).Select(r => $"{p.Name} -> {r}"));

        Assert.Empty(offenders);
    }

    [Fact]
    public void Adapters_and_the_composition_reference_no_host()
    {
        foreach (var name in Adapters.Append("PimBridge.Composition"))
            Assert.True(!Graph.Closure(name).Overlaps(Hosts), $"{name} depends on a host: {string.Join(", ", Graph.Closure(name).Intersect(Hosts))}");
    }

    [Fact]
    public void The_composition_does_not_name_the_parts_that_contribute_to_it()
    {
        // Stores and the Entra part reference Composition to contribute their factories, never the other way round.
        var composition = Graph.Closure("PimBridge.Composition");

        Assert.DoesNotContain("PimBridge.Store.Sqlite", composition);
        Assert.DoesNotContain("PimBridge.Store.DynamoDb", composition);
        Assert.DoesNotContain("PimBridge.Entra", composition);
    }

    [Fact]
    public void The_lambda_watcher_ships_only_composition_dynamodb_aws_and_notifications()
    {
        Assert.Equal(
            ["PimBridge.Aws", "PimBridge.Composition", "PimBridge.Notifications", "PimBridge.Store.DynamoDb"],
            Graph["PimBridge.Lambda"].References);
        Assert.Equal(
            ["PimBridge.Aws", "PimBridge.Composition", "PimBridge.Core", "PimBridge.Notifications", "PimBridge.Store.DynamoDb"],
            Graph.Closure("PimBridge.Lambda").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_host_composes_through_the_composition()
    {
        foreach (var host in Hosts)
            Assert.True(Graph.Closure(host).Contains("PimBridge.Composition"), $"{host} does not reference PimBridge.Composition");
    }
}
