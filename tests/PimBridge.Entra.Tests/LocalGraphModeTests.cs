using PimBridge.Core.Configuration;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>
/// <c>Entra.Mode = LocalGraph</c>: a Graph emulator on this machine (the sandbox's stub), reached at a loopback
/// <c>GraphBaseUrl</c> with no sign-in and no token. It must refuse any address that is not loopback, since it sends
/// requests without a credential, and must not be mistaken for a real tenant's settings.
/// </summary>
public sealed class LocalGraphModeTests : IClassFixture<GraphStubFixture>
{
    private const string Group = "44444444-dddd-4ddd-8ddd-444444444444";
    private const string Alice = "a11ce000-0000-4000-8000-000000000002";
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private readonly GraphStub _stub;

    public LocalGraphModeTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
    }

    private static string Field(string problem) => problem.Split(':')[0];

    [Fact]
    public async Task Reads_PIM_from_the_local_graph_without_asking_for_or_sending_a_token()
    {
        var tenant = new PimTenant(_stub);
        tenant.AddUser(Alice, "alice@contoso.example");
        tenant.AddInstance(GraphJson.Instance("i1", Alice, Group));
        var options = new EntraOptions { Mode = "LocalGraph", GraphBaseUrl = _stub.BaseUrl };

        Assert.Empty(options.Problems(subscriptions: false, NoEnvironment));
        using var graph = GraphClients.Create(options);
        var snapshot = await new GraphPimSource(graph, options, new ListLogger(), new ManualTimeProvider()).GetSnapshotAsync([Group]);

        Assert.Equal("alice@contoso.example", Assert.Single(snapshot.Activations).Principal.UserPrincipalName);
        var requests = _stub.Requests;
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Null(r.Header("Authorization")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5123/v1.0")]
    [InlineData("http://localhost:5123/v1.0")]
    [InlineData("http://[::1]:5123/v1.0")]
    [InlineData("https://127.0.0.2/v1.0")]
    public void A_loopback_base_url_is_accepted(string baseUrl) =>
        Assert.Empty(new EntraOptions { Mode = "localgraph", GraphBaseUrl = baseUrl }.Problems(subscriptions: false, NoEnvironment));

    [Theory]
    [InlineData("https://graph.microsoft.com/v1.0")]
    [InlineData("http://10.0.0.5:5123/v1.0")]
    [InlineData("http://graph.internal.example/v1.0")]
    [InlineData("http://0.0.0.0:5123/v1.0")]
    public void A_base_url_that_is_not_loopback_is_refused_because_no_credential_is_sent(string baseUrl)
    {
        var problem = Assert.Single(new EntraOptions { Mode = "LocalGraph", GraphBaseUrl = baseUrl }.Problems(subscriptions: false, NoEnvironment));

        Assert.Equal("Entra.GraphBaseUrl", Field(problem));
        Assert.Contains($"'{baseUrl}' is not a loopback address", problem);
        Assert.Contains("Mode LocalGraph sends no credential", problem);
        Assert.Contains("use another Mode", problem);
    }

    [Fact]
    public void The_base_url_is_required()
    {
        var problem = Assert.Single(new EntraOptions { Mode = "LocalGraph" }.Problems(subscriptions: false, NoEnvironment));

        Assert.Equal("Entra.GraphBaseUrl", Field(problem));
        Assert.Contains("required for Mode LocalGraph", problem);
        Assert.Throws<ConfigurationException>(() => GraphClients.Create(new EntraOptions { Mode = "LocalGraph" }));
    }

    [Fact]
    public void Sign_in_settings_are_refused_because_the_local_graph_has_no_sign_in()
    {
        var problems = new EntraOptions
        {
            Mode = "LocalGraph", GraphBaseUrl = "http://127.0.0.1:5123/v1.0",
            TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47", ClientId = "0d3a1b2c-1111-4222-8333-444455556666", ClientSecret = "leftover",
        }.Problems(subscriptions: false, NoEnvironment);

        Assert.Equal(["Entra.ClientSecret", "Entra.TenantId", "Entra.ClientId"], problems.Select(Field));
        Assert.All(problems, p => Assert.Contains("Mode LocalGraph does not use it", p));
    }

    [Fact]
    public void There_is_no_credential_to_build()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            EntraCredentials.Create(new EntraOptions { Mode = "LocalGraph", GraphBaseUrl = "http://127.0.0.1:5123/v1.0" }, NoEnvironment));

        Assert.Contains("GraphClients.Create", error.Message);
    }

    [Fact]
    public void The_mode_is_named_among_the_choices()
    {
        Assert.Equal(EntraCredentialMode.LocalGraph, new EntraOptions { Mode = "LocalGraph" }.ParsedMode);
        var problem = Assert.Single(new EntraOptions { Mode = "Stub" }.Problems(subscriptions: false, NoEnvironment));
        Assert.Contains("ManagedIdentity, WorkloadIdentity, ClientSecret, ClientCertificate, Developer or LocalGraph", problem);
    }
}
