namespace PimBridge.Entra;

/// <summary>The PIM-enabled groups found, and how many groups PIM was asked about to find them.</summary>
public sealed record PimGroupListing(IReadOnlyList<PimEnabledGroup> Groups, int GroupsChecked);
