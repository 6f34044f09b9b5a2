using System.Net;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Transport;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>
/// How an awsJson1_1 error response becomes an <see cref="AwsServiceException"/> (reference §4): where the code comes
/// from and in which order, how it is sanitised, and where message, request id and the modeled extras come from.
/// Every client here makes a single attempt so that retryable codes surface at once.
/// </summary>
public sealed class ErrorParsingTests
{
    private static readonly PermissionSetRequest DescribeRequest = new()
    {
        InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef",
        PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef",
    };

    private static async Task<AwsServiceException> SsoAdminFailure(
        HttpStatusCode status, string body, params (string Name, string Value)[] headers)
    {
        var handler = new RecordingHandler().RespondError(status, body, headers);
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 1);
        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));
        Assert.Single(handler.Requests);
        return failure;
    }

    private static async Task<AwsServiceException> IdentityStoreFailure(HttpStatusCode status, string body)
    {
        var handler = new RecordingHandler().RespondError(status, body);
        using var client = WireClients.IdentityStore(handler, configure: o => o.Retry.MaxAttempts = 1);
        return await Assert.ThrowsAsync<AwsServiceException>(() => client.GetUserIdAsync(new()
        {
            IdentityStoreId = "d-1234567890",
            AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, "alice"),
        }));
    }

    // --- where the code comes from ---

    [Fact]
    public async Task PlainTopLevelTypeIsTheErrorCode()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"__type":"ThrottlingException","message":"There are too many requests processing. Please try again later."}""");

        Assert.Equal("ThrottlingException", failure.ErrorCode);
        Assert.Equal("There are too many requests processing. Please try again later.", failure.ServiceMessage);
        Assert.True(failure.IsThrottling);
    }

    [Fact]
    public async Task NamespacedTypeIsReducedToTheShapeName()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"__type":"com.amazonaws.cloudtrail.v20131101#ThrottlingException","message":"Rate exceeded"}""");

        Assert.Equal("ThrottlingException", failure.ErrorCode);
        Assert.True(failure.IsThrottling);
    }

    [Fact]
    public async Task TypeWithColonSuffixKeepsWhatPrecedesTheColon()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"__type":"ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/","message":"bad arn"}""");

        Assert.Equal("ValidationException", failure.ErrorCode);
        Assert.False(failure.IsRetryable);
    }

    [Fact]
    public async Task NamespacedTypeWithColonSuffixIsReducedToTheShapeName()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"__type":"com.amazonaws.swbexternalservice#ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"}""");

        Assert.Equal("ValidationException", failure.ErrorCode);
    }

    [Theory]
    [InlineData("x-amzn-ErrorType")]
    [InlineData("X-Amzn-Errortype")]
    [InlineData("x-amzn-errortype")]
    [InlineData("X-AMZN-ERRORTYPE")]
    public async Task CodeOnlyInTheErrorTypeHeaderIsReadWhateverTheHeaderCasing(string headerName)
    {
        var failure = await SsoAdminFailure(HttpStatusCode.NotFound, """{"message":"no such permission set"}""",
            (headerName, "ResourceNotFoundException"));

        Assert.Equal("ResourceNotFoundException", failure.ErrorCode);
        Assert.True(failure.IsNotFound);
        Assert.Equal("no such permission set", failure.ServiceMessage);
    }

    [Fact]
    public async Task ErrorTypeHeaderWithColonSuffixIsSanitised()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, "{}",
            ("x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"));

        Assert.Equal("ValidationException", failure.ErrorCode);
    }

    [Fact]
    public async Task CodeOnlyInTopLevelCodeMemberIsRead()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.Forbidden, """{"code":"AccessDeniedException","message":"not allowed"}""");

        Assert.Equal("AccessDeniedException", failure.ErrorCode);
        Assert.True(failure.IsAccessDenied);
    }

    [Fact]
    public async Task NamespacedCodeMemberIsSanitised()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.Forbidden, """{"code":"aws.protocoltests#AccessDeniedException:http://x/"}""");

        Assert.Equal("AccessDeniedException", failure.ErrorCode);
    }

    [Fact]
    public async Task TopLevelTypeWinsOverHeaderAndCodeMember()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"code":"FromCodeMember","__type":"FromTypeMember","message":"m"}""",
            ("x-amzn-ErrorType", "FromHeader"));

        Assert.Equal("FromTypeMember", failure.ErrorCode);
    }

    [Fact]
    public async Task HeaderWinsOverCodeMemberWhenTypeIsAbsent()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"code":"FromCodeMember","message":"m"}""",
            ("x-amzn-ErrorType", "FromHeader"));

        Assert.Equal("FromHeader", failure.ErrorCode);
    }

    [Fact]
    public async Task EmptyTypeMemberFallsThroughToTheHeader()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"","code":"FromCodeMember"}""",
            ("x-amzn-ErrorType", "FromHeader"));

        Assert.Equal("FromHeader", failure.ErrorCode);
    }

    [Fact]
    public async Task NestedTypeIsIgnoredInFavourOfTopLevelCode()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"Details":{"__type":"NestedThrottlingException"},"code":"ValidationException","message":"m"}""");

        Assert.Equal("ValidationException", failure.ErrorCode);
        Assert.False(failure.IsThrottling);
    }

    [Fact]
    public async Task NestedTypeAloneDoesNotBecomeTheCode()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest,
            """{"Error":{"__type":"ThrottlingException","message":"nested"}}""");

        Assert.Equal("Http400", failure.ErrorCode);
        Assert.False(failure.IsThrottling);
        Assert.Equal("(no message)", failure.ServiceMessage);
    }

    // --- message, request id and modeled extras ---

    [Fact]
    public async Task MessageIsReadFromLowercaseMessageMember()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException","message":"lower"}""");

        Assert.Equal("lower", failure.ServiceMessage);
        Assert.Contains("lower", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageIsReadFromPascalCaseMessageMember()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException","Message":"Pascal"}""");

        Assert.Equal("Pascal", failure.ServiceMessage);
    }

    [Fact]
    public async Task NestedMessageIsNotTheErrorMessage()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException","Detail":{"message":"nested"}}""");

        Assert.Equal("(no message)", failure.ServiceMessage);
    }

    [Theory]
    [InlineData("""{"__type":"ValidationException","Message":"Pascal","message":"lower"}""")]
    [InlineData("""{"__type":"ValidationException","message":"lower","Message":"Pascal"}""")]
    public async Task LowercaseMessageWinsOverPascalCaseWhateverTheOrder(string body)
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, body);

        Assert.Equal("lower", failure.ServiceMessage);
    }

    [Fact]
    public async Task AnEmptyMessageFallsBackLikeAMissingOne()
    {
        // moto answers some sso-admin not-found errors with "message": "".
        var withHeader = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":""}""",
            ("x-amzn-error-message", "from the header"));
        var withoutHeader = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ResourceNotFoundException","message":" "}""");

        Assert.Equal("from the header", withHeader.ServiceMessage);
        Assert.Equal("(no message)", withoutHeader.ServiceMessage);
    }

    [Fact]
    public async Task MessageHeaderIsUsedWhenTheBodyHasNone()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException"}""",
            ("x-amzn-error-message", "from the header"));

        Assert.Equal("from the header", failure.ServiceMessage);
    }

    [Fact]
    public async Task BodyMessageIsPreferredToTheMessageHeader()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException","message":"from the body"}""",
            ("x-amzn-error-message", "from the header"));

        Assert.Equal("from the body", failure.ServiceMessage);
    }

    [Fact]
    public async Task RequestIdComesFromTheAmznRequestIdHeader()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException","message":"m"}""",
            ("x-amzn-RequestId", "7d2a1c3e-0000-4000-8000-000000000001"));

        Assert.Equal("7d2a1c3e-0000-4000-8000-000000000001", failure.RequestId);
        Assert.Contains("7d2a1c3e-0000-4000-8000-000000000001", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestIdFallsBackToTheAmzRequestIdHeader()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException"}""",
            ("x-amz-request-id", "fallback-id"));

        Assert.Equal("fallback-id", failure.RequestId);
    }

    [Fact]
    public async Task RequestIdIsNullWithoutARequestIdHeader()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException"}""");

        Assert.Null(failure.RequestId);
    }

    [Fact]
    public async Task IdentityStoreConflictCarriesItsReason()
    {
        var failure = await IdentityStoreFailure(HttpStatusCode.Conflict,
            """{"__type":"ConflictException","Message":"Membership exists","RequestId":"r-1","Reason":"UNIQUENESS_CONSTRAINT_VIOLATION"}""");

        Assert.Equal("ConflictException", failure.ErrorCode);
        Assert.Equal("UNIQUENESS_CONSTRAINT_VIOLATION", failure.Reason);
        Assert.Equal("Membership exists", failure.ServiceMessage);
        Assert.Equal(409, failure.Status);
        Assert.Equal("identitystore", failure.Service);
        Assert.Equal("GetUserId", failure.Operation);
    }

    [Fact]
    public async Task IdentityStoreThrottlingCarriesRetryAfterSeconds()
    {
        var failure = await IdentityStoreFailure(HttpStatusCode.BadRequest,
            """{"__type":"ThrottlingException","Message":"slow down","RetryAfterSeconds":7}""");

        Assert.Equal(TimeSpan.FromSeconds(7), failure.RetryAfter);
        Assert.True(failure.IsThrottling);
    }

    [Fact]
    public async Task RetryAfterSecondsSentAsStringIsRead()
    {
        var failure = await IdentityStoreFailure(HttpStatusCode.InternalServerError,
            """{"__type":"InternalServerException","Message":"oops","RetryAfterSeconds":"2.5"}""");

        Assert.Equal(TimeSpan.FromSeconds(2.5), failure.RetryAfter);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("\"soon\"")]
    [InlineData("null")]
    public async Task UnusableRetryAfterSecondsIsIgnored(string value)
    {
        var failure = await IdentityStoreFailure(HttpStatusCode.BadRequest,
            $$"""{"__type":"ThrottlingException","Message":"slow down","RetryAfterSeconds":{{value}}}""");

        Assert.Null(failure.RetryAfter);
        Assert.Equal("ThrottlingException", failure.ErrorCode);
    }

    [Fact]
    public async Task ErrorWithoutModeledExtrasHasNoReasonOrRetryAfter()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, """{"__type":"ValidationException","message":"m"}""");

        Assert.Null(failure.Reason);
        Assert.Null(failure.RetryAfter);
    }

    // --- bodies that are empty or not JSON ---

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task EmptyServerErrorBodyFallsBackToInternalFailure(HttpStatusCode status)
    {
        var failure = await SsoAdminFailure(status, "");

        Assert.Equal("InternalFailure", failure.ErrorCode);
        Assert.Equal("(empty error body)", failure.ServiceMessage);
        Assert.Equal((int)status, failure.Status);
        Assert.True(failure.IsRetryable);
        Assert.False(failure.IsThrottling);
    }

    [Fact]
    public async Task EmptyBodyWith429FallsBackToTooManyRequests()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.TooManyRequests, "");

        Assert.Equal("TooManyRequestsException", failure.ErrorCode);
        Assert.True(failure.IsThrottling);
    }

    [Fact]
    public async Task EmptyClientErrorBodyFallsBackToTheStatus()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.Forbidden, "");

        Assert.Equal("Http403", failure.ErrorCode);
        Assert.False(failure.IsRetryable);
    }

    [Fact]
    public async Task HtmlBodyFromAProxyFallsBackToTheStatus()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadGateway,
            "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>");

        Assert.Equal("InternalFailure", failure.ErrorCode);
        Assert.Equal("(no message)", failure.ServiceMessage);
        Assert.Equal(502, failure.Status);
        Assert.True(failure.IsRetryable);
    }

    [Fact]
    public async Task HtmlBodyStillTakesCodeAndMessageFromHeaders()
    {
        var failure = await SsoAdminFailure(HttpStatusCode.Forbidden, "<html><body>Forbidden</body></html>",
            ("x-amzn-ErrorType", "AccessDeniedException"), ("x-amzn-error-message", "User is not authorized"));

        Assert.Equal("AccessDeniedException", failure.ErrorCode);
        Assert.Equal("User is not authorized", failure.ServiceMessage);
    }

    [Theory]
    [InlineData("""["ThrottlingException"]""")]
    [InlineData("\"ThrottlingException\"")]
    [InlineData("""{"__type":42}""")]
    [InlineData("""{"__type":"ThrottlingException" """)]
    public async Task BodyThatIsNotAnErrorObjectFallsBackToTheStatus(string body)
    {
        var failure = await SsoAdminFailure(HttpStatusCode.BadRequest, body);

        Assert.Equal("Http400", failure.ErrorCode);
        Assert.False(failure.IsThrottling);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, 400)]
    [InlineData(HttpStatusCode.Forbidden, 403)]
    [InlineData(HttpStatusCode.NotFound, 404)]
    [InlineData(HttpStatusCode.Conflict, 409)]
    [InlineData(HttpStatusCode.InternalServerError, 500)]
    public async Task HttpStatusIsCarried(HttpStatusCode status, int expected)
    {
        var failure = await SsoAdminFailure(status, """{"__type":"SomeError","message":"m"}""");

        Assert.Equal(expected, failure.Status);
        Assert.Equal("sso-admin", failure.Service);
        Assert.Equal("DescribePermissionSet", failure.Operation);
        Assert.Equal(1, failure.Attempts);
        Assert.Contains($"HTTP {expected}", failure.Message, StringComparison.Ordinal);
    }

    // --- the sanitiser on its own ---

    [Theory]
    [InlineData("ThrottlingException", "ThrottlingException")]
    [InlineData("com.amazonaws.cloudtrail.v20131101#ThrottlingException", "ThrottlingException")]
    [InlineData("ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/", "ValidationException")]
    [InlineData("aws.protocoltests.restjson#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/", "FooError")]
    [InlineData("FooError:http://example.com/#fragment", "FooError")]
    [InlineData("  FooError  ", "FooError")]
    [InlineData("ns#FooError ", "FooError")]
    [InlineData("#FooError", "FooError")]
    public void SanitizeReducesEveryDocumentedFormToTheShapeName(string raw, string expected) =>
        Assert.Equal(expected, AwsErrorResponse.Sanitize(raw));
}
