using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;
using PimBridge.Core.Telemetry;

namespace PimBridge.Aws.Transport;

/// <summary>
/// The one awsJson1_1 transport behind every client: rate limit, sign (AWSSDK.Core's SigV4 handler), send, classify,
/// back off and retry. The retry loop sits outside the signer, so each attempt is a fresh, freshly signed request.
/// </summary>
/// <remarks>
/// Each call is one Client span on <see cref="PimBridgeTelemetry.Aws"/> in OpenTelemetry's rpc.* terms, its attempts
/// events on it rather than child spans: an attempt has no work of its own beneath it worth a span (signing and one
/// HTTP exchange), the call is what a trace reader asks about, and events cost less than spans. HttpClient's own
/// instrumentation, when enabled, still adds each exchange as a child.
/// </remarks>
internal sealed class AwsJsonTransport : IDisposable
{
    internal static readonly Meter Meter = new(PimBridgeTelemetry.Aws);
    internal static readonly ActivitySource Tracing = new(PimBridgeTelemetry.Aws);
    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>("pimbridge.aws.attempts", description: "HTTP attempts sent to AWS");
    private static readonly Counter<long> Throttles = Meter.CreateCounter<long>("pimbridge.aws.throttles", description: "Attempts AWS throttled, by service, operation and error code");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("pimbridge.aws.errors", description: "Attempts that failed (retried or not), by service, operation and error code");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("pimbridge.aws.failures", description: "Calls that failed after all attempts, by service, operation and error code");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/x-amz-json-1.1"); // no charset, on purpose

    private readonly HttpClient _http;
    private readonly AwsRetryOptions _retry;
    private readonly TimeProvider _time;

    public AwsJsonTransport(AwsService service, AwsClientOptions options)
    {
        options.Validate(service.Name);
        Service = service;
        _retry = options.Retry;
        _time = options.TimeProvider;
        Limiter = new RequestRateLimiter(options.RequestsPerSecond, options.TimeProvider);
        Endpoint = options.Endpoint ?? service.EndpointFor(options.Region, options.UseFipsEndpoint);
        var inner = options.HttpHandler ?? DefaultHandler();
        var credentials = options.Credentials ?? new DefaultChainCredentials();
        var signer = new SigV4SigningHandler(credentials, RegionEndpoint.GetBySystemName(options.Region), service.SigningName, inner);
        _http = new HttpClient(signer) { Timeout = options.AttemptTimeout };
    }

