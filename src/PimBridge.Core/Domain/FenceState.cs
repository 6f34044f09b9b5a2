namespace PimBridge.Core.Domain;

public enum FenceState
{
    /// <summary>Recorded; not yet in the permission set's inline policy (or waiting for policy capacity).</summary>
    Pending,

    /// <summary>Written and provisioned: sessions issued before <see cref="SessionFence.Cutoff"/> are denied.</summary>
    Active,

    /// <summary>Past <see cref="SessionFence.Until"/>; being taken out of the policy.</summary>
    Lifting,

    Lifted,
}
