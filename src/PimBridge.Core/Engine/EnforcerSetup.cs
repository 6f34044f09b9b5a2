using PimBridge.Core.Configuration;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>What an <see cref="Enforcer"/> works with: its state, the AWS side, the mappings, and how it behaves.</summary>
public sealed class EnforcerSetup
{
    public required IStateStore Store { get; init; }

    public required IdentityCenterPorts Aws { get; init; }

    public required IReadOnlyList<ResolvedMapping> Mappings { get; init; }

    public FenceSettings Fences { get; init; } = FenceSettings.Default;

    public EnforcerSettings Settings { get; init; } = EnforcerSettings.Default;

    /// <summary>Every schedule runs on this clock.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>This process's own id, for its leases and intent ids; machine, process and a random part when null.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Where groups are read; without one (the AWS-side watcher), group hints are left for a host that reads PIM.</summary>
    public IPimSource? Pim { get; init; }

    public NotificationOutbox? Notifications { get; init; }
}
