using Azure.Core;
using Microsoft.Graph;
using PimBridge.Entra;

namespace PimBridge.Sandbox.Graph;

/// <summary>A credential that hands out a fixed token and counts how often it was asked.</summary>
public sealed class StubCredential : TokenCredential
{
    public const string Token = "stub-access-token";
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<string> LastScopes { get; private set; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastScopes = requestContext.Scopes;
        return new AccessToken(Token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));

    /// <summary>The real Graph SDK client, built the way production builds it, pointed at the stub.</summary>
    public static GraphServiceClient ClientFor(GraphStub stub, StubCredential? credential = null) =>
        GraphClients.Create(credential ?? new StubCredential(), stub.BaseUrl);
}
