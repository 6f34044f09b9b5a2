using System.Globalization;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// The <c>--slow-provisioning</c> side load: another permission set (<see cref="PermissionSetName"/>), whose every
/// provisioning the model keeps IN_PROGRESS for the time set, mapped from an Entra group of its own to an account
/// assignment in the first account. A few users are granted it before the burst. Just before the expiry instant one of
/// them ends, so that at the instant a fence of that permission set is pending and its provisioning is under way; the
/// others end at the instant with the burst, so the engine has fences to write there too, behind that provisioning.
/// </summary>
internal sealed class SlowProvisioning(ModelAws aws, IStateStore store, EngineLoop loop, BurstPim pim, Enforcer enforcer, TimeSpan provisioning)
{
    public const string PermissionSetName = "BenchOther";

    /// <summary>Users granted the other permission set: one ends before the instant, the rest at it.</summary>
    public const int Users = 5;

    public const string EntraGroup = "0ff1e000-1111-4111-8111-111111111111";

    private readonly List<string> _ids = [];
    private List<Grant> _grants = [];

    public static MappingOptions Mapping(string account) => new()
    {
        Name = "bench-other", EntraGroupId = EntraGroup, AccountAssignments = new() { PermissionSet = PermissionSetName, Accounts = [account] },
    };

    /// <summary>The activations that end at the expiry instant with the burst.</summary>
    public IReadOnlyList<string> EndingAtTheInstant => _ids.Skip(1).ToList();

    /// <summary>Grants the other permission set to <paramref name="principals"/> (uncounted, before the burst) and waits until every one has access.</summary>
    public async Task GrantAsync(IReadOnlyList<EntraPrincipal> principals)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var principal in principals)
            _ids.Add(pim.Activate(principal, EntraGroup, now, now + TimeSpan.FromHours(1)).Id);
        await enforcer.HintAsync(EntraGroup);
        await loop.RunUntilAsync(async () => (await ConfirmedAsync()).Count == _ids.Count, TimeSpan.FromMinutes(2), () => Task.FromResult($"granting {PermissionSetName}"));
        _grants = await ConfirmedAsync();
        Console.WriteLine($"  {PermissionSetName}: {_grants.Count} users granted (uncounted), the model provisions it in {provisioning.TotalSeconds:0.###} s");
    }

    /// <summary>
    /// Ends the first user's activation now and ticks until its fence's provisioning is under way: from here on, for
    /// the time set, the other permission set's policy cannot be written (AWS answers ConflictException).
    /// </summary>
    public async Task StartSlowProvisioningAsync()
    {
        pim.EndAt([_ids[0]], DateTimeOffset.UtcNow);
        await enforcer.ReconcileGroupsAsync([EntraGroup]);
        await loop.RunUntilAsync(() => Task.FromResult(aws.Provisioning(ModelAws.OtherPermissionSetArn)), TimeSpan.FromMinutes(1),
            () => Task.FromResult($"waiting for {PermissionSetName}'s provisioning to start"));
        var fences = await FencesAsync();
        Console.WriteLine($"  {PermissionSetName}: one user's access ended before the instant; its provisioning is IN_PROGRESS (fences of its users: {Describe(fences)})");
    }

    /// <summary>What became of the other permission set by the end of the measured expiry; and its figures for the result line.</summary>
    public async Task<string> ReportAsync(DateTimeOffset end)
    {
        var keys = _grants.Where(g => g.ActivationId != _ids[0]).SelectMany(g => g.EntitlementKeys).ToList();
        var removed = 0;
        DateTimeOffset? last = null;
        foreach (var key in keys)
        {
            if (await store.GetLedgerEntryAsync(key) is { Status: EntitlementStatus.Removed, RemovedAt: { } at })
            {
                removed++;
                last = last is { } l && l > at ? l : at;
            }
        }

        var fences = await FencesAsync();
        var puts = aws.WritesTo("PutInlinePolicyToPermissionSet", ModelAws.OtherPermissionSetArn);
        var provisions = aws.WritesTo("ProvisionPermissionSet", ModelAws.OtherPermissionSetArn);
        var stillProvisioning = aws.Provisioning(ModelAws.OtherPermissionSetArn);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {PermissionSetName} (slow provisioning, {provisioning.TotalSeconds:0.###} s): {removed}/{keys.Count} ended at the instant removed{(last is { } t ? $", the last {(t - end).TotalSeconds:0.00} s after the end" : "")}; ") +
            $"fences of its users: {Describe(fences)}; writes in the phase: PutInlinePolicyToPermissionSet {puts}, ProvisionPermissionSet {provisions}; provisioning {(stillProvisioning ? "still IN_PROGRESS" : "ended")}");
        return string.Create(CultureInfo.InvariantCulture,
            $"otherRemoved={removed}/{keys.Count} otherFencesWritten={fences.Count(f => f.State == FenceState.Active)} otherFencesPending={fences.Count(f => f.State == FenceState.Pending)} otherPolicyUpdates={puts + provisions} otherProvisioning={(stillProvisioning ? "IN_PROGRESS" : "ended")}");
    }

    private async Task<List<Grant>> ConfirmedAsync()
    {
        var wanted = _ids.ToHashSet(StringComparer.Ordinal);
        return (await store.ListGrantsAsync(activeOnly: true, user: null)).Where(g => wanted.Contains(g.ActivationId) && g.AccessConfirmedAt is not null).ToList();
    }

    private async Task<List<SessionFence>> FencesAsync() =>
        (await store.GetOpenFencesForPermissionSetAsync(ModelAws.OtherPermissionSetArn)).ToList();

    private static string Describe(IReadOnlyCollection<SessionFence> fences) =>
        fences.Count == 0 ? "none open" : string.Join(", ", fences.GroupBy(f => f.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
}
