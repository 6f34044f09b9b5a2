using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using PimBridge.Core.Configuration;

namespace PimBridge.Entra;

/// <summary>Builds the Azure.Identity credential PimBridge signs in to Microsoft Graph with, from <see cref="EntraOptions"/>.</summary>
public static class EntraCredentials
{
    /// <summary>
    /// The credential for <see cref="EntraOptions.Mode"/>. Throws a <see cref="ConfigurationException"/> naming each
    /// field that is missing or wrong and how to fix it. No network call is made here: a credential that cannot get a
    /// token fails on Graph's first call.
    /// </summary>
    /// <param name="environment">Reads environment variables (WorkloadIdentity falls back on AZURE_*); the process environment when null.</param>
    public static TokenCredential Create(EntraOptions options, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        environment ??= Environment.GetEnvironmentVariable;
        var problems = options.CredentialProblems(environment);
        if (problems.Count > 0) throw new ConfigurationException(problems);

        var tenant = Blank(options.TenantId);
        var client = Blank(options.ClientId);
        return options.ParsedMode switch
        {
            EntraCredentialMode.ManagedIdentity => new ManagedIdentityCredential(
                client is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(client)),
            EntraCredentialMode.WorkloadIdentity => new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
            {
                TenantId = tenant ?? environment("AZURE_TENANT_ID"),
                ClientId = client ?? environment("AZURE_CLIENT_ID"),
                TokenFilePath = Blank(options.TokenFilePath) ?? environment("AZURE_FEDERATED_TOKEN_FILE"),
            }),
            EntraCredentialMode.ClientSecret => new ClientSecretCredential(tenant, client, options.ClientSecret),
            EntraCredentialMode.ClientCertificate => new ClientCertificateCredential(tenant, client, LoadCertificate(options)),
            // DefaultAzureCredential's chain (environment, workload identity, managed identity, Visual Studio, Azure
            // CLI, PowerShell, azd, …) with every interactive member excluded: a service must never open a browser.
            EntraCredentialMode.Developer => new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                TenantId = tenant,
                ExcludeInteractiveBrowserCredential = true,
                ExcludeBrokerCredential = true,
            }),
            EntraCredentialMode.LocalGraph => throw new InvalidOperationException(
                $"Mode {EntraCredentialMode.LocalGraph} signs in to nothing, so it has no credential; build its Graph client with {nameof(GraphClients)}.{nameof(GraphClients.Create)}(options)."),
            _ => throw new ConfigurationException([$"{EntraOptions.SectionName}.Mode: '{options.Mode}' is not supported."]),
        };
    }

    private static X509Certificate2 LoadCertificate(EntraOptions options)
    {
        var path = options.CertificatePath!;
        var password = string.IsNullOrEmpty(options.CertificatePassword) ? null : options.CertificatePassword;
        X509Certificate2 certificate;
        try
        {
            certificate = IsPem(path)
                ? password is null ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromEncryptedPemFile(path, password)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException ex)
        {
            var field = password is null ? "CertificatePath" : "CertificatePassword";
            throw new ConfigurationException(
                [$"{EntraOptions.SectionName}.{field}: the certificate at '{path}' could not be read ({ex.Message.TrimEnd('.')}); check that the file holds the certificate with its private key and that CertificatePassword is its password (empty when it has none)."], ex);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ConfigurationException(
                [$"{EntraOptions.SectionName}.CertificatePath: '{path}' holds a certificate without its private key; export it with the private key (PFX, or PEM with the key)."]);
        }

        return certificate;
    }

    private static bool IsPem(string path)
    {
        if (path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase))
            return true;
        if (path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
            return false;
        using var reader = new StreamReader(path);
        var head = new char[64];
        var read = reader.ReadBlock(head, 0, head.Length);
        return new string(head, 0, read).TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
