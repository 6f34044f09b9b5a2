namespace PimBridge.Core.Domain;

/// <summary>Where an entitlement stands in AWS, as far as PimBridge has confirmed.</summary>
public enum EntitlementStatus
{
    Applying,
    Applied,
    Removing,
    Removed,
}
