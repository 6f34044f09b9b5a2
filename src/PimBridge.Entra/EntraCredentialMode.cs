namespace PimBridge.Entra;

/// <summary>How PimBridge signs in to Microsoft Graph.</summary>
public enum EntraCredentialMode
{
    /// <summary>The Azure host's managed identity: system-assigned, or user-assigned when <see cref="EntraOptions.ClientId"/> is set.</summary>
    ManagedIdentity,

    /// <summary>Workload identity federation (AKS and other OIDC issuers): a federated token file exchanged for a token.</summary>
    WorkloadIdentity,

    /// <summary>An app registration's client secret.</summary>
    ClientSecret,

    /// <summary>An app registration's certificate (PFX/PKCS#12 or PEM with its private key).</summary>
    ClientCertificate,

    /// <summary>A developer's machine: <c>DefaultAzureCredential</c> (environment, Azure CLI, azd, …), never interactive.</summary>
    Developer,

    /// <summary>
    /// A Graph emulator on this machine (the sandbox's stub) at a loopback <see cref="EntraOptions.GraphBaseUrl"/>:
    /// no sign-in, and requests carry no token. Refused for any address that is not loopback.
    /// </summary>
    LocalGraph,
}
