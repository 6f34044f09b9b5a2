namespace PimBridge.Sandbox.Scenarios;

/// <summary>
/// A sandbox scenario: the Identity Center it seeds, the PIM groups and their mappings, a timeline of PIM and AWS
/// events, and the outcomes it expects. The format is documented in docs/sandbox.md; <see cref="ScenarioReader"/>
/// reads and checks it.
/// </summary>
public sealed record Scenario
{
    /// <summary>The built-in scenario's resource name.</summary>
    public const string DefaultResource = "PimBridge.Sandbox.Scenarios.default.json";

    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>Scenario seconds per real second.</summary>
    public required double Speed { get; init; }

    public required IReadOnlyList<ScenarioPermissionSet> PermissionSets { get; init; }
    public required IReadOnlyList<ScenarioIdentityCenterGroup> IdentityCenterGroups { get; init; }
    public required IReadOnlyList<ScenarioUser> Users { get; init; }
    public required IReadOnlyList<ScenarioGroup> Groups { get; init; }

    /// <summary>The file's timeline, in order.</summary>
    public required IReadOnlyList<ScenarioEvent> Timeline { get; init; }

    /// <summary>The timeline with PIM's expiries inserted where they fall (before other steps at the same time).</summary>
    public required IReadOnlyList<ScenarioEvent> Steps { get; init; }

    public required IReadOnlyList<ScenarioExpectation> Expectations { get; init; }

    public ScenarioUser User(string name) => Users.Single(u => u.Name == name);

    public ScenarioGroup Group(string name) => Groups.Single(g => g.Name == name);

    public ScenarioPermissionSet PermissionSet(string name) => PermissionSets.Single(p => p.Name == name);

    /// <summary>The built-in scenario, embedded in this assembly.</summary>
    public static Scenario Default()
    {
        using var stream = typeof(Scenario).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException($"The built-in scenario resource {DefaultResource} is missing from {typeof(Scenario).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return ScenarioReader.Parse(reader.ReadToEnd(), "the built-in scenario");
    }
}
