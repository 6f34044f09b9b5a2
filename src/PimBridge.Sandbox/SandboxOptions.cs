namespace PimBridge.Sandbox;

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
