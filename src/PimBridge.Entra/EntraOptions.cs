using System.Text.RegularExpressions;
using PimBridge.Core.Configuration;

namespace PimBridge.Entra;

/// <summary>
/// The Entra side of PimBridge's configuration (section <c>Entra</c>, so <c>PIMBRIDGE_Entra__Mode=ClientSecret</c>):
/// how to sign in to Microsoft Graph, how long to cache principals, and where Graph change notifications go.
/// Durations accept <c>90s</c>, <c>30m</c>, <c>8h</c>, <c>1d</c>, ISO-8601 (<c>PT8H</c>) or <c>hh:mm:ss</c>.
/// </summary>
public sealed partial class EntraOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Entra";

    /// <summary>The default lifetime of a cached principal (user principal name and mail).</summary>
    public static readonly TimeSpan DefaultPrincipalCacheTtl = TimeSpan.FromMinutes(10);

    /// <summary><c>ManagedIdentity</c> (default), <c>WorkloadIdentity</c>, <c>ClientSecret</c>, <c>ClientCertificate</c>, <c>Developer</c> or <c>LocalGraph</c>.</summary>
    public string Mode { get; set; } = nameof(EntraCredentialMode.ManagedIdentity);

    /// <summary>The directory (tenant) id, a GUID or a verified domain. Required for ClientSecret and ClientCertificate.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The application (client) id: required for ClientSecret and ClientCertificate; the user-assigned identity's client
    /// id for ManagedIdentity (empty: system-assigned); optional for WorkloadIdentity (default: AZURE_CLIENT_ID).
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret, for ClientSecret. Prefer an environment variable or a secret store over a file.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A PFX/PKCS#12 (<c>.pfx</c>, <c>.p12</c>) or PEM file holding the certificate and its private key, for ClientCertificate.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, when it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The federated token file for WorkloadIdentity (default: AZURE_FEDERATED_TOKEN_FILE).</summary>
    public string? TokenFilePath { get; set; }

    /// <summary>Overrides Graph's base URL, <c>https://graph.microsoft.com/v1.0</c>. For tests and sovereign clouds; required, and loopback only, for LocalGraph.</summary>
    public string? GraphBaseUrl { get; set; }

    /// <summary>How long a principal's user principal name and mail are cached.</summary>
    public string PrincipalCacheTtl { get; set; } = "10m";

    /// <summary>The Graph change subscriptions that deliver group changes to an Event Grid partner topic.</summary>
    public EntraSubscriptionOptions Subscriptions { get; set; } = new();

    /// <summary>The credential mode, or null when <see cref="Mode"/> names none.</summary>
    public EntraCredentialMode? ParsedMode =>
        Enum.TryParse<EntraCredentialMode>(Mode?.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !int.TryParse(Mode, out _) ? mode : null;

    /// <summary>The principal cache lifetime (<see cref="DefaultPrincipalCacheTtl"/> when the setting does not parse; <see cref="Validate"/> reports that).</summary>
    public TimeSpan PrincipalCacheTtlValue =>
        Duration.TryParse(PrincipalCacheTtl, out var ttl) && ttl >= TimeSpan.Zero ? ttl : DefaultPrincipalCacheTtl;

    /// <summary>
    /// Checks everything and throws a <see cref="ConfigurationException"/> listing every problem, each naming the
    /// field and the fix. With <paramref name="subscriptions"/> false, the subscription settings are not checked (a
    /// deployment that only polls needs none).
    /// </summary>
    public void Validate(bool subscriptions = true, Func<string, string?>? environment = null)
    {
        var problems = Problems(subscriptions, environment);
        if (problems.Count > 0) throw new ConfigurationException(problems);
    }

    /// <summary>Every problem <see cref="Validate"/> would report.</summary>
    public IReadOnlyList<string> Problems(bool subscriptions = true, Func<string, string?>? environment = null)
    {
        var problems = new List<string>(CredentialProblems(environment));
        if (!Duration.TryParse(PrincipalCacheTtl, out var ttl) || ttl < TimeSpan.Zero)
            problems.Add($"{SectionName}.PrincipalCacheTtl: '{PrincipalCacheTtl}' is not a non-negative duration; write it like 10m, 1h or 00:10:00 (0 disables caching).");
        // LocalGraph checks its base URL itself (CredentialProblems): it is required there, and loopback only.
        if (ParsedMode != EntraCredentialMode.LocalGraph && !string.IsNullOrWhiteSpace(GraphBaseUrl)
            && (!Uri.TryCreate(GraphBaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("https" or "http")))
            problems.Add($"{SectionName}.GraphBaseUrl: '{GraphBaseUrl}' is not an absolute http(s) URL; leave it empty for https://graph.microsoft.com/v1.0.");
        if (subscriptions)
            problems.AddRange((Subscriptions ?? new EntraSubscriptionOptions()).Problems($"{SectionName}.{nameof(Subscriptions)}"));
        return problems;
    }

    /// <summary>The credential settings' problems for the configured <see cref="Mode"/>.</summary>
    internal IReadOnlyList<string> CredentialProblems(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var problems = new List<string>();
        var at = SectionName;
        if (ParsedMode is not { } mode)
        {
            problems.Add($"{at}.Mode: '{Mode}' is not a credential mode; use ManagedIdentity, WorkloadIdentity, ClientSecret, ClientCertificate, Developer or LocalGraph.");
            return problems;
        }

        var uses = mode switch
        {
            EntraCredentialMode.ClientSecret => new[] { nameof(ClientSecret) },
            EntraCredentialMode.ClientCertificate => [nameof(CertificatePath), nameof(CertificatePassword)],
            EntraCredentialMode.WorkloadIdentity => [nameof(TokenFilePath)],
            _ => [],
        };
        // A secret left behind in another mode is a misconfiguration (and a secret lying around): say so.
        foreach (var (name, value) in new[] { (nameof(ClientSecret), ClientSecret), (nameof(CertificatePath), CertificatePath), (nameof(CertificatePassword), CertificatePassword), (nameof(TokenFilePath), TokenFilePath) })
        {
            if (!string.IsNullOrEmpty(value) && !uses.Contains(name))
                problems.Add($"{at}.{name}: set, but Mode {mode} does not use it; remove it, or set Mode to the mode it belongs to.");
        }

        if (mode == EntraCredentialMode.LocalGraph)
        {
            LocalGraphProblems(problems);
            return problems;
        }

        if (!string.IsNullOrWhiteSpace(TenantId) && !IsTenant(TenantId))
            problems.Add($"{at}.TenantId: '{TenantId}' is neither a directory (tenant) id nor a domain; copy the Directory (tenant) ID (a GUID) from Entra > Overview.");
        if (!string.IsNullOrWhiteSpace(ClientId) && !Guid.TryParse(ClientId, out _))
            problems.Add($"{at}.ClientId: '{ClientId}' is not a client id; copy the Application (client) ID (a GUID) from the app registration or the managed identity.");

        switch (mode)
        {
            case EntraCredentialMode.ClientSecret:
                RequireTenantAndClient(problems, mode);
                if (string.IsNullOrWhiteSpace(ClientSecret))
                    problems.Add($"{at}.ClientSecret: required for Mode ClientSecret; create one under the app registration's Certificates & secrets and set it (PIMBRIDGE_Entra__ClientSecret), or use another Mode.");
                break;
            case EntraCredentialMode.ClientCertificate:
                RequireTenantAndClient(problems, mode);
                if (string.IsNullOrWhiteSpace(CertificatePath))
                    problems.Add($"{at}.CertificatePath: required for Mode ClientCertificate; point it at a .pfx/.p12 or .pem file holding the certificate and its private key.");
                else if (!File.Exists(CertificatePath))
                    problems.Add($"{at}.CertificatePath: '{CertificatePath}' does not exist; fix the path or mount the certificate there.");
                break;
            case EntraCredentialMode.WorkloadIdentity:
                if (string.IsNullOrWhiteSpace(TenantId) && string.IsNullOrWhiteSpace(environment("AZURE_TENANT_ID")))
                    problems.Add($"{at}.TenantId: required for Mode WorkloadIdentity; set it, or AZURE_TENANT_ID (the workload identity webhook sets it).");
                if (string.IsNullOrWhiteSpace(ClientId) && string.IsNullOrWhiteSpace(environment("AZURE_CLIENT_ID")))
                    problems.Add($"{at}.ClientId: required for Mode WorkloadIdentity; set it to the federated app's client id, or AZURE_CLIENT_ID (the workload identity webhook sets it).");
                var tokenFile = string.IsNullOrWhiteSpace(TokenFilePath) ? environment("AZURE_FEDERATED_TOKEN_FILE") : TokenFilePath;
                if (string.IsNullOrWhiteSpace(tokenFile))
                    problems.Add($"{at}.TokenFilePath: required for Mode WorkloadIdentity; set it to the projected service account token file, or AZURE_FEDERATED_TOKEN_FILE (the workload identity webhook sets it).");
                break;
        }

        return problems;
    }

    /// <summary>
    /// LocalGraph sends requests without any credential, so it may only reach this machine: a tenant's Graph, or any
    /// other host, behind it would be called unauthenticated (and a real one would refuse every call).
    /// </summary>
    private void LocalGraphProblems(List<string> problems)
    {
        const string mode = nameof(EntraCredentialMode.LocalGraph);
        foreach (var (name, value) in new[] { (nameof(TenantId), TenantId), (nameof(ClientId), ClientId) })
        {
            if (!string.IsNullOrWhiteSpace(value))
                problems.Add($"{SectionName}.{name}: set, but Mode {mode} does not use it (a local Graph has no sign-in); remove it, or choose the Mode of a real tenant.");
        }

        if (string.IsNullOrWhiteSpace(GraphBaseUrl))
            problems.Add($"{SectionName}.GraphBaseUrl: required for Mode {mode}; set it to the local Graph's base URL, for example http://127.0.0.1:5123/v1.0 (pimbridge sandbox --serve prints its stub's).");
        else if (!Uri.TryCreate(GraphBaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("https" or "http"))
            problems.Add($"{SectionName}.GraphBaseUrl: '{GraphBaseUrl}' is not an absolute http(s) URL; Mode {mode} needs the local Graph's base URL, for example http://127.0.0.1:5123/v1.0.");
        else if (!baseUrl.IsLoopback)
            problems.Add($"{SectionName}.GraphBaseUrl: '{GraphBaseUrl}' is not a loopback address; Mode {mode} sends no credential, so it only reaches a Graph emulator on this machine (127.0.0.1, ::1 or localhost). For a tenant's Graph, use another Mode.");
    }

    private void RequireTenantAndClient(List<string> problems, EntraCredentialMode mode)
    {
        if (string.IsNullOrWhiteSpace(TenantId))
            problems.Add($"{SectionName}.TenantId: required for Mode {mode}; copy the Directory (tenant) ID from Entra > Overview.");
        if (string.IsNullOrWhiteSpace(ClientId))
            problems.Add($"{SectionName}.ClientId: required for Mode {mode}; copy the Application (client) ID from the app registration.");
    }

    private static bool IsTenant(string value) => Guid.TryParse(value, out _) || TenantDomain().IsMatch(value);

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$")]
    private static partial Regex TenantDomain();
}
