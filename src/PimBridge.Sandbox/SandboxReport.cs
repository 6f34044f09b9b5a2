using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>What a timeline line is about, so a console can colour it.</summary>
public enum TimelineKind
{
    /// <summary>Starting and seeding the emulators.</summary>
    Setup,

    /// <summary>Something PIM did: an activation, a deactivation, an expiry.</summary>
    Pim,

    /// <summary>What PimBridge's engine did about it, and how long it took.</summary>
    Engine,

    /// <summary>A user's AWS activity, as CloudTrail records it.</summary>
    Activity,

    /// <summary>An alert the gap detector raised.</summary>
    Alert,

    /// <summary>A check of the end state (the customer's inline policy).</summary>
    Check,

    /// <summary>Something that did not happen as it should.</summary>
    Problem,
}

/// <summary>One line of the live timeline; <see cref="At"/> is scenario time (null before the scenario starts).</summary>
public sealed record TimelineEntry(TimeSpan? At, TimelineKind Kind, string Text);

/// <summary>One expected outcome next to what was observed.</summary>
public sealed record SandboxOutcome(string Outcome, string Subject, string Expected, string Observed, bool Met);

/// <summary>The result of a sandbox run: each expected outcome with what was observed, and the timeline.</summary>
public sealed record SandboxReport(
    string Scenario,
    double Speed,
    TimeSpan ScenarioTime,
    TimeSpan Elapsed,
    string? KeptFolder,
    IReadOnlyList<SandboxOutcome> Outcomes,
    IReadOnlyList<TimelineEntry> Timeline)
{
    /// <summary>Every expected outcome was observed.</summary>
    public bool Passed => Outcomes.Count > 0 && Outcomes.All(o => o.Met);

    public IReadOnlyList<SandboxOutcome> Missing => Outcomes.Where(o => !o.Met).ToList();
}

/// <summary>What the sandbox needs from the machine is missing (moto_server), or could not start; the message says how to fix it.</summary>
public sealed class SandboxPrerequisiteException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>How to run the sandbox.</summary>
public sealed class SandboxOptions
{
    /// <summary>Keep the working folder (state database, trail files, scenario) instead of deleting it.</summary>
    public bool KeepFolder { get; init; }

    /// <summary>How long (real time) a step may wait for the engine before its outcome counts as not observed.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long (real time) moto_server may take to answer.</summary>
    public TimeSpan MotoStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Called for each timeline line as it happens.</summary>
    public Action<TimelineEntry>? OnTimeline { get; init; }
}
