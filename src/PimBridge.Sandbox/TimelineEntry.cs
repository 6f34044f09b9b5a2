namespace PimBridge.Sandbox;

/// <summary>One line of the live timeline; <see cref="At"/> is scenario time (null before the scenario starts).</summary>
public sealed record TimelineEntry(TimeSpan? At, TimelineKind Kind, string Text);
