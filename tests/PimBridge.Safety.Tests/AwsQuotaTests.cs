using PimBridge.Aws;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Testing;
using PimBridge.Testing.Adversarial;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Safety.Tests;

/// <summary>
/// The model's opt-in AWS quotas (the <c>burst</c> benchmark's AWS), through PimBridge's real clients over the wire:
/// a token bucket per service answering the documented ThrottlingException, the 15 outstanding creations, an IN_PROGRESS
/// that lasts exactly as long as set, pages of 100; and, with the quotas off, the model as every safety schedule knows it.
/// The model's clock stands still unless a test moves it, so "at once" is exact.
/// </summary>
public sealed class AwsQuotaTests : IDisposable
{
    private readonly ManualTimeProvider _clock = new();
    private readonly IdentityCenterModel _model;
    private readonly SsoAdminClient _ssoAdmin;
    private readonly IdentityStoreClient _identityStore;

    public AwsQuotaTests()
    {
        _model = new IdentityCenterModel(_clock, new Random(1)) { Quotas = AwsQuotas.Documented };
        _model.AddPermissionSet(Admin, "Admin", TimeSpan.FromHours(1));
        for (var i = 0; i < 150; i++) _model.AddUser(UserId(i), $"user{i}@contoso.com");
        var wire = new IdentityCenterWire(_model);
        _ssoAdmin = new SsoAdminClient(Configure(new SsoAdminClientOptions { MaxOutstandingAssignmentOperations = 20 }, wire));
        _identityStore = new IdentityStoreClient(Configure(new IdentityStoreClientOptions(), wire));
    }

    public void Dispose()
    {
        _ssoAdmin.Dispose();
        _identityStore.Dispose();
    }

    [Fact]
    public async Task Calls_over_a_services_rate_are_throttled_with_the_documented_error_and_the_other_service_is_not()
    {
        for (var i = 0; i < 20; i++) await DescribeAdminAsync(); // a full bucket: one second's worth at once

        var throttled = await Assert.ThrowsAsync<AwsServiceException>(DescribeAdminAsync);

        Assert.Equal(("ThrottlingException", 400), (throttled.ErrorCode, throttled.Status));
        Assert.True(throttled.IsThrottling && throttled.IsRetryable);
        Assert.Equal("There are too many requests processing. Please try again later.", throttled.ServiceMessage);
        for (var i = 0; i < 20; i++) await DescribeUserAsync(0); // Identity Store's quota is its own
        var identityStore = await Assert.ThrowsAsync<AwsServiceException>(() => DescribeUserAsync(0));
        Assert.Equal(("ThrottlingException", 400, "Rate exceeded"), (identityStore.ErrorCode, identityStore.Status, identityStore.ServiceMessage));
        Assert.Equal(new Dictionary<string, int> { ["DescribePermissionSet"] = 1, ["DescribeUser"] = 1 }, _model.Throttled);
    }

    [Fact]
    public async Task The_bucket_refills_at_the_rate_and_a_refused_call_takes_nothing_from_it()
    {
        for (var i = 0; i < 20; i++) await DescribeAdminAsync();
        await Assert.ThrowsAsync<AwsServiceException>(DescribeAdminAsync);
        await Assert.ThrowsAsync<AwsServiceException>(DescribeAdminAsync);

        _clock.Advance(TimeSpan.FromMilliseconds(50)); // one request's worth at 20 a second
        await DescribeAdminAsync();
        await Assert.ThrowsAsync<AwsServiceException>(DescribeAdminAsync);

        _clock.Advance(TimeSpan.FromSeconds(10)); // never more than the bucket holds
        for (var i = 0; i < 20; i++) await DescribeAdminAsync();
        await Assert.ThrowsAsync<AwsServiceException>(DescribeAdminAsync);
        Assert.Equal(4, _model.Throttled["DescribePermissionSet"]);
    }

