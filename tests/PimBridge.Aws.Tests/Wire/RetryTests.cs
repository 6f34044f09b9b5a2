using System.Net;
using Amazon.Runtime;
using PimBridge.Aws.CloudTrail;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>
/// Retry classification (reference §5) as seen on the wire: which failures are sent again, how often, after what
/// backoff, and what the caller gets when the attempts run out.
/// </summary>
public sealed class RetryTests
{
    private const string PermissionSetBody =
        """{"PermissionSet":{"Name":"ReadOnly","PermissionSetArn":"arn:aws:sso:::permissionSet/ssoins-1/ps-1","SessionDuration":"PT1H"}}""";

    private static readonly PermissionSetRequest DescribeRequest = new()
    {
        InstanceArn = "arn:aws:sso:::instance/ssoins-1",
        PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
    };

    private static readonly GetUserIdRequest GetUserIdRequest = new()
    {
        IdentityStoreId = "d-1234567890",
        AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, "alice"),
    };

    private static string ErrorBody(string code, string message = "m") => $$"""{"__type":"{{code}}","message":"{{message}}"}""";

    public static TheoryData<string> ThrottlingCodes() =>
    [
        "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    ];

    // --- retried ---

    [Theory]
    [MemberData(nameof(ThrottlingCodes))]
    public async Task ThrottlingCodeIsRetriedAsThrottling(string code)
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody(code))
            .RespondError(HttpStatusCode.BadRequest, ErrorBody(code));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 2);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(2, failure.Attempts);
        Assert.Equal(code, failure.ErrorCode);
        Assert.True(failure.IsThrottling);
        Assert.True(failure.IsRetryable);
    }

    [Theory]
    [MemberData(nameof(ThrottlingCodes))]
    public async Task ThrottlingCodeThenSuccessReturnsTheResult(string code)
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody(code))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("""{"message":"Too Many Requests"}""")]
    [InlineData("""{"__type":"SomethingUnmodeled","message":"slow"}""")]
    public async Task Http429IsRetriedAsThrottlingWhateverTheBody(string body)
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.TooManyRequests, body)
            .RespondError(HttpStatusCode.TooManyRequests, body);
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 2);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(429, failure.Status);
        Assert.True(failure.IsThrottling);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task ServerErrorStatusIsRetriedEvenWithAnUnknownCode(HttpStatusCode status)
    {
        var handler = new RecordingHandler()
            .RespondError(status, ErrorBody("SomeUnmodeledFault"))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task ServerErrorStatusIsTransientNotThrottling(HttpStatusCode status)
    {
        var handler = new RecordingHandler().RespondError(status, "").RespondError(status, "");
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 2);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(2, handler.Requests.Count);
        Assert.True(failure.IsRetryable);
        Assert.False(failure.IsThrottling);
    }

    // Sent with a 4xx status on purpose: the code alone must make these retryable (5xx statuses are covered above).
    [Theory]
    [InlineData("InternalServerException")]
    [InlineData("InternalFailure")]
    [InlineData("InternalError")]
    [InlineData("ServiceUnavailable")]
    [InlineData("ServiceUnavailableException")]
    [InlineData("RequestTimeout")]
    [InlineData("RequestTimeoutException")]
    public async Task TransientCodeIsRetriedWhateverTheStatus(string code)
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody(code))
            .RespondError(HttpStatusCode.BadRequest, ErrorBody(code))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task InternalServerExceptionIsRetriedAsTransient()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.InternalServerError, ErrorBody("InternalServerException", "An internal failure occurred"))
            .RespondError(HttpStatusCode.InternalServerError, ErrorBody("InternalServerException", "An internal failure occurred"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 2);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal("InternalServerException", failure.ErrorCode);
        Assert.True(failure.IsRetryable);
        Assert.False(failure.IsThrottling);
    }

    [Fact]
    public async Task ConnectionFailureIsRetried()
    {
        var handler = new RecordingHandler()
            .Fail(new HttpRequestException("Connection refused (sso.us-east-1.amazonaws.com:443)"))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task PersistentConnectionFailureSurfacesAsConnectionFailureAfterAllAttempts()
    {
        var handler = new RecordingHandler();
        for (var i = 0; i < 3; i++) handler.Fail(new HttpRequestException("Name or service not known"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 3);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(AwsServiceException.ConnectionFailure, failure.ErrorCode);
        Assert.Equal(0, failure.Status);
        Assert.Equal(3, failure.Attempts);
        Assert.IsType<HttpRequestException>(failure.InnerException);
        Assert.Contains("no response", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SsoAdminConflictIsRetried()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.Conflict, ErrorBody("ConflictException", "Could not delete because the assignment is being created"))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task IdentityStoreConflictFromConcurrentModificationIsRetried()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.Conflict, """{"__type":"ConflictException","Message":"busy","Reason":"CONCURRENT_MODIFICATION"}""")
            .Respond("""{"IdentityStoreId":"d-1234567890","UserId":"u-1"}""");
        using var client = WireClients.IdentityStore(handler);

        var result = await client.GetUserIdAsync(GetUserIdRequest);

        Assert.Equal("u-1", result.UserId);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData("""{"__type":"ConflictException","Message":"exists","Reason":"UNIQUENESS_CONSTRAINT_VIOLATION"}""", "UNIQUENESS_CONSTRAINT_VIOLATION")]
    [InlineData("""{"__type":"ConflictException","Message":"conflict"}""", null)]
    public async Task IdentityStoreConflictWithoutConcurrentModificationIsNotRetried(string body, string? reason)
    {
        var handler = new RecordingHandler().RespondError(HttpStatusCode.Conflict, body).Respond("{}");
        using var client = WireClients.IdentityStore(handler);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.GetUserIdAsync(GetUserIdRequest));

        Assert.Single(handler.Requests);
        Assert.Equal(1, failure.Attempts);
        Assert.Equal("ConflictException", failure.ErrorCode);
        Assert.Equal(reason, failure.Reason);
        Assert.False(failure.IsRetryable);
    }

    [Fact]
    public async Task CloudTrailConflictIsNotRetried()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("com.amazonaws.cloudtrail.v20131101#ConflictException", "conflict"))
            .Respond("""{"Events":[]}""");
        using var client = WireClients.CloudTrail(handler);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.LookupEventsAsync(new LookupEventsRequest()).ToListAsync());

        Assert.Single(handler.Requests);
        Assert.Equal(1, failure.Attempts);
        Assert.Equal("ConflictException", failure.ErrorCode);
        Assert.False(failure.IsRetryable);
    }

    [Fact]
    public async Task CloudTrailThrottlingOnHttp400IsRetried()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("com.amazonaws.cloudtrail.v20131101#ThrottlingException", "Rate exceeded"))
            .Respond("""{"Events":[{"EventId":"e-1","EventName":"CreateAccountAssignment"}]}""");
        using var client = WireClients.CloudTrail(handler);

        var events = await client.LookupEventsAsync(new LookupEventsRequest()).ToListAsync();

        Assert.Equal("e-1", Assert.Single(events).EventId);
        Assert.Equal(2, handler.Requests.Count);
    }

    // --- not retried ---

    [Theory]
    [InlineData("AccessDeniedException", HttpStatusCode.Forbidden)]
    [InlineData("ValidationException", HttpStatusCode.BadRequest)]
    [InlineData("ResourceNotFoundException", HttpStatusCode.NotFound)]
    [InlineData("ServiceQuotaExceededException", HttpStatusCode.PaymentRequired)]
    [InlineData("InvalidClientTokenId", HttpStatusCode.Forbidden)]
    public async Task ClientErrorIsNotRetried(string code, HttpStatusCode status)
    {
        var handler = new RecordingHandler().RespondError(status, ErrorBody(code)).Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Single(handler.Requests);
        Assert.Equal(1, failure.Attempts);
        Assert.Equal(code, failure.ErrorCode);
        Assert.False(failure.IsRetryable);
        Assert.False(failure.IsThrottling);
    }

    // --- attempts, results and delays ---

    [Fact]
    public async Task MaxAttemptsBoundsTheNumberOfRequests()
    {
        var handler = new RecordingHandler();
        for (var i = 0; i < 5; i++) handler.RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException", "Rate exceeded"));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 3);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(3, failure.Attempts);
        Assert.True(failure.IsThrottling);
        Assert.Equal("ThrottlingException", failure.ErrorCode);
    }

    [Fact]
    public async Task MaxAttemptsOfOneDisablesRetries()
    {
        var handler = new RecordingHandler().RespondError(HttpStatusCode.ServiceUnavailable, "").Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 1);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Single(handler.Requests);
        Assert.Equal(1, failure.Attempts);
        Assert.True(failure.IsRetryable);
    }

    [Fact]
    public async Task SuccessAfterSeveralRetriesReturnsTheParsedBodyOfTheLastResponse()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException"))
            .RespondError(HttpStatusCode.InternalServerError, ErrorBody("InternalServerException"))
            .Fail(new HttpRequestException("Connection reset by peer"))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler, time);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal("arn:aws:sso:::permissionSet/ssoins-1/ps-1", result.PermissionSet?.PermissionSetArn);
        Assert.Equal("PT1H", result.PermissionSet?.SessionDuration);
        Assert.Equal(4, handler.Requests.Count);
        // Every attempt sends the same operation and body.
        Assert.All(handler.Requests, r =>
        {
            Assert.Equal("SWBExternalService.DescribePermissionSet", r.Target);
            Assert.Equal(handler.Requests[0].Body, r.Body);
        });
    }

    [Fact]
    public async Task RetryAfterSecondsIsWaitedBeforeTheNextAttempt()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var sentAt = new List<DateTimeOffset>();
        var handler = new RecordingHandler
        {
            OnRequest = _ => { lock (sentAt) sentAt.Add(time.GetUtcNow()); },
        };
        handler
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","Message":"slow down","RetryAfterSeconds":7}""")
            .Respond("""{"IdentityStoreId":"d-1234567890","UserId":"u-1"}""");
        using var client = WireClients.IdentityStore(handler, time);

        var result = await client.GetUserIdAsync(GetUserIdRequest);

        Assert.Equal("u-1", result.UserId);
        Assert.Equal(2, sentAt.Count);
        Assert.True(sentAt[1] - sentAt[0] >= TimeSpan.FromSeconds(7), $"second attempt only {sentAt[1] - sentAt[0]} after the first");
        Assert.Contains(time.Delays, d => d >= TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task RetryAfterSecondsOnInternalServerExceptionIsWaited()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.InternalServerError, """{"__type":"InternalServerException","Message":"oops","RetryAfterSeconds":3}""")
            .Respond("""{"IdentityStoreId":"d-1234567890","UserId":"u-1"}""");
        using var client = WireClients.IdentityStore(handler, time);

        await client.GetUserIdAsync(GetUserIdRequest);

        Assert.Contains(time.Delays, d => d >= TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task RequestExpiredIsRetriedOnlyOnce()
    {
        var handler = new RecordingHandler();
        for (var i = 0; i < 4; i++)
            handler.RespondError(HttpStatusCode.BadRequest, ErrorBody("RequestExpired", "Request has expired."));
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Retry.MaxAttempts = 5);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(2, failure.Attempts);
        Assert.Equal("RequestExpired", failure.ErrorCode);
    }

    [Fact]
    public async Task RequestExpiredAfterAnEarlierThrottleIsStillRetriedOnce()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException"))
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("RequestExpired", "Request has expired."))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task SecondRequestExpiredIsNotRetriedEvenWithThrottlesBetween()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("RequestExpired", "Request has expired."))
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException"))
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("RequestExpired", "Request has expired."))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(3, failure.Attempts);
        Assert.Equal("RequestExpired", failure.ErrorCode);
    }

    [Fact]
    public async Task RequestExpiredThenSuccessReturnsTheResult()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ErrorBody("RequestExpired", "Request has expired."))
            .Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task BackoffWaitsOnTheInjectedClockWithinTheJitterCeilings()
    {
        var time = new ManualTimeProvider { AutoAdvance = true };
        var start = time.GetUtcNow();
        var handler = new RecordingHandler();
        for (var i = 0; i < 3; i++) handler.RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException"));
        using var client = WireClients.SsoAdmin(handler, time, o =>
        {
            o.Retry.MaxAttempts = 3;
            o.Retry.ThrottlingBaseDelay = TimeSpan.FromSeconds(1);
            o.RequestsPerSecond = 1000; // the rate limiter's own waits stay under 1 ms
        });

        await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        // Two backoffs (after attempts 1 and 2) with ceilings of 1 s and 2 s, all spent on the manual clock.
        Assert.Equal(3, handler.Requests.Count);
        Assert.NotEmpty(time.Delays);
        Assert.All(time.Delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(2)));
        var elapsed = time.GetUtcNow() - start;
        Assert.InRange(elapsed, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(3) + TimeSpan.FromMilliseconds(3));
    }

    // --- backoff math ---

    [Theory]
    [InlineData(1, false, 100)]
    [InlineData(2, false, 200)]
    [InlineData(3, false, 400)]
    [InlineData(1, true, 500)]
    [InlineData(2, true, 1000)]
    [InlineData(4, true, 4000)]
    public void BackoffCeilingDoublesFromTheBaseDelay(int attempt, bool throttling, int ceilingMs)
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler());
        var transport = client.Transport;

        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), transport.Backoff(attempt, throttling, null, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs / 2.0), transport.Backoff(attempt, throttling, null, 0.5));
        Assert.Equal(TimeSpan.Zero, transport.Backoff(attempt, throttling, null, 0.0));
    }

    [Fact]
    public void BackoffIsFullJitterWithinZeroAndTheCeiling()
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler());
        var transport = client.Transport;

        var random = new Random(12345);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            foreach (var throttling in new[] { false, true })
            {
                var baseMs = throttling ? 500.0 : 100.0;
                var ceiling = TimeSpan.FromMilliseconds(Math.Min(20_000, baseMs * Math.Pow(2, attempt - 1)));
                var samples = Enumerable.Range(0, 200).Select(_ => transport.Backoff(attempt, throttling, null, random.NextDouble())).ToList();
                Assert.All(samples, d => Assert.InRange(d, TimeSpan.Zero, ceiling));
                // Full jitter spreads over the whole range, not just near the ceiling.
                Assert.Contains(samples, d => d < ceiling / 4);
                Assert.Contains(samples, d => d > ceiling * 3 / 4);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void ThrottlingBackoffIsLongerThanTransientBackoff(int attempt)
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler());
        var transport = client.Transport;

        Assert.True(transport.Backoff(attempt, true, null, 0.7) > transport.Backoff(attempt, false, null, 0.7));
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(30, true)]
    [InlineData(30, false)]
    [InlineData(1100, true)]
    [InlineData(int.MaxValue, false)]
    public void BackoffIsCappedAtTwentySeconds(int attempt, bool throttling)
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler());
        var transport = client.Transport;

        Assert.Equal(TimeSpan.FromSeconds(20), transport.Backoff(attempt, throttling, null, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(10), transport.Backoff(attempt, throttling, null, 0.5));
    }

    [Fact]
    public void BackoffRespectsACustomCap()
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler(), configure: o => o.Retry.MaxDelay = TimeSpan.FromSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(3), client.Transport.Backoff(10, true, null, 1.0));
    }

    [Fact]
    public void BackoffIsNeverShorterThanTheRetryAfterHint()
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler());
        var transport = client.Transport;

        Assert.Equal(TimeSpan.FromSeconds(7), transport.Backoff(1, true, TimeSpan.FromSeconds(7), 0.3));
        Assert.Equal(TimeSpan.FromSeconds(30), transport.Backoff(20, true, TimeSpan.FromSeconds(30), 1.0));
        // A hint shorter than the jittered delay does not shorten it.
        Assert.Equal(TimeSpan.FromMilliseconds(2000), transport.Backoff(3, true, TimeSpan.FromMilliseconds(10), 1.0));
    }

    // --- cancellation and credentials ---

    [Fact]
    public async Task CancellationDuringAFailingAttemptStopsRetrying()
    {
        using var cts = new CancellationTokenSource();
        var handler = new RecordingHandler { OnRequest = _ => cts.Cancel() };
        handler.RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException")).Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DescribePermissionSetAsync(DescribeRequest, cts.Token));

        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task CancellationAfterAConnectionFailureStopsRetrying()
    {
        using var cts = new CancellationTokenSource();
        var handler = new RecordingHandler { OnRequest = _ => cts.Cancel() };
        handler.Fail(new HttpRequestException("Connection refused")).Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DescribePermissionSetAsync(DescribeRequest, cts.Token));

        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task CancellationWhileWaitingForBackoffStopsRetrying()
    {
        var time = new ManualTimeProvider(); // never advances on its own: the backoff stays pending
        var firstAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler { OnRequest = _ => firstAttempt.TrySetResult() };
        handler.RespondError(HttpStatusCode.BadRequest, ErrorBody("ThrottlingException")).Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler, time);
        using var cts = new CancellationTokenSource();

        var call = client.DescribePermissionSetAsync(DescribeRequest, cts.Token);
        await firstAttempt.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task AlreadyCancelledTokenSendsNothing()
    {
        var handler = new RecordingHandler().Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.DescribePermissionSetAsync(DescribeRequest, new CancellationToken(canceled: true)));

        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task UnavailableCredentialsFailAsCredentialsUnavailableWithoutRetry()
    {
        var credentials = new ThrowingCredentials();
        var handler = new RecordingHandler().Respond(PermissionSetBody);
        using var client = WireClients.SsoAdmin(handler, configure: o =>
        {
            o.Credentials = credentials;
            o.Retry.MaxAttempts = 5;
        });

        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        Assert.Equal(AwsServiceException.CredentialsUnavailable, failure.ErrorCode);
        Assert.Equal(1, failure.Attempts);
        Assert.False(failure.IsRetryable);
        Assert.Equal(0, failure.Status);
        Assert.IsAssignableFrom<AmazonClientException>(failure.InnerException);
        Assert.Contains("Unable to find credentials", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, credentials.Calls);
        Assert.Empty(handler.Requests);
    }

    private sealed class ThrowingCredentials : AWSCredentials
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override ImmutableCredentials GetCredentials()
        {
            Interlocked.Increment(ref _calls);
            throw new AmazonClientException("Unable to find credentials.");
        }

        public override Task<ImmutableCredentials> GetCredentialsAsync()
        {
            Interlocked.Increment(ref _calls);
            throw new AmazonClientException("Unable to find credentials.");
        }
    }
}
