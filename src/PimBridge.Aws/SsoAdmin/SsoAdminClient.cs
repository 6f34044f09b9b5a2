using PimBridge.Aws.Transport;

namespace PimBridge.Aws.SsoAdmin;

/// <summary>
/// IAM Identity Center admin API (sso-admin), the operations PimBridge needs. Thread-safe; create one per Identity
/// Center instance and share it, so its rate limit and assignment-operation cap hold process-wide.
/// </summary>
public sealed class SsoAdminClient : IDisposable
{
    private static AwsJsonContext Json => AwsJsonContext.Wire;

    private readonly AwsJsonTransport _transport;
    private readonly SsoAdminClientOptions _options;
    private readonly OperationSlots _slots;
    private readonly OperationPace _pace;
    private readonly PolicyWriteTurns _policyWrites;

    public SsoAdminClient(SsoAdminClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateOperations();
        _transport = new AwsJsonTransport(AwsService.SsoAdmin, options);
        _options = options;
        _slots = new OperationSlots(options.MaxOutstandingAssignmentOperations);
        _pace = new OperationPace(options.OperationPollInitialDelay, options.OperationPollMaxDelay, options.TimeProvider);
        _policyWrites = new PolicyWriteTurns(options.TimeProvider);
    }

    public Uri Endpoint => _transport.Endpoint;

    internal AwsJsonTransport Transport => _transport;

    /// <summary>
    /// Sends any sso-admin operation as a raw JSON body, signed, rate-limited and retried like the typed operations,
    /// and returns the raw JSON answer. For operations PimBridge itself never performs (the sandbox creates permission
    /// sets with it); PimBridge's own work goes through the typed methods.
    /// </summary>
    public Task<byte[]> SendJsonAsync(string operation, byte[] body, CancellationToken cancellationToken = default) =>
        _transport.SendAsync(operation, body, cancellationToken);

    internal int AvailableOperationSlots => _slots.Available;

