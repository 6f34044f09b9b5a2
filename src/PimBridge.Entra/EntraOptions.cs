using System.Text.RegularExpressions;
using PimBridge.Core.Configuration;

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
}

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

    /// <summary><c>ManagedIdentity</c> (default), <c>WorkloadIdentity</c>, <c>ClientSecret</c>, <c>ClientCertificate</c> or <c>Developer</c>.</summary>
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

    /// <summary>Overrides Graph's base URL, <c>https://graph.microsoft.com/v1.0</c>. For tests and sovereign clouds.</summary>
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
        if (!string.IsNullOrWhiteSpace(GraphBaseUrl)
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
            problems.Add($"{at}.Mode: '{Mode}' is not a credential mode; use ManagedIdentity, WorkloadIdentity, ClientSecret, ClientCertificate or Developer.");
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

/// <summary>
/// Where Graph delivers group change notifications: an Event Grid partner topic (created by the first subscription),
/// named by Azure subscription, resource group, topic name and region. Subscriptions live for
/// <see cref="Lifetime"/> and are renewed once less than <see cref="RenewBefore"/> remains.
/// </summary>
public sealed partial class EntraSubscriptionOptions
{
    /// <summary>The most a group subscription may live: 41,760 minutes (just under 29 days).</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromMinutes(41_760);

    /// <summary>
    /// The least a new expiry may lie ahead for Event Grid delivery (3 hours, or reauthorization events start early),
    /// plus a margin for clock skew between this host and Graph.
    /// </summary>
    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromHours(3) + TimeSpan.FromMinutes(10);

    /// <summary>The Azure subscription (a GUID) that holds the partner topic.</summary>
    public string AzureSubscriptionId { get; set; } = "";

    /// <summary>The resource group with the Event Grid partner configuration authorizing MicrosoftGraphAPI.</summary>
    public string ResourceGroup { get; set; } = "";

    /// <summary>The partner topic's name (Graph creates it; activate it once).</summary>
    public string PartnerTopic { get; set; } = "";

    /// <summary>The region's name as <c>az account list-locations</c> lists it, e.g. <c>westeurope</c> (not "West Europe").</summary>
    public string Location { get; set; } = "";

    /// <summary>A random secret (at most 128 characters) Graph echoes in every notification; the receiver checks it.</summary>
    public string ClientState { get; set; } = "";

    /// <summary>How far ahead a new or renewed subscription expires: at most 41,760 minutes (29 days), at least 3 hours. Default 28 days.</summary>
    public string Lifetime { get; set; } = "28d";

    /// <summary>A subscription with less than this left is renewed. Must be shorter than <see cref="Lifetime"/>. Default 7 days.</summary>
    public string RenewBefore { get; set; } = "7d";

    /// <summary>The <c>EventGrid:?…</c> notification URL (lowercase keys, as every Microsoft example writes them).</summary>
    public string NotificationUrl =>
        $"EventGrid:?azuresubscriptionid={AzureSubscriptionId.Trim()}&resourcegroup={ResourceGroup.Trim()}&partnertopic={PartnerTopic.Trim()}&location={Location.Trim()}";

    /// <summary>The parsed <see cref="Lifetime"/> (clamped to the allowed range).</summary>
    public TimeSpan LifetimeValue => Duration.TryParse(Lifetime, out var value)
        ? TimeSpan.FromTicks(Math.Clamp(value.Ticks, MinimumLifetime.Ticks, MaximumLifetime.Ticks))
        : TimeSpan.FromDays(28);

    /// <summary>The parsed <see cref="RenewBefore"/>.</summary>
    public TimeSpan RenewBeforeValue => Duration.TryParse(RenewBefore, out var value) && value > TimeSpan.Zero ? value : TimeSpan.FromDays(7);

    /// <summary>Throws a <see cref="ConfigurationException"/> listing every problem.</summary>
    public void Validate()
    {
        var problems = Problems($"{EntraOptions.SectionName}.Subscriptions");
        if (problems.Count > 0) throw new ConfigurationException(problems);
    }

    internal IReadOnlyList<string> Problems(string at)
    {
        var problems = new List<string>();
        if (!Guid.TryParse(AzureSubscriptionId, out _))
            problems.Add($"{at}.AzureSubscriptionId: '{AzureSubscriptionId}' is not an Azure subscription id; copy the Subscription ID (a GUID) that holds the Event Grid partner configuration.");
        if (!ResourceGroupName().IsMatch(ResourceGroup ?? ""))
            problems.Add($"{at}.ResourceGroup: '{ResourceGroup}' is not a resource group name (1-90 letters, digits, '.', '_', '-', '(', ')', not ending in '.'); use the group holding the partner configuration.");
        if (!PartnerTopicName().IsMatch(PartnerTopic ?? ""))
            problems.Add($"{at}.PartnerTopic: '{PartnerTopic}' is not a partner topic name (3-50 letters, digits and '-'); choose a name unique in the region.");
        if (!LocationName().IsMatch(Location ?? ""))
            problems.Add($"{at}.Location: '{Location}' is not a region name; use the name az account list-locations shows, for example westeurope (not \"West Europe\").");
        if (string.IsNullOrWhiteSpace(ClientState))
            problems.Add($"{at}.ClientState: required; set a random secret of at most 128 characters (for example: openssl rand -base64 48) and give the receiver the same value.");
        else if (ClientState.Length > 128)
            problems.Add($"{at}.ClientState: {ClientState.Length} characters; Graph accepts at most 128, so use a shorter secret.");

        var lifetimeOk = Duration.TryParse(Lifetime, out var lifetime);
        if (!lifetimeOk || lifetime < TimeSpan.FromHours(3) || lifetime > MaximumLifetime)
            problems.Add($"{at}.Lifetime: '{Lifetime}' must be a duration from 3h to 41760m (29 days), the most Graph allows for groups; the default is 28d.");
        if (!Duration.TryParse(RenewBefore, out var renewBefore) || renewBefore <= TimeSpan.Zero)
            problems.Add($"{at}.RenewBefore: '{RenewBefore}' is not a positive duration; write it like 7d or 36h.");
        else if (lifetimeOk && renewBefore >= lifetime)
            problems.Add($"{at}.RenewBefore: '{RenewBefore}' is not shorter than Lifetime '{Lifetime}', so every run would renew; make it shorter, for example 7d.");
        return problems;
    }

    [GeneratedRegex(@"^[-\w._()]{0,89}[-\w_()]$")]
    private static partial Regex ResourceGroupName();

    [GeneratedRegex(@"^[A-Za-z0-9-]{3,50}$")]
    private static partial Regex PartnerTopicName();

    [GeneratedRegex(@"^[a-z0-9]{2,40}$")]
    private static partial Regex LocationName();
}
