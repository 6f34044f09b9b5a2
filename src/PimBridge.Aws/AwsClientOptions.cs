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