    [Fact]
    public async Task A_client_paced_at_the_quota_is_never_throttled()
    {
        for (var i = 0; i < 200; i++)
        {
            await DescribeAdminAsync();
            _clock.Advance(TimeSpan.FromMilliseconds(50));
        }

        Assert.Empty(_model.Throttled);
    }

    [Fact]
    public async Task The_sixteenth_outstanding_creation_is_refused_with_ServiceQuotaExceededException_until_one_ends()
    {
        _model.Adversity = Adversity.Calm(TimeSpan.FromSeconds(2));
        for (var i = 0; i < IdentityCenterModel.MaxOutstandingCreates; i++)
        {
            Assert.Equal("IN_PROGRESS", (await CreateAsync(i)).Status);
            _clock.Advance(TimeSpan.FromMilliseconds(50)); // at the quota's pace
        }

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() => CreateAsync(15));

        Assert.Equal(("ServiceQuotaExceededException", 402), (refused.ErrorCode, refused.Status));
        Assert.False(refused.IsRetryable);
        _clock.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(50 * 15)); // the first creation has now run its 2 s
        Assert.Equal("IN_PROGRESS", (await CreateAsync(15)).Status);
        await Assert.ThrowsAsync<AwsServiceException>(() => CreateAsync(16));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(3.0)]
    public async Task An_assignment_operation_stays_IN_PROGRESS_for_exactly_the_time_set(double seconds)
    {
        var operationTime = TimeSpan.FromSeconds(seconds);
        _model.Adversity = Adversity.Calm(operationTime);

        var started = await CreateAsync(0);
        _clock.Advance(operationTime - TimeSpan.FromMilliseconds(1));
        var before = await DescribeCreationAsync(started.RequestId!);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var after = await DescribeCreationAsync(started.RequestId!);

        Assert.Equal(("IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"), (started.Status, before.Status, after.Status));
        Assert.Contains(new AssignmentKey(Admin, Prod, "USER", UserId(0)), _model.Assignments.Keys);
    }

    [Fact]
    public async Task A_permission_set_given_its_own_provisioning_time_stays_IN_PROGRESS_that_long_while_another_provisions_at_the_usual_pace()
    {
        _model.Adversity = Adversity.Calm(TimeSpan.FromSeconds(1));
        _model.AddPermissionSet(ReadOnly, "ReadOnly", TimeSpan.FromHours(1));
        _model.ForeignCreateAssignment(new AssignmentKey(Admin, Prod, "USER", UserId(0)));
        _model.ForeignCreateAssignment(new AssignmentKey(ReadOnly, Prod, "USER", UserId(1)));
        _model.ProvisioningTimeOf[Admin] = TimeSpan.FromSeconds(120);

        var slow = await ProvisionAsync(Admin);
        var usual = await ProvisionAsync(ReadOnly);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var afterOneSecond = (await ProvisioningAsync(slow.RequestId!), await ProvisioningAsync(usual.RequestId!));
        _clock.Advance(TimeSpan.FromSeconds(119) - TimeSpan.FromMilliseconds(1));
        var justBefore = await ProvisioningAsync(slow.RequestId!);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var atTheTime = await ProvisioningAsync(slow.RequestId!);

        Assert.Equal(("IN_PROGRESS", "IN_PROGRESS"), (slow.Status, usual.Status));
        Assert.Equal(("IN_PROGRESS", "SUCCEEDED"), (afterOneSecond.Item1.Status, afterOneSecond.Item2.Status));
        Assert.Equal(("IN_PROGRESS", "SUCCEEDED"), (justBefore.Status, atTheTime.Status));
    }

    [Fact]
    public async Task Lists_answer_pages_of_at_most_100_under_the_quotas_and_in_one_answer_without_them()
    {
        for (var i = 0; i < 150; i++) _model.ForeignCreateAssignment(new AssignmentKey(Admin, Prod, "USER", UserId(i)));

        var paged = await _ssoAdmin.ListAccountAssignmentsAsync(Listing()).ToListAsync();
        Assert.Equal(2, _model.Calls["ListAccountAssignments"]);
        _model.Quotas = null;
        var whole = await _ssoAdmin.ListAccountAssignmentsAsync(Listing()).ToListAsync();

        Assert.Equal(3, _model.Calls["ListAccountAssignments"]);
        Assert.Equal(150, paged.Select(a => a.PrincipalId).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 150).Select(UserId), whole.Select(a => a.PrincipalId!)); // the model's own order, as before
    }

    [Fact]
    public async Task Without_quotas_the_model_throttles_nothing_and_draws_its_faults_as_before()
    {
        _model.Quotas = null;
        for (var i = 0; i < 1000; i++) await DescribeAdminAsync(); // all at one instant

        Assert.Empty(_model.Throttled);
        // The quota check draws nothing from the model's one source of chance, so a seeded schedule replays as it did.
        var before = new IdentityCenterModel(_clock, new Random(7)) { Adversity = new Adversity() };
        var after = new IdentityCenterModel(_clock, new Random(7)) { Adversity = new Adversity() };
        var drawn = Enumerable.Range(0, 500).Select(_ => before.DrawFaultBefore(identityStore: false)?.Code).ToList();
        var drawnAfterChecks = Enumerable.Range(0, 500).Select(_ => after.AdmitRequest("DescribePermissionSet", identityStore: false) ?? after.DrawFaultBefore(identityStore: false)).Select(e => e?.Code).ToList();
        Assert.Equal(drawn, drawnAfterChecks);
        Assert.Contains("ThrottlingException", drawn); // the random faults are still there
    }

    private Task<DescribePermissionSetResponse> DescribeAdminAsync() =>
        _ssoAdmin.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = IdentityCenterModel.InstanceArn, PermissionSetArn = Admin });

    private Task<DescribeUserResponse> DescribeUserAsync(int i) =>
        _identityStore.DescribeUserAsync(new DescribeUserRequest { IdentityStoreId = IdentityCenterModel.IdentityStoreId, UserId = UserId(i) });

    private async Task<AccountAssignmentOperationStatus> CreateAsync(int i) =>
        (await _ssoAdmin.CreateAccountAssignmentAsync(new AccountAssignmentRequest
        {
            InstanceArn = IdentityCenterModel.InstanceArn, TargetId = Prod, PermissionSetArn = Admin, PrincipalType = PrincipalTypes.User, PrincipalId = UserId(i),
        })).AccountAssignmentCreationStatus!;

    private async Task<PermissionSetProvisioningStatus> ProvisionAsync(string permissionSet) =>
        (await _ssoAdmin.ProvisionPermissionSetAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = IdentityCenterModel.InstanceArn, PermissionSetArn = permissionSet, TargetType = ProvisionTargetTypes.AllProvisionedAccounts,
        })).PermissionSetProvisioningStatus!;

    private Task<PermissionSetProvisioningStatus> ProvisioningAsync(string requestId) =>
        _ssoAdmin.DescribePermissionSetProvisioningStatusAsync(new() { InstanceArn = IdentityCenterModel.InstanceArn, ProvisionPermissionSetRequestId = requestId });

    private Task<AccountAssignmentOperationStatus> DescribeCreationAsync(string requestId) =>
        _ssoAdmin.DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = IdentityCenterModel.InstanceArn, AccountAssignmentCreationRequestId = requestId });

    private static ListAccountAssignmentsRequest Listing() => new() { InstanceArn = IdentityCenterModel.InstanceArn, AccountId = Prod, PermissionSetArn = Admin };

    private static string UserId(int i) => $"9067dddd-0000-4000-8000-{i:D12}";

    /// <summary>PimBridge's client as a host configures it, but one attempt a call (so each answer is seen) and a limiter far above the quota (so the model's bucket is what limits).</summary>
    private static T Configure<T>(T options, IdentityCenterWire wire) where T : AwsClientOptions
    {
        wire.Connect(options);
        options.RequestsPerSecond = 100_000;
        options.Retry.MaxAttempts = 1;
        return options;
    }
}
