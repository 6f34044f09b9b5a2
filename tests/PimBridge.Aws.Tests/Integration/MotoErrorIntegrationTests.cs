using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>moto's two error-body dialects (sso-admin's lowercase <c>message</c>, identitystore's <c>Message</c>) surface alike.</summary>
[Collection(MotoCollection.Name)]
public sealed class MotoErrorIntegrationTests(MotoFixture moto)
{
    private readonly MotoSeed _seed = new(moto);

    [Fact]
    public async Task SsoAdmin_ResourceNotFoundException_with_lowercase_message_surfaces_once_and_is_not_retried()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        var unknown = $"{instanceArn}/ps-0000000000000000";
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = instanceArn, PermissionSetArn = unknown }));

        var exchange = Assert.Single(recorder.Exchanges); // 5 attempts are allowed; a non-retryable error uses one
        Assert.Equal(400, exchange.Status);
        Assert.Equal("Could not find PermissionSet with id ps-0000000000000000", exchange.Response.GetProperty("message").GetString());
        Assert.Equal("sso-admin", error.Service);
        Assert.Equal("DescribePermissionSet", error.Operation);
        Assert.Equal(400, error.Status);
        Assert.Equal("ResourceNotFoundException", error.ErrorCode);
        Assert.True(error.IsNotFound);
        Assert.Equal("Could not find PermissionSet with id ps-0000000000000000", error.ServiceMessage);
        Assert.Contains("Could not find PermissionSet with id ps-0000000000000000", error.Message);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.Equal(exchange.ResponseHeader("x-amzn-RequestId"), error.RequestId);
        Assert.False(error.IsRetryable);
        Assert.False(error.IsThrottling);
        Assert.Equal(1, error.Attempts);
    }

    [Fact]
    public async Task IdentityStore_ResourceNotFoundException_with_uppercase_Message_surfaces_once_and_is_not_retried()
    {
        var storeId = await _seed.IdentityStoreIdAsync();
        var unknownUser = Guid.NewGuid().ToString(); // well-formed, never created
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingIdentityStore(recorder);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.DescribeUserAsync(new DescribeUserRequest { IdentityStoreId = storeId, UserId = unknownUser }));

        var exchange = Assert.Single(recorder.Exchanges);
        Assert.Equal(400, exchange.Status);
        Assert.Equal("USER not found.", exchange.Response.GetProperty("Message").GetString());
        Assert.Equal("identitystore", error.Service);
        Assert.Equal("DescribeUser", error.Operation);
        Assert.Equal(400, error.Status);
        Assert.Equal("ResourceNotFoundException", error.ErrorCode);
        Assert.True(error.IsNotFound);
        Assert.Equal("USER not found.", error.ServiceMessage);
        Assert.Contains("USER not found.", error.Message);
        // The header's request id wins over the fixed one moto writes into the body ("178936da-...example").
        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.Equal(exchange.ResponseHeader("x-amzn-RequestId"), error.RequestId);
        Assert.Null(error.Reason); // moto sends "Reason": null
        Assert.False(error.IsRetryable);
        Assert.Equal(1, error.Attempts);
    }

    [Fact]
    public async Task IdentityStore_GetUserId_of_an_unknown_user_name_is_ResourceNotFoundException()
    {
        var storeId = await _seed.IdentityStoreIdAsync();

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => moto.IdentityStore.GetUserIdAsync(new GetUserIdRequest
        {
            IdentityStoreId = storeId,
            AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, MotoSeed.Unique("nobody")),
        }));

        Assert.Equal("ResourceNotFoundException", error.ErrorCode);
        Assert.Equal("USER not found.", error.ServiceMessage);
        Assert.Equal(1, error.Attempts);
    }

    [Fact]
    public async Task Deleting_an_assignment_that_does_not_exist_fails_once_and_gives_the_operation_slot_back()
    {
        var recorder = new MotoExchangeRecorder();
        using var client = moto.RecordingSsoAdmin(recorder, o => o.MaxOutstandingAssignmentOperations = 1);
        var request = new AccountAssignmentRequest
        {
            InstanceArn = await _seed.InstanceArnAsync(),
            TargetId = MotoSeed.AccountId,
            PermissionSetArn = await _seed.CreatePermissionSetAsync(MotoSeed.Unique("missing")),
            PrincipalType = PrincipalTypes.User,
            PrincipalId = Guid.NewGuid().ToString(),
        };

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.DeleteAccountAssignmentAsync(request));

        Assert.Equal("ResourceNotFoundException", error.ErrorCode);
        Assert.False(error.IsRetryable);
        Assert.Equal(1, error.Attempts);
        Assert.Single(recorder.Exchanges);
        Assert.Equal(1, client.AvailableOperationSlots);
    }
}