    public IAsyncEnumerable<InstanceMetadata> ListInstancesAsync(ListInstancesRequest? request = null, CancellationToken cancellationToken = default)
    {
        request ??= new ListInstancesRequest();
        return Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListInstances", request with { NextToken = token }, Json.ListInstancesRequest, Json.ListInstancesResponse, ct),
            page => page.Instances, page => page.NextToken, cancellationToken);
    }

    /// <summary>Starts an assignment. Takes one of the outstanding-operation slots until the operation leaves IN_PROGRESS.</summary>
    public Task<CreateAccountAssignmentResponse> CreateAccountAssignmentAsync(AccountAssignmentRequest request, CancellationToken cancellationToken = default) =>
        StartAssignmentOperationAsync("CreateAccountAssignment", request, Json.CreateAccountAssignmentResponse,
            r => r.AccountAssignmentCreationStatus, cancellationToken);

    /// <summary>Starts removing an assignment. Takes one of the outstanding-operation slots until the operation leaves IN_PROGRESS.</summary>
    public Task<DeleteAccountAssignmentResponse> DeleteAccountAssignmentAsync(AccountAssignmentRequest request, CancellationToken cancellationToken = default) =>
        StartAssignmentOperationAsync("DeleteAccountAssignment", request, Json.DeleteAccountAssignmentResponse,
            r => r.AccountAssignmentDeletionStatus, cancellationToken);

    public async Task<AccountAssignmentOperationStatus> DescribeAccountAssignmentCreationStatusAsync(
        DescribeAccountAssignmentCreationStatusRequest request, CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync("DescribeAccountAssignmentCreationStatus", request,
            Json.DescribeAccountAssignmentCreationStatusRequest, Json.CreateAccountAssignmentResponse, cancellationToken, RequestPriority.Urgent).ConfigureAwait(false);
        return ObserveStatus(response.AccountAssignmentCreationStatus, request.AccountAssignmentCreationRequestId, "DescribeAccountAssignmentCreationStatus");
    }

    public async Task<AccountAssignmentOperationStatus> DescribeAccountAssignmentDeletionStatusAsync(
        DescribeAccountAssignmentDeletionStatusRequest request, CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync("DescribeAccountAssignmentDeletionStatus", request,
            Json.DescribeAccountAssignmentDeletionStatusRequest, Json.DeleteAccountAssignmentResponse, cancellationToken, RequestPriority.Urgent).ConfigureAwait(false);
        return ObserveStatus(response.AccountAssignmentDeletionStatus, request.AccountAssignmentDeletionRequestId, "DescribeAccountAssignmentDeletionStatus");
    }

    /// <summary>Creates an assignment and waits until it has succeeded; throws <see cref="AwsOperationException"/> if it fails or times out.</summary>
    public async Task<AccountAssignmentOperationStatus> CreateAccountAssignmentAndWaitAsync(AccountAssignmentRequest request, CancellationToken cancellationToken = default)
    {
        var started = await CreateAccountAssignmentAsync(request, cancellationToken).ConfigureAwait(false);
        return await WaitAsync("CreateAccountAssignment", started.AccountAssignmentCreationStatus!,
            (id, ct) => DescribeAccountAssignmentCreationStatusAsync(
                new() { InstanceArn = request.InstanceArn, AccountAssignmentCreationRequestId = id }, ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes an assignment and waits until it has succeeded; throws <see cref="AwsOperationException"/> if it fails or times out.</summary>
    public async Task<AccountAssignmentOperationStatus> DeleteAccountAssignmentAndWaitAsync(AccountAssignmentRequest request, CancellationToken cancellationToken = default)
    {
        var started = await DeleteAccountAssignmentAsync(request, cancellationToken).ConfigureAwait(false);
        return await WaitAsync("DeleteAccountAssignment", started.AccountAssignmentDeletionStatus!,
            (id, ct) => DescribeAccountAssignmentDeletionStatusAsync(
                new() { InstanceArn = request.InstanceArn, AccountAssignmentDeletionRequestId = id }, ct),
            cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<AccountAssignment> ListAccountAssignmentsAsync(ListAccountAssignmentsRequest request, CancellationToken cancellationToken = default) =>
        Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListAccountAssignments", request with { NextToken = token },
                Json.ListAccountAssignmentsRequest, Json.ListAccountAssignmentsResponse, ct),
            page => page.AccountAssignments, page => page.NextToken, cancellationToken);

    public IAsyncEnumerable<AccountAssignmentForPrincipal> ListAccountAssignmentsForPrincipalAsync(
        ListAccountAssignmentsForPrincipalRequest request, CancellationToken cancellationToken = default) =>
        Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListAccountAssignmentsForPrincipal", request with { NextToken = token },
                Json.ListAccountAssignmentsForPrincipalRequest, Json.ListAccountAssignmentsForPrincipalResponse, ct),
            page => page.AccountAssignments, page => page.NextToken, cancellationToken);

    /// <summary>Streams the ARNs of the instance's permission sets.</summary>
    public IAsyncEnumerable<string> ListPermissionSetsAsync(ListPermissionSetsRequest request, CancellationToken cancellationToken = default) =>
        Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListPermissionSets", request with { NextToken = token },
                Json.ListPermissionSetsRequest, Json.ListPermissionSetsResponse, ct),
            page => page.PermissionSets, page => page.NextToken, cancellationToken);

    public Task<DescribePermissionSetResponse> DescribePermissionSetAsync(PermissionSetRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("DescribePermissionSet", request, Json.PermissionSetRequest, Json.DescribePermissionSetResponse, cancellationToken);

    /// <summary>
    /// Replaces the permission set's inline policy. Accounts that already use the permission set see the change only
    /// after <see cref="ProvisionPermissionSetAndWaitAsync"/>.
    /// </summary>
    public Task<EmptyResponse> PutInlinePolicyToPermissionSetAsync(PutInlinePolicyToPermissionSetRequest request, CancellationToken cancellationToken = default)
    {
        InlinePolicyRules.Validate(request.InlinePolicy);
        return _transport.SendAsync("PutInlinePolicyToPermissionSet", request, Json.PutInlinePolicyToPermissionSetRequest, Json.EmptyResponse,
            cancellationToken, RequestPriority.Urgent, RefusedAsBusy(request.PermissionSetArn));
    }

    /// <summary>Reads the inline policy; <see cref="GetInlinePolicyForPermissionSetResponse.InlinePolicy"/> is null when there is none.</summary>
    public async Task<GetInlinePolicyForPermissionSetResponse> GetInlinePolicyForPermissionSetAsync(PermissionSetRequest request, CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync("GetInlinePolicyForPermissionSet", request,
            Json.PermissionSetRequest, Json.GetInlinePolicyForPermissionSetResponse, cancellationToken, RequestPriority.Urgent).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(response.InlinePolicy) ? response with { InlinePolicy = null } : response;
    }

    public Task<EmptyResponse> DeleteInlinePolicyFromPermissionSetAsync(PermissionSetRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("DeleteInlinePolicyFromPermissionSet", request, Json.PermissionSetRequest, Json.EmptyResponse,
            cancellationToken, RequestPriority.Urgent, RefusedAsBusy(request.PermissionSetArn));

    /// <summary>Starts a provisioning; the response always carries its status (an answer without one is malformed).</summary>
    public async Task<ProvisionPermissionSetResponse> ProvisionPermissionSetAsync(ProvisionPermissionSetRequest request, CancellationToken cancellationToken = default)
    {
        if (request.TargetType == ProvisionTargetTypes.AwsAccount && string.IsNullOrEmpty(request.TargetId))
            throw new ArgumentException("ProvisionPermissionSet with TargetType AWS_ACCOUNT needs TargetId (the 12-digit account id).", nameof(request));
        var response = await _transport.SendAsync("ProvisionPermissionSet", request, Json.ProvisionPermissionSetRequest, Json.ProvisionPermissionSetResponse,
            cancellationToken, RequestPriority.Urgent, RefusedAsBusy(request.PermissionSetArn)).ConfigureAwait(false);
        if (response.PermissionSetProvisioningStatus is null)
            throw Malformed("ProvisionPermissionSet", "PermissionSetProvisioningStatus");
        _policyWrites.End(request.PermissionSetArn);
        return response;
    }

    /// <summary>
    /// A policy write or provisioning refused as busy asks for a turn (see <see cref="PolicyWriteTurns"/>) at its first
    /// refused attempt, and the transport goes on retrying it only while the turn lasts: those retries are what the
    /// turn makes room for. With no turn to be had, the refusal is handed back at once (its caller tries again later).
    /// </summary>
    private Func<AwsServiceException, bool> RefusedAsBusy(string permissionSetArn) => failure =>
        failure.ErrorCode != "ConflictException" || _policyWrites.Ask(permissionSetArn);

    public async Task<PermissionSetProvisioningStatus> DescribePermissionSetProvisioningStatusAsync(
        DescribePermissionSetProvisioningStatusRequest request, CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync("DescribePermissionSetProvisioningStatus", request,
            Json.DescribePermissionSetProvisioningStatusRequest, Json.DescribePermissionSetProvisioningStatusResponse, cancellationToken, RequestPriority.Urgent).ConfigureAwait(false);
        return response.PermissionSetProvisioningStatus
            ?? throw Malformed("DescribePermissionSetProvisioningStatus", "PermissionSetProvisioningStatus");
    }

    /// <summary>Provisions and waits until provisioning has succeeded; throws <see cref="AwsOperationException"/> if it fails or times out.</summary>
    public async Task<PermissionSetProvisioningStatus> ProvisionPermissionSetAndWaitAsync(ProvisionPermissionSetRequest request, CancellationToken cancellationToken = default)
    {
        var started = await ProvisionPermissionSetAsync(request, cancellationToken).ConfigureAwait(false);
        return await WaitAsync("ProvisionPermissionSet", started.PermissionSetProvisioningStatus!,
            (id, ct) => DescribePermissionSetProvisioningStatusAsync(
                new() { InstanceArn = request.InstanceArn, ProvisionPermissionSetRequestId = id }, ct),
            cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<string> ListAccountsForProvisionedPermissionSetAsync(
        ListAccountsForProvisionedPermissionSetRequest request, CancellationToken cancellationToken = default) =>
        Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListAccountsForProvisionedPermissionSet", request with { NextToken = token },
                Json.ListAccountsForProvisionedPermissionSetRequest, Json.ListAccountsForProvisionedPermissionSetResponse, ct, RequestPriority.Urgent),
            page => page.AccountIds, page => page.NextToken, cancellationToken);

    public void Dispose() => _transport.Dispose();

    private async Task<TResponse> StartAssignmentOperationAsync<TResponse>(
        string operation, AccountAssignmentRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResponse> responseType,
        Func<TResponse, AccountAssignmentOperationStatus?> status, CancellationToken cancellationToken)
    {
        var creation = operation == "CreateAccountAssignment";
        while (true)
        {
            await _policyWrites.WaitAsync(request.PermissionSetArn, cancellationToken).ConfigureAwait(false);
            await _slots.AcquireAsync(creation, cancellationToken).ConfigureAwait(false);
            // A turn asked while this waited for its slot holds it too: a drain always has operations queued for slots.
            if (!_policyWrites.Holds(request.PermissionSetArn))
                break;
            _slots.Release();
        }

        TResponse response;
        try
        {
            response = await _transport.SendAsync(operation, request, Json.AccountAssignmentRequest, responseType, cancellationToken,
                RequestPriority.Urgent).ConfigureAwait(false);
        }
        catch
        {
            _slots.Release();
            throw;
        }

        var started = status(response);
        _slots.AfterStart(started?.Status, started?.RequestId);
        if (started?.Status is null)
            throw Malformed(operation, "a status with Status and RequestId");
        return response;
    }

    private AccountAssignmentOperationStatus ObserveStatus(AccountAssignmentOperationStatus? status, string requestId, string operation)
    {
        if (status?.Status is null)
            throw Malformed(operation, "a status with Status");
        _slots.AfterStatus(status.Status, requestId);
        return status;
    }

    /// <summary>Polls an account-assignment creation until it leaves IN_PROGRESS or <paramref name="wait"/> has passed; returns its last status.</summary>
    public Task<AccountAssignmentOperationStatus> PollAccountAssignmentCreationAsync(
        string instanceArn, AccountAssignmentOperationStatus status, TimeSpan wait, CancellationToken cancellationToken = default) =>
        PollAsync("CreateAccountAssignment", status,
            (id, ct) => DescribeAccountAssignmentCreationStatusAsync(new() { InstanceArn = instanceArn, AccountAssignmentCreationRequestId = id }, ct),
            wait, cancellationToken);

    /// <summary>Polls an account-assignment deletion until it leaves IN_PROGRESS or <paramref name="wait"/> has passed; returns its last status.</summary>
    public Task<AccountAssignmentOperationStatus> PollAccountAssignmentDeletionAsync(
        string instanceArn, AccountAssignmentOperationStatus status, TimeSpan wait, CancellationToken cancellationToken = default) =>
        PollAsync("DeleteAccountAssignment", status,
            (id, ct) => DescribeAccountAssignmentDeletionStatusAsync(new() { InstanceArn = instanceArn, AccountAssignmentDeletionRequestId = id }, ct),
            wait, cancellationToken);

    /// <summary>Polls a permission-set provisioning until it leaves IN_PROGRESS or <paramref name="wait"/> has passed; returns its last status.</summary>
    public Task<PermissionSetProvisioningStatus> PollPermissionSetProvisioningAsync(
        string instanceArn, PermissionSetProvisioningStatus status, TimeSpan wait, CancellationToken cancellationToken = default) =>
        PollAsync("ProvisionPermissionSet", status,
            (id, ct) => DescribePermissionSetProvisioningStatusAsync(new() { InstanceArn = instanceArn, ProvisionPermissionSetRequestId = id }, ct),
            wait, cancellationToken);

    /// <summary>Polls until the status leaves IN_PROGRESS or the deadline passes; throws <see cref="AwsOperationException"/> unless it succeeded.</summary>
    private async Task<T> WaitAsync<T>(string operation, T status, Func<string, CancellationToken, Task<T>> describe, CancellationToken cancellationToken)
        where T : IOperationStatus
    {
        var started = _options.TimeProvider.GetUtcNow();
        status = await PollAsync(operation, status, describe, _options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        var waited = _options.TimeProvider.GetUtcNow() - started;
        if (status.Status != OperationStatuses.Succeeded)
            throw new AwsOperationException(operation, status.RequestId, status.Status, status.FailureReason, timedOut: status.Status == OperationStatuses.InProgress, waited);
        return status;
    }

    /// <summary>
    /// Polls until the status leaves IN_PROGRESS or <paramref name="wait"/> has passed: the first look at the learned
    /// pace for account-assignment operations (<see cref="OperationPace"/>) and, if still running, a second a moment
    /// later; the rest with doubling pauses (for those operations, at the times the doubling schedule would have looked).
    /// </summary>
    private async Task<T> PollAsync<T>(string operation, T status, Func<string, CancellationToken, Task<T>> describe, TimeSpan wait, CancellationToken cancellationToken)
        where T : IOperationStatus
    {
        var time = _options.TimeProvider;
        var started = time.GetUtcNow();
        var learns = OperationPace.Learns(operation);
        var pause = learns ? _pace.FirstLook(operation) : _options.OperationPollInitialDelay;
        var doubling = _options.OperationPollInitialDelay;
        var looks = 0;
        try
        {
            while (status.Status == OperationStatuses.InProgress)
            {
                if (status.RequestId is null)
                    throw Malformed(operation, "a RequestId for the IN_PROGRESS operation");
                if (time.GetUtcNow() - started >= wait)
                    break;
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
                // Learned: one still running at the first look is most likely about to end, so look again a moment later;
                // the looks after that keep the doubling schedule's times, so an unlearned operation is seen done no later.
                looks++;
                if (learns && looks == 1)
                {
                    pause = OperationPace.Margin;
                }
                else
                {
                    doubling = TimeSpan.FromTicks(Math.Min(doubling.Ticks * 2, _options.OperationPollMaxDelay.Ticks));
                    pause = learns && looks == 2 ? doubling - OperationPace.Margin : doubling;
                }
                status = await describe(status.RequestId, cancellationToken).ConfigureAwait(false);
                if (learns && status.Status == OperationStatuses.InProgress)
                    _pace.StillRunning(operation, time.GetUtcNow() - started);
            }
        }
        finally
        {
            if (status.Status == OperationStatuses.InProgress && status.RequestId is not null)
                _slots.Abandon(status.RequestId); // we stop watching it; do not let it hold a slot forever
        }

        return status;
    }

    private static AwsServiceException Malformed(string operation, string expected) =>
        new(AwsService.SsoAdminName, operation, 200, AwsServiceException.MalformedResponse, $"the response lacks {expected}");
}
