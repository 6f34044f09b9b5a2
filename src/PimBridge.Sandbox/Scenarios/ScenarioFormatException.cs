namespace PimBridge.Sandbox.Scenarios;

/// <summary>A scenario file that cannot be used; the message lists every problem, each naming where it is and what to do.</summary>
public sealed class ScenarioFormatException(string source, IReadOnlyList<string> problems)
    : Exception($"{source} is not a valid sandbox scenario: {string.Join("; ", problems)}. See docs/sandbox.md for the format.")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
