using Amazon.Runtime;

namespace PimBridge.Aws;

/// <summary>Settings shared by every PimBridge AWS client. One client instance serves one account and Region; share it.</summary>
public class AwsClientOptions
{
    /// <summary>The Region to call and to sign for, for example <c>eu-west-1</c>. Required.</summary>
    public string Region { get; set; } = "";

    /// <summary>Overrides the service endpoint (tests, VPC endpoints, proxies). When null the public endpoint for the Region is used.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Use the FIPS endpoint of the service. Ignored when <see cref="Endpoint"/> is set.</summary>
    public bool UseFipsEndpoint { get; set; }

    /// <summary>Credentials to sign with. When null the AWS SDK default chain (environment, web identity, profile, container, IMDS) is used.</summary>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>Client-side request rate, in requests per second, shared by every operation of this client.</summary>
    public double RequestsPerSecond { get; set; }

    /// <summary>How long one HTTP attempt may take before it is abandoned and retried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public AwsRetryOptions Retry { get; } = new();

    /// <summary>Source of time for backoff, rate limiting and polling. Tests substitute a manual clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The innermost HTTP handler, below the signer. Null means a <see cref="SocketsHttpHandler"/> that never follows redirects.
    /// A custom handler must not follow redirects either: a followed redirect is not re-signed.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    internal void Validate(string service)
    {
        if (string.IsNullOrWhiteSpace(Region))
            throw new ArgumentException($"{service}: Region is required (for example \"eu-west-1\"): set {nameof(AwsClientOptions)}.{nameof(Region)}.");
        if (RequestsPerSecond <= 0 || double.IsNaN(RequestsPerSecond) || double.IsInfinity(RequestsPerSecond))
            throw new ArgumentException($"{service}: RequestsPerSecond must be a positive number, got {RequestsPerSecond}.");
        if (AttemptTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{service}: AttemptTimeout must be positive, got {AttemptTimeout}.");
        Retry.Validate(service);
    }
}

/// <summary>Retry policy: exponential backoff with full jitter, applied outside the signer so every attempt is signed afresh.</summary>
public sealed class AwsRetryOptions
{
    /// <summary>Attempts in total, the first included. 1 disables retries.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Base of the exponential backoff for transient errors (5xx, connection failures, conflicts).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Base of the exponential backoff for throttling errors, which need more room than transient ones.</summary>
    public TimeSpan ThrottlingBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of any single backoff; AWSSDK.Core's standard policy uses 20 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Draws the full-jitter fraction in [0, 1); tests substitute a seeded source so a schedule replays exactly.</summary>
    public Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    internal void Validate(string service)
    {
        if (MaxAttempts < 1)
            throw new ArgumentException($"{service}: Retry.MaxAttempts must be at least 1, got {MaxAttempts}.");
        if (BaseDelay < TimeSpan.Zero || ThrottlingBaseDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero)
            throw new ArgumentException($"{service}: retry delays must not be negative.");
    }
}
