using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>The window PIM justifies for one slot right now.</summary>
public sealed record GrantWindow(ResolvedMapping Mapping, EntraPrincipal Principal, string GroupId, PimAccess Access, DateTimeOffset Start, DateTimeOffset? End, Activation Latest)
{
    /// <summary>Whether a permanent (eligible-free, standing) PIM assignment is part of the window, not only activations.</summary>
    public bool IncludesPermanent { get; init; } = Latest.IsPermanent;

    /// <summary>The instance whose end the window ends with (the latest-ending one).</summary>
    public string ActivationId => Latest.Id;

    public GrantSlot Slot => new(Mapping.Name, Principal.Id, GroupId, Access);
}
