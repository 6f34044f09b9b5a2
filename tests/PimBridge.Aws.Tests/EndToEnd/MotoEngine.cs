using System.Text.Json.Nodes;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.EndToEnd;

/// <summary>
/// A whole PimBridge against the real emulator: the real engine, the real Identity Center adapters over real clients
/// talking to the shared moto_server, and the real SQLite store in a temporary file. PIM is a hand-built snapshot and
/// the engine's clock is manual (it moves only by <see cref="Advance"/>); the AWS clients run on the system clock.
/// The engine's sso-admin traffic crosses <see cref="Recorder"/>; assertions read moto back through the fixture's own
/// clients, so reading back leaves no trace there.
/// </summary>
public sealed class MotoEngine : IAsyncDisposable
{
    /// <summary>A whole minute, so fence cutoffs (rounded up to the minute) are exact in assertions.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, Activation> _activations = new(StringComparer.Ordinal);
    private readonly MotoFixture _moto;
    private readonly string _directory;
    private readonly SqliteStateStore _store;
    private readonly SsoAdminClient _ssoAdmin;
    private readonly IdentityStoreClient _identityStore;

    private MotoEngine(
        MotoFixture moto, InstanceMetadata instance, string directory, SqliteStateStore store, MotoExchangeRecorder recorder,
        SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, ManualTimeProvider clock, PimBridgeSettings settings,
        IReadOnlyList<ResolvedMapping> mappings, Enforcer enforcer)
    {
        _moto = moto;
        _directory = directory;
        _store = store;
        _ssoAdmin = ssoAdmin;
        _identityStore = identityStore;
        InstanceArn = instance.InstanceArn!;
        IdentityStoreId = instance.IdentityStoreId!;
        Recorder = recorder;
        Clock = clock;
        Settings = settings;
        Mappings = mappings;
        Enforcer = enforcer;
    }

    public string InstanceArn { get; }
    public string IdentityStoreId { get; }
    public MotoExchangeRecorder Recorder { get; }
    public ManualTimeProvider Clock { get; }
    public PimBridgeSettings Settings { get; }
    public IReadOnlyList<ResolvedMapping> Mappings { get; }
    public Enforcer Enforcer { get; }

