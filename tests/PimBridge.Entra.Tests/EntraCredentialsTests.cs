using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Identity;
using PimBridge.Core.Configuration;

namespace PimBridge.Entra.Tests;

/// <summary>EntraCredentials and EntraOptions validation: the right credential per mode; every problem names its field.</summary>
public sealed class EntraCredentialsTests : IDisposable
{
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string Client = "0d3a1b2c-1111-4222-8333-444455556666";
    private static readonly Func<string, string?> NoEnvironment = _ => null;
    private readonly string _directory = Directory.CreateTempSubdirectory("pimbridge-entra-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IReadOnlyList<string> Problems(EntraOptions options) =>
        Assert.Throws<ConfigurationException>(() => EntraCredentials.Create(options, NoEnvironment)).Problems;

    private static string Field(string problem) => problem.Split(':')[0];

    [Fact]
    public void Managed_identity_is_the_default_and_system_assigned()
    {
        Assert.IsType<ManagedIdentityCredential>(EntraCredentials.Create(new EntraOptions(), NoEnvironment));
        Assert.IsType<ManagedIdentityCredential>(EntraCredentials.Create(new EntraOptions { Mode = "managedidentity", ClientId = Client }, NoEnvironment));
    }

    [Fact]
    public void A_user_assigned_identity_needs_a_client_id_that_is_a_guid()
    {
        var problem = Assert.Single(Problems(new EntraOptions { Mode = "ManagedIdentity", ClientId = "my-identity" }));

        Assert.Equal("Entra.ClientId", Field(problem));
        Assert.Contains("GUID", problem);
    }

    [Fact]
    public void Client_secret_mode_names_each_missing_field()
    {
        var problems = Problems(new EntraOptions { Mode = "ClientSecret" });

        Assert.Equal(["Entra.TenantId", "Entra.ClientId", "Entra.ClientSecret"], problems.Select(Field));
        Assert.All(problems, p => Assert.Contains("required for Mode ClientSecret", p));
    }

    [Fact]
    public void Client_secret_mode_builds_a_client_secret_credential()
    {
        var credential = EntraCredentials.Create(new EntraOptions { Mode = "ClientSecret", TenantId = Tenant, ClientId = Client, ClientSecret = "secret" }, NoEnvironment);

        Assert.IsType<ClientSecretCredential>(credential);
    }

    [Fact]
    public void A_tenant_may_be_a_domain_but_not_anything()
    {
        Assert.IsType<ClientSecretCredential>(EntraCredentials.Create(new EntraOptions { Mode = "ClientSecret", TenantId = "contoso.onmicrosoft.com", ClientId = Client, ClientSecret = "s" }, NoEnvironment));

        var problem = Assert.Single(Problems(new EntraOptions { Mode = "ClientSecret", TenantId = "my tenant", ClientId = Client, ClientSecret = "s" }));
        Assert.Equal("Entra.TenantId", Field(problem));
    }

    [Fact]
    public void An_unknown_mode_is_named_with_the_choices()
    {
        var problem = Assert.Single(Problems(new EntraOptions { Mode = "AzureCli" }));

        Assert.Equal("Entra.Mode", Field(problem));
        Assert.Contains("ManagedIdentity, WorkloadIdentity, ClientSecret, ClientCertificate, Developer or LocalGraph", problem);
        Assert.Equal("Entra.Mode", Field(Assert.Single(Problems(new EntraOptions { Mode = "2" }))));
    }

    [Fact]
    public void Secrets_left_behind_for_another_mode_are_refused()
    {
        var problems = Problems(new EntraOptions { Mode = "ManagedIdentity", ClientSecret = "leftover", CertificatePath = "certificates/leftover.pfx" });

        Assert.Equal(["Entra.ClientSecret", "Entra.CertificatePath"], problems.Select(Field));
        Assert.All(problems, p => Assert.DoesNotContain("leftover", p));
    }

    [Fact]
    public void Workload_identity_takes_its_settings_from_options_or_the_environment()
    {
        var problems = Problems(new EntraOptions { Mode = "WorkloadIdentity" });
        Assert.Equal(["Entra.TenantId", "Entra.ClientId", "Entra.TokenFilePath"], problems.Select(Field));
        Assert.All(problems, p => Assert.Contains("AZURE_", p));

        var environment = new Dictionary<string, string?>
        {
            ["AZURE_TENANT_ID"] = Tenant, ["AZURE_CLIENT_ID"] = Client, ["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/azure/tokens/azure-identity-token",
        };
        Assert.IsType<WorkloadIdentityCredential>(EntraCredentials.Create(new EntraOptions { Mode = "WorkloadIdentity" }, name => environment.GetValueOrDefault(name)));
        Assert.IsType<WorkloadIdentityCredential>(EntraCredentials.Create(
            new EntraOptions { Mode = "WorkloadIdentity", TenantId = Tenant, ClientId = Client, TokenFilePath = "/token" }, NoEnvironment));
    }

    [Fact]
    public void Developer_mode_is_DefaultAzureCredential()
    {
        Assert.IsType<DefaultAzureCredential>(EntraCredentials.Create(new EntraOptions { Mode = "Developer", TenantId = Tenant }, NoEnvironment));
    }

    [Fact]
    public void Client_certificate_mode_names_missing_fields_and_a_missing_file()
    {
        Assert.Equal(["Entra.TenantId", "Entra.ClientId", "Entra.CertificatePath"], Problems(new EntraOptions { Mode = "ClientCertificate" }).Select(Field));

        var problem = Assert.Single(Problems(new EntraOptions { Mode = "ClientCertificate", TenantId = Tenant, ClientId = Client, CertificatePath = Path.Combine(_directory, "missing.pfx") }));
        Assert.Equal("Entra.CertificatePath", Field(problem));
        Assert.Contains("does not exist", problem);
    }

    [Fact]
    public void Client_certificate_mode_loads_a_password_protected_pfx_and_names_a_wrong_password()
    {
        var path = WriteCertificate("app.pfx", cert => cert.Export(X509ContentType.Pfx, "p@ss"));

        Assert.IsType<ClientCertificateCredential>(EntraCredentials.Create(
            new EntraOptions { Mode = "ClientCertificate", TenantId = Tenant, ClientId = Client, CertificatePath = path, CertificatePassword = "p@ss" }, NoEnvironment));

        var problem = Assert.Single(Problems(new EntraOptions { Mode = "ClientCertificate", TenantId = Tenant, ClientId = Client, CertificatePath = path, CertificatePassword = "Tr0ub4dor" }));
        Assert.Equal("Entra.CertificatePassword", Field(problem));
        Assert.DoesNotContain("Tr0ub4dor", problem);
    }

    [Fact]
    public void Client_certificate_mode_loads_a_pem_with_its_key_and_refuses_one_without()
    {
        var withKey = WriteCertificate("app.pem", cert => System.Text.Encoding.ASCII.GetBytes(cert.ExportCertificatePem() + "\n" + cert.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem()));
        var withoutKey = WriteCertificate("public.pem", cert => System.Text.Encoding.ASCII.GetBytes(cert.ExportCertificatePem()));

        Assert.IsType<ClientCertificateCredential>(EntraCredentials.Create(
            new EntraOptions { Mode = "ClientCertificate", TenantId = Tenant, ClientId = Client, CertificatePath = withKey }, NoEnvironment));
        var problem = Assert.Single(Problems(new EntraOptions { Mode = "ClientCertificate", TenantId = Tenant, ClientId = Client, CertificatePath = withoutKey }));
        Assert.Equal("Entra.CertificatePath", Field(problem));
    }

    [Fact]
    public void Option_validation_reports_every_problem_at_once()
    {
        var options = new EntraOptions { Mode = "ClientSecret", PrincipalCacheTtl = "soon", GraphBaseUrl = "graph.local" };

        var error = Assert.Throws<ConfigurationException>(() => options.Validate(subscriptions: true, environment: NoEnvironment));

        Assert.Equal(
            ["Entra.TenantId", "Entra.ClientId", "Entra.ClientSecret", "Entra.PrincipalCacheTtl", "Entra.GraphBaseUrl",
             "Entra.Subscriptions.AzureSubscriptionId", "Entra.Subscriptions.ResourceGroup", "Entra.Subscriptions.PartnerTopic", "Entra.Subscriptions.Location", "Entra.Subscriptions.ClientState"],
            error.Problems.Select(Field));
        Assert.Empty(new EntraOptions { Mode = "ClientSecret", TenantId = Tenant, ClientId = Client, ClientSecret = "s" }.Problems(subscriptions: false, NoEnvironment));
    }

    [Fact]
    public void Options_bind_from_configuration_with_durations()
    {
        var options = new EntraOptions { PrincipalCacheTtl = "90s" };
        Assert.Equal(TimeSpan.FromSeconds(90), options.PrincipalCacheTtlValue);
        Assert.Equal(EntraOptions.DefaultPrincipalCacheTtl, new EntraOptions().PrincipalCacheTtlValue);
        Assert.Equal(TimeSpan.FromDays(28), new EntraSubscriptionOptions().LifetimeValue);
        Assert.Equal(EntraCredentialMode.ClientCertificate, new EntraOptions { Mode = " clientcertificate " }.ParsedMode);
    }

    private string WriteCertificate(string name, Func<X509Certificate2, byte[]> export)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=pimbridge-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, export(certificate));
        return path;
    }
}