    /// <summary>
    /// Redirects are not followed: a followed redirect would not be re-signed. Pooled connections are replaced every
    /// five minutes: a connection stays on the address it was opened to, so without a lifetime a long-running host
    /// would keep talking to an endpoint's old addresses after its DNS moved on.
    /// </summary>
    internal static SocketsHttpHandler DefaultHandler() =>
        new() { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

    public AwsService Service { get; }

    public Uri Endpoint { get; }

    internal RequestRateLimiter Limiter { get; }

    public async Task<TResponse> SendAsync<TRequest, TResponse>(
        string operation, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken, RequestPriority priority = RequestPriority.Normal, Func<AwsServiceException, bool>? attemptFailed = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        var response = await SendAsync(operation, body, cancellationToken, priority, attemptFailed).ConfigureAwait(false);
        try
        {
            // Smithy: an operation with no output members may answer with an empty body.
            return (response.Length == 0 ? JsonSerializer.Deserialize("{}"u8, responseType) : JsonSerializer.Deserialize(response, responseType))
                ?? throw new JsonException("The body is JSON null.");
        }
        catch (JsonException ex)
        {
            throw new AwsServiceException(Service.Name, operation, 200, AwsServiceException.MalformedResponse,
                $"the response body is not a valid {typeof(TResponse).Name}: {ex.Message}", innerException: ex);
        }
    }

    /// <summary>
    /// Sends one operation with a ready JSON body and returns the raw 2xx body; each attempt waits its turn at the
    /// limiter. <paramref name="attemptFailed"/> hears of each failed attempt as it happens and says whether the call
    /// may retry it (a retryable error is retried only if it says yes).
    /// </summary>
    public async Task<byte[]> SendAsync(string operation, byte[] body, CancellationToken cancellationToken,
        RequestPriority priority = RequestPriority.Normal, Func<AwsServiceException, bool>? attemptFailed = null)
    {
        var tags = new TagList { { "service", Service.Name }, { "operation", operation } };
        using var span = StartSpan(operation);
        var expiredBefore = false;
        for (var attempt = 1; ; attempt++)
        {
            await Limiter.WaitAsync(priority, cancellationToken).ConfigureAwait(false);
            Attempts.Add(1, tags);
            var error = await TryOnceAsync(operation, body, cancellationToken).ConfigureAwait(false);
            if (error.Body is not null)
            {
                if (span is not null)
                {
                    span.AddEvent(new ActivityEvent("attempt", tags: new ActivityTagsCollection { ["attempt"] = attempt }));
                    span.SetTag("aws.request_id", error.RequestId);
                }

                return error.Body;
            }

            var failure = error.Exception!;
            failure.Attempts = attempt;
            span?.AddEvent(new ActivityEvent("attempt", tags: new ActivityTagsCollection
            {
                ["attempt"] = attempt, ["error.type"] = failure.ErrorCode, ["http.response.status_code"] = failure.Status,
            }));
            var failed = tags; // a copy: the attempts keep their two tags
            failed.Add("code", failure.ErrorCode);
            Errors.Add(1, failed);
            if (failure.IsThrottling) Throttles.Add(1, failed);
            // A stale signature is retried once (whichever attempt first sees it); re-signing gives it a fresh date.
            var expired = failure.ErrorCode == "RequestExpired";
            var retryable = failure.IsRetryable && !(expired && expiredBefore) && (attemptFailed?.Invoke(failure) ?? true);
            expiredBefore |= expired;
            if (!retryable || attempt >= _retry.MaxAttempts)
            {
                Failures.Add(1, failed);
                Failed(span, failure);
                throw failure;
            }

            var delay = Backoff(attempt, failure.IsThrottling, failure.RetryAfter, _retry.Jitter());
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private Activity? StartSpan(string operation)
    {
        if (!Tracing.HasListeners()) return null; // the span's name is built only for a listener
        var span = Tracing.StartActivity($"{Service.Name}/{operation}", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("rpc.system", "aws-api");
            span.SetTag("rpc.service", Service.Name);
            span.SetTag("rpc.method", operation);
            span.SetTag("server.address", Endpoint.Host);
        }

        return span;
    }

    /// <summary>The error code is the span's <c>error.type</c>: a handful of values (ThrottlingException, ConnectionFailure), unlike the message.</summary>
    private static void Failed(Activity? span, AwsServiceException failure)
    {
        if (span is null) return;
        span.SetTag("error.type", failure.ErrorCode);
        if (failure.Status > 0) span.SetTag("http.response.status_code", failure.Status);
        span.SetTag("aws.request_id", failure.RequestId);
        span.SetStatus(ActivityStatusCode.Error, failure.ErrorCode);
    }

    /// <summary>Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], never less than the service's RetryAfterSeconds.</summary>
    internal TimeSpan Backoff(int attempt, bool throttling, TimeSpan? retryAfter, double random)
    {
        var baseDelay = throttling ? _retry.ThrottlingBaseDelay : _retry.BaseDelay;
        var ceiling = Math.Min(_retry.MaxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        var delay = TimeSpan.FromMilliseconds(ceiling * random);
        return retryAfter is { } hint && hint > delay ? hint : delay;
    }

    private async Task<(byte[]? Body, string? RequestId, AwsServiceException? Exception)> TryOnceAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", $"{Service.TargetPrefix}.{operation}");
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? (content, RequestIdOf(response), null)
                : (null, null, AwsErrorResponse.Parse(Service, operation, response, content));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            return (null, null, new AwsServiceException(Service.Name, operation, 0, AwsServiceException.AttemptTimedOut,
                $"no answer within {_http.Timeout.TotalSeconds:0.#} s", innerException: ex));
        }
        catch (AmazonClientException ex)
        {
            return (null, null, new AwsServiceException(Service.Name, operation, 0, AwsServiceException.CredentialsUnavailable,
                $"no usable AWS credentials: {ex.Message} Set AWS_PROFILE, the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY pair, or a web identity, or run where a role is attached.",
                innerException: ex));
        }
        catch (HttpRequestException ex)
        {
            return (null, null, new AwsServiceException(Service.Name, operation, 0, AwsServiceException.ConnectionFailure,
                $"{ex.Message} (endpoint {Endpoint})", innerException: ex));
        }
    }

    private static string? RequestIdOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-amzn-RequestId", out var ids) || response.Headers.TryGetValues("x-amz-request-id", out ids)
            ? ids.FirstOrDefault()
            : null;

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Resolves the SDK's default credential chain on first use rather than at construction, so a host can build its
    /// clients before credentials exist (or for components it never calls), and failures surface on the call that needs them.
    /// </summary>
    private sealed class DefaultChainCredentials : AWSCredentials
    {
        private AWSCredentials? _resolved; // not cached on failure: an IMDS or file hiccup must not stick

        public override ImmutableCredentials GetCredentials() =>
            (_resolved ??= DefaultAWSCredentialsIdentityResolver.GetCredentials()).GetCredentials();

        public override async Task<ImmutableCredentials> GetCredentialsAsync() =>
            await (_resolved ??= await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync().ConfigureAwait(false))
                .GetCredentialsAsync().ConfigureAwait(false);
    }
}