    /// <summary>The drift sweep over the same store and adapters.</summary>
    public DriftSweep Sweep { get; private init; } = null!;
    public IStateStore Store => _store;
    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>
    /// Validates <paramref name="mappings"/> the way the service does, resolves their names through the real directory
    /// adapter, and opens a fresh SQLite file.
    /// </summary>
    public static async Task<MotoEngine> StartAsync(MotoFixture moto, params MappingOptions[] mappings)
    {
        var instance = await new MotoSeed(moto).InstanceAsync();
        var clock = new ManualTimeProvider(Epoch);
        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = instance.InstanceArn!, IdentityStoreId = instance.IdentityStoreId!, Region = MotoFixture.Region },
            Mappings = [.. mappings],
        };
        var settings = PimBridgeConfiguration.Validate(options);

        var recorder = new MotoExchangeRecorder();
        var ssoAdmin = moto.RecordingSsoAdmin(recorder, o => o.RequestsPerSecond = 200);
        var identityStore = new IdentityStoreClient(moto.Configure(new IdentityStoreClientOptions { RequestsPerSecond = 200 }));
        var directory = Path.Combine(Path.GetTempPath(), "pimbridge-e2e-" + Guid.NewGuid().ToString("N"));
        SqliteStateStore? store = null;
        try
        {
            // The directory's caches run on the engine's clock, as they would in the service: advancing hours expires them.
            var adapters = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter), clock);
            var resolved = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory);
            store = await SqliteStateStore.OpenAsync(Path.Combine(directory, "state.db"));
            var ports = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory,
                new UserNameMapping(identityStore, instance.IdentityStoreId!));
            var enforcer = new Enforcer(new EnforcerSetup
            {
                Store = store, Aws = ports, Mappings = resolved, Fences = settings.Fences, Settings = settings.Enforcer, Time = clock,
            });
            return new MotoEngine(moto, instance, directory, store, recorder, ssoAdmin, identityStore, clock, settings, resolved, enforcer)
            {
                // Unpaced: the engine's clock is manual.
                Sweep = new DriftSweep(store, ports, enforcer, settings.Verifier with { RequestsPerSecond = double.PositiveInfinity }, clock),
            };
        }
        catch
        {
            if (store is not null) await store.DisposeAsync();
            ssoAdmin.Dispose();
            identityStore.Dispose();
            recorder.Dispose();
            DeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>An account-assignment mapping from a fresh Entra group.</summary>
    public static MappingOptions AssignmentMapping(string name, string permissionSet, params string[] accounts) => new()
    {
        Name = name,
        EntraGroupId = Guid.NewGuid().ToString(),
        AccountAssignments = new() { PermissionSet = permissionSet, Accounts = [.. accounts] },
    };

    /// <summary>An Identity Center group mapping from a fresh Entra group, the group named by display name.</summary>
    public static MappingOptions GroupMapping(string name, string groupDisplayName) => new()
    {
        Name = name,
        EntraGroupId = Guid.NewGuid().ToString(),
        IdentityCenterGroup = new() { DisplayName = groupDisplayName },
    };

    public string EntraGroupOf(string mapping) => Mappings.Single(m => m.Name == mapping).Rule.EntraGroupId;

    // ---------------------------------------------------------------- PIM

    /// <summary>PIM activates <paramref name="userName"/> (the UPN, which the identity mapping takes as the Identity Center user name) in a mapping's group from now.</summary>
    public string Activate(string userName, string mapping, TimeSpan duration)
    {
        var id = $"act-{_activations.Count + 1}";
        var principal = new EntraPrincipal("entra-" + userName, userName);
        _activations[id] = new Activation(id, principal, EntraGroupOf(mapping), PimAccess.Member, Now, Now + duration);
        return id;
    }

    /// <summary>PIM forgets the activation: the user deactivated it early, or an admin removed it.</summary>
    public void Deactivate(string activationId) => Assert.True(_activations.Remove(activationId), $"no activation {activationId}");

    /// <summary>PIM's view of every mapped group, without activations PIM itself no longer lists (ended ones).</summary>
    public PimSnapshot Snapshot() => new(
        Mappings.Select(m => m.Rule.EntraGroupId).Distinct().ToList(),
        _activations.Values.Where(a => a.End is null || a.End > Now).ToList());

    public Task<ReconcileResult> ReconcileAsync() => Enforcer.ReconcileAsync(Snapshot());

    public Task<TickResult> TickAsync() => Enforcer.TickAsync();

    /// <summary>Ticks until a tick finds nothing to do now, as the service loop would; fails if that does not happen.</summary>
    public async Task SettleAsync()
    {
        for (var i = 0; i < 10; i++)
        {
            var tick = await TickAsync();
            Assert.Equal(0, tick.IntentsFailed);
            if (tick.DidNothing) return;
        }

        Assert.Fail("The engine did not settle within 10 ticks.");
    }

    public void Advance(TimeSpan by) => Clock.Advance(by);

    public void AdvanceTo(DateTimeOffset at) => Clock.Advance(at - Now);

    public async Task<AuditBreak?> VerifyAuditAsync() => await AuditChain.VerifyAsync(Store.ReadAuditAsync());

    // ---------------------------------------------------------------- reading moto back

    /// <summary>The users directly assigned <paramref name="permissionSetArn"/> in <paramref name="accountId"/>, as moto lists them.</summary>
    public async Task<IReadOnlyList<string>> AssignedUsersAsync(string permissionSetArn, string accountId) =>
        (await AssignmentsAsync(permissionSetArn, accountId)).Where(a => a.PrincipalType == PrincipalTypes.User).Select(a => a.PrincipalId!).ToList();

    public async Task<IReadOnlyList<AccountAssignment>> AssignmentsAsync(string permissionSetArn, string accountId) =>
        await _moto.SsoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = InstanceArn, AccountId = accountId, PermissionSetArn = permissionSetArn,
        }).ToListAsync();

    /// <summary>The groups moto says the user is a member of, one entry per membership.</summary>
    public async Task<IReadOnlyList<string>> GroupsOfAsync(string userId) =>
        (await _moto.IdentityStore.ListGroupMembershipsForMemberAsync(new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = IdentityStoreId, MemberId = MemberId.User(userId),
        }).ToListAsync()).Select(m => m.GroupId!).ToList();

    public async Task<string?> InlinePolicyAsync(string permissionSetArn) =>
        (await _moto.SsoAdmin.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = InstanceArn, PermissionSetArn = permissionSetArn })).InlinePolicy;

    /// <summary>The PimBridge-owned statements of moto's copy of the permission set's inline policy.</summary>
    public async Task<IReadOnlyList<JsonObject>> FenceStatementsAsync(string permissionSetArn) => FenceStatements(await InlinePolicyAsync(permissionSetArn));

    public static IReadOnlyList<JsonObject> FenceStatements(string? policy)
    {
        if (policy is null) return [];
        var statements = JsonNode.Parse(policy)!["Statement"]!.AsArray();
        return statements.OfType<JsonObject>()
            .Where(s => s["Sid"]?.GetValue<string>().StartsWith(FencePolicy.SidPrefix, StringComparison.Ordinal) == true)
            .ToList();
    }

    /// <summary>
    /// The engine's ProvisionPermissionSet calls for <paramref name="permissionSetArn"/> that came after its last write
    /// of that permission set's inline policy (<paramref name="writeOperation"/>), and before any later write of it.
    /// </summary>
    public IReadOnlyList<MotoExchange> ProvisionsAfterLastWrite(string permissionSetArn, string writeOperation)
    {
        var exchanges = Recorder.Exchanges;
        var write = LastIndex(exchanges, e => e.Operation == writeOperation && RequestArn(e) == permissionSetArn);
        Assert.True(write >= 0, $"the engine never called {writeOperation} for {permissionSetArn}");
        return exchanges.Skip(write + 1)
            .TakeWhile(e => !(IsPolicyWrite(e) && RequestArn(e) == permissionSetArn))
            .Where(e => e.Operation == "ProvisionPermissionSet" && RequestArn(e) == permissionSetArn)
            .ToList();
    }

    /// <summary>The engine's sso-admin calls of one operation for one permission set in one account.</summary>
    public IReadOnlyList<MotoExchange> Calls(string operation, string permissionSetArn, string accountId) =>
        Recorder.Of(operation).Where(e => RequestArn(e) == permissionSetArn && e.Request.GetProperty("TargetId").GetString() == accountId).ToList();

    private static bool IsPolicyWrite(MotoExchange e) => e.Operation is "PutInlinePolicyToPermissionSet" or "DeleteInlinePolicyFromPermissionSet";

    private static string? RequestArn(MotoExchange e) =>
        e.Request.TryGetProperty("PermissionSetArn", out var arn) ? arn.GetString() : null;

    private static int LastIndex(IReadOnlyList<MotoExchange> exchanges, Func<MotoExchange, bool> match)
    {
        for (var i = exchanges.Count - 1; i >= 0; i--)
        {
            if (match(exchanges[i])) return i;
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _ssoAdmin.Dispose();
        _identityStore.Dispose();
        Recorder.Dispose();
        DeleteDirectory(_directory);
    }

    private static void DeleteDirectory(string directory)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }
}
