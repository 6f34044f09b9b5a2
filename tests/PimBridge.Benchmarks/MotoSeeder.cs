using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace PimBridge.Benchmarks;

/// <summary>
/// Creates what PimBridge only reads (users, a permission set) in moto_server: raw awsJson1_1 requests signed with
/// AWSSDK.Core's SigV4 handler, because those operations are not part of PimBridge's typed clients.
/// </summary>
public sealed class MotoSeeder : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/x-amz-json-1.1");
    private readonly HttpClient _identityStore;
    private readonly HttpClient _ssoAdmin;
    private readonly Uri _endpoint;

    public MotoSeeder(Uri endpoint, string region, AWSCredentials credentials)
    {
        _endpoint = endpoint;
        var regionEndpoint = RegionEndpoint.GetBySystemName(region);
        _identityStore = new HttpClient(new SigV4SigningHandler(credentials, regionEndpoint, "identitystore", new SocketsHttpHandler()));
        _ssoAdmin = new HttpClient(new SigV4SigningHandler(credentials, regionEndpoint, "sso", new SocketsHttpHandler()));
    }

    /// <summary>
    /// Creates a user and returns its id. It gets an email too: moto 5.2.1's GetUserId walks every user and fails on
    /// one without Emails.
    /// </summary>
    public async Task<string> CreateUserAsync(string identityStoreId, string userName)
    {
        var body = new JsonObject
        {
            ["IdentityStoreId"] = identityStoreId,
            ["UserName"] = userName,
            ["DisplayName"] = userName,
            ["Name"] = new JsonObject { ["GivenName"] = "Bench", ["FamilyName"] = userName },
            ["Emails"] = new JsonArray(new JsonObject { ["Value"] = userName, ["Type"] = "work", ["Primary"] = true }),
        };
        return (await SendAsync(_identityStore, "AWSIdentityStore.CreateUser", body))["UserId"]!.GetValue<string>();
    }

    /// <summary>Creates an Identity Center group and returns its id.</summary>
    public async Task<string> CreateGroupAsync(string identityStoreId, string displayName)
    {
        var body = new JsonObject { ["IdentityStoreId"] = identityStoreId, ["DisplayName"] = displayName };
        return (await SendAsync(_identityStore, "AWSIdentityStore.CreateGroup", body))["GroupId"]!.GetValue<string>();
    }

    public async Task<string> CreatePermissionSetAsync(string instanceArn, string name, string sessionDuration)
    {
        var body = new JsonObject
        {
            ["InstanceArn"] = instanceArn,
            ["Name"] = name,
            ["Description"] = $"{name} for the latency benchmark",
            ["SessionDuration"] = sessionDuration,
        };
        return (await SendAsync(_ssoAdmin, "SWBExternalService.CreatePermissionSet", body))["PermissionSet"]!["PermissionSetArn"]!.GetValue<string>();
    }

    private async Task<JsonNode> SendAsync(HttpClient http, string target, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString())) };
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{target} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text) ?? throw new JsonException($"{target} answered JSON null.");
    }

    public void Dispose()
    {
        _identityStore.Dispose();
        _ssoAdmin.Dispose();
    }
}
