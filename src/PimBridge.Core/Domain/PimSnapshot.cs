namespace PimBridge.Core.Domain;

/// <summary>
/// What PIM says, authoritatively, about a set of groups at one moment: every activation of every listed group.
/// A group listed with no activations means nobody holds it now.
/// </summary>
public sealed record PimSnapshot(IReadOnlyCollection<string> GroupIds, IReadOnlyList<Activation> Activations);
