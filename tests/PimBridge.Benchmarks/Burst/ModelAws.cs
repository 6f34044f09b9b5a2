using System.Collections.Concurrent;
using System.Globalization;
using Amazon.Runtime;
using PimBridge.Testing.Adversarial;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// The adversarial Identity Center model set to AWS's documented behaviour (<see cref="AwsQuotas.Documented"/>: 20
/// requests a second for sso-admin, 20 for Identity Store, each a token bucket answering ThrottlingException; at most 15
/// outstanding CreateAccountAssignment operations; pages of 100), no random faults, and every asynchronous operation
/// IN_PROGRESS for exactly the configured time. It runs on the system clock, as the engine does: what is measured is
/// the engine's own processing too (SQLite commits, JSON, the clients), which a virtual clock would leave out.
/// </summary>
internal sealed class ModelAws : BurstAws
{
    private readonly IdentityCenterModel _model;
    private readonly TimeSpan _operationTime;

    /// <summary>The permission set of the <c>--slow-provisioning</c> side load, when there is one.</summary>
    public static readonly string OtherPermissionSetArn = PermissionSetArn("ps-benchother0000000");

    private readonly TimeSpan? _slowProvisioning;
    private readonly ConcurrentDictionary<(string Operation, string PermissionSet), int> _writes = new();

    /// <param name="slowProvisioning">When set, a third permission set (<see cref="SlowProvisioning.PermissionSetName"/>)
    /// whose every ProvisionPermissionSet stays IN_PROGRESS this long.</param>
    public ModelAws(TimeSpan operationTime, double requestsPerSecond, TimeSpan? slowProvisioning = null, int seed = 20260701)
    {
        _operationTime = operationTime;
        _slowProvisioning = slowProvisioning;
        _model = new IdentityCenterModel(TimeProvider.System, new Random(seed)) { Adversity = Adversity.Calm(operationTime) };
        _model.AddPermissionSet(PermissionSetArn("ps-benchadmin0000000"), BurstShapes.PermissionSetName, TimeSpan.FromHours(1));
        var readOnly = PermissionSetArn("ps-benchreadonly0000");
        _model.AddPermissionSet(readOnly, BurstShapes.GroupPermissionSetName, TimeSpan.FromHours(1));
        GroupId = "9067cccc-0000-4000-8000-000000000001";
        _model.Groups[GroupId] = "BenchGroup";
        _model.ForeignCreateAssignment(new AssignmentKey(readOnly, Accounts[0], "GROUP", GroupId));
        if (slowProvisioning is { } slow)
        {
            _model.AddPermissionSet(OtherPermissionSetArn, SlowProvisioning.PermissionSetName, TimeSpan.FromHours(1));
            _model.ProvisioningTimeOf[OtherPermissionSetArn] = slow;
        }

        // Policy writes by permission set, so the side load's writes can be told from the measured ones.
        _model.OnRequest = (at, operation, body) =>
        {
            if (operation is "PutInlinePolicyToPermissionSet" or "ProvisionPermissionSet" && body["PermissionSetArn"]?.GetValue<string>() is { } arn)
                _writes.AddOrUpdate((operation, arn), 1, (_, count) => count + 1);
        };
        // Quotas from here on: the seeding above is the world as it was before the run, not calls of PimBridge's.
        _model.Quotas = AwsQuotas.Documented;
        CreateClients(new Uri("http://identity-center.model.invalid/"), new BasicAWSCredentials("AKIDMODEL", "model-secret"), new IdentityCenterWire(_model), requestsPerSecond);
    }

    public override string Name => "model";

    public override string Describe => string.Create(CultureInfo.InvariantCulture,
        $"the adversarial Identity Center model at AWS's documented quotas ({_model.Quotas!.SsoAdminRequestsPerSecond} sso-admin and {_model.Quotas.IdentityStoreRequestsPerSecond} Identity Store requests/s, token buckets of {_model.Quotas.Burst.TotalSeconds:0.#} s, ≤ {IdentityCenterModel.MaxOutstandingCreates} outstanding creates, pages of {_model.Quotas.PageSize}), operations IN_PROGRESS for {_operationTime.TotalSeconds:0.###} s, no random faults{(_slowProvisioning is { } slow ? $"; {SlowProvisioning.PermissionSetName}'s provisioning IN_PROGRESS for {slow.TotalSeconds:0.###} s" : "")}");

    public override string InstanceArn => IdentityCenterModel.InstanceArn;

    public override string IdentityStoreId => IdentityCenterModel.IdentityStoreId;

    public IdentityCenterModel Model => _model;

    public override IReadOnlyDictionary<string, int> RefusedForQuota => new SortedDictionary<string, int>(_model.Throttled, StringComparer.Ordinal);

    public override void Reset()
    {
        base.Reset();
        _model.Throttled.Clear();
        _model.Calls.Clear();
        _writes.Clear();
    }

    /// <summary>PutInlinePolicyToPermissionSet or ProvisionPermissionSet calls naming the permission set since the last <see cref="Reset"/> (attempts the model served, throttled ones included).</summary>
    public int WritesTo(string operation, string permissionSetArn) => _writes.GetValueOrDefault((operation, permissionSetArn));

    /// <summary>Whether the model is provisioning the permission set now.</summary>
    public bool Provisioning(string permissionSetArn)
    {
        lock (_model.Gate)
        {
            return _model.ProvisioningNow(permissionSetArn);
        }
    }

    public override Task SeedUsersAsync(IReadOnlyList<string> userNames)
    {
        for (var i = 0; i < userNames.Count; i++)
            _model.AddUser($"9067bbbb-0000-4000-8000-{i:D12}", userNames[i]);
        return Task.CompletedTask;
    }

    private static string PermissionSetArn(string id) => $"arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/{id}";
}
