using PimBridge.Aws.Transport;

namespace PimBridge.Aws.CloudTrail;

/// <summary>
/// CloudTrail LookupEvents. LookupEvents sees only the Region it is called in and only the account whose credentials
/// sign the call, and its 2 TPS quota is per account and Region: create one client per (account, Region) and share it.
/// </summary>
public sealed class CloudTrailClient : IDisposable
{
    private static AwsJsonContext Json => AwsJsonContext.Wire;

    private readonly AwsJsonTransport _transport;

    public CloudTrailClient(CloudTrailClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _transport = new AwsJsonTransport(AwsService.CloudTrail, options);
    }

    public Uri Endpoint => _transport.Endpoint;

    internal AwsJsonTransport Transport => _transport;

    /// <summary>Streams events, most recent first, across pages. Every page request repeats the original parameters, as CloudTrail requires.</summary>
    public IAsyncEnumerable<TrailEvent> LookupEventsAsync(LookupEventsRequest request, CancellationToken cancellationToken = default)
    {
        if (request.LookupAttributes is { Count: > 1 })
            throw new ArgumentException($"LookupEvents takes at most one lookup attribute, got {request.LookupAttributes.Count}; run one lookup per attribute.", nameof(request));
        if (request.MaxResults is < 1 or > 50)
            throw new ArgumentException($"LookupEvents MaxResults must be 1 to 50, got {request.MaxResults}.", nameof(request));
        if (request.StartTime > request.EndTime)
            throw new ArgumentException($"LookupEvents StartTime ({request.StartTime:O}) is after EndTime ({request.EndTime:O}).", nameof(request));
        return Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("LookupEvents", request with { NextToken = token }, Json.LookupEventsRequest, Json.LookupEventsResponse, ct),
            page => page.Events, page => page.NextToken, cancellationToken);
    }

    public void Dispose() => _transport.Dispose();
}
