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
