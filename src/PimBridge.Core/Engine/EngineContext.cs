using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>What every part of one engine shares: its options, resolved, and its one intent queue.</summary>
internal sealed class EngineContext
{
    public EngineContext(EnforcerSetup setup)
    {
        Store = setup.Store;
        Aws = setup.Aws;
        Mappings = setup.Mappings;
        MappingsByName = setup.Mappings.ToDictionary(m => m.Name, StringComparer.Ordinal);
        Fences = setup.Fences;
        Settings = setup.Settings;
        Time = setup.Time;
        Pim = setup.Pim;
        Outbox = setup.Notifications ?? NotificationOutbox.None;
        Owner = setup.InstanceId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        Intents = new IntentQueue(Store, Owner);
    }

    public IStateStore Store { get; }
    public IdentityCenterPorts Aws { get; }
    public IReadOnlyList<ResolvedMapping> Mappings { get; }
    public IReadOnlyDictionary<string, ResolvedMapping> MappingsByName { get; }
    public FenceSettings Fences { get; }
    public EnforcerSettings Settings { get; }
    public TimeProvider Time { get; }
    public IPimSource? Pim { get; }
    public NotificationOutbox Outbox { get; }

    /// <summary>This process's own id, as its leases and intent ids require.</summary>
    public string Owner { get; }

    public IntentQueue Intents { get; }

    /// <summary>The permission sets and accounts an entitlement reaches.</summary>
    public async Task<IReadOnlyList<PermissionSetAccount>> ReachAsync(Entitlement entitlement, CancellationToken cancellationToken) =>
        entitlement.Kind == EntitlementKind.AccountAssignment
            ? [new PermissionSetAccount(entitlement.PermissionSetArn!, entitlement.AccountId!)]
            : await Aws.Directory.GetGroupAssignmentsAsync(entitlement.GroupId!, cancellationToken).ConfigureAwait(false);
}
