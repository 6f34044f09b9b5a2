using Azure.Core;
using Microsoft.Graph;
using Microsoft.Graph.Authentication;
using Microsoft.Kiota.Abstractions.Authentication;
using PimBridge.Core.Configuration;

namespace PimBridge.Entra;

/// <summary>Builds the <see cref="GraphServiceClient"/> PimBridge talks to Microsoft Graph with.</summary>
public static class GraphClients
{
    /// <summary>Graph v1.0 in the global cloud.</summary>
    public const string DefaultBaseUrl = "https://graph.microsoft.com/v1.0";

    /// <summary>
    /// A Graph client over <paramref name="credential"/>, with the SDK's default middleware (retry on 429/503/504
    /// honouring Retry-After, redirects, telemetry, …) built by <see cref="GraphClientFactory"/>.
    /// </summary>
    /// <param name="baseUrl">Graph's base URL including the version (default <see cref="DefaultBaseUrl"/>); tests point it at a local stub.</param>
    /// <param name="finalHandler">The handler under the middleware (default: a new <see cref="HttpClientHandler"/>-equivalent from the SDK).</param>
    /// <param name="scopes">Token scopes; default <c>{scheme}://{host}/.default</c> of the base URL (https://graph.microsoft.com/.default).</param>
    /// <remarks>
    /// The credential's token is attached only to requests for the base URL's host (and Graph's own hosts); the
    /// underlying Kiota provider refuses plain http except for localhost addresses.
    /// </remarks>
    public static GraphServiceClient Create(TokenCredential credential, string? baseUrl = null, HttpMessageHandler? finalHandler = null, IEnumerable<string>? scopes = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var root = new Uri(string.IsNullOrWhiteSpace(baseUrl) ? DefaultBaseUrl : baseUrl.TrimEnd('/'), UriKind.Absolute);
        var scopeList = scopes?.ToArray() is { Length: > 0 } given ? given : [$"{(root.IsLoopback ? "https://graph.microsoft.com" : root.GetLeftPart(UriPartial.Authority))}/.default"];
        string[] allowedHosts = [root.Host, "graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"];
        var authentication = new AzureIdentityAuthenticationProvider(credential, allowedHosts.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(), observabilityOptions: null, isCaeEnabled: true, scopes: scopeList);
        return Create(authentication, root, finalHandler);
    }

    /// <summary>
    /// A Graph client from the options: their credential (<see cref="EntraCredentials"/>) and base URL. For
    /// <see cref="EntraCredentialMode.LocalGraph"/>, a client that asks for no token and sends none, to the loopback
    /// base URL the options have been checked to name.
    /// </summary>
    /// <exception cref="ConfigurationException">LocalGraph's settings are wrong (another mode's are reported by <see cref="EntraCredentials.Create"/>).</exception>
    public static GraphServiceClient Create(EntraOptions options, HttpMessageHandler? finalHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ParsedMode != EntraCredentialMode.LocalGraph)
            return Create(EntraCredentials.Create(options), options.GraphBaseUrl, finalHandler);
        var problems = options.CredentialProblems();
        if (problems.Count > 0) throw new ConfigurationException(problems);
        return Create(new AnonymousAuthenticationProvider(), new Uri(options.GraphBaseUrl!.TrimEnd('/'), UriKind.Absolute), finalHandler);
    }

    private static GraphServiceClient Create(IAuthenticationProvider authentication, Uri root, HttpMessageHandler? finalHandler)
    {
        // The handlers GraphServiceClient(TokenCredential) installs, and the metrics handler; only the final handler is ours to choose.
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        handlers.Add(new GraphMetricsHandler()); // innermost, under the retry handler: it counts every attempt
        var http = GraphClientFactory.Create(handlers, finalHandler: finalHandler);
        return new GraphServiceClient(http, authentication, root.ToString().TrimEnd('/'));
    }
}
