namespace PimBridge.Host;

/// <summary>
/// The host's settings, bound from the configuration section <c>PimBridge:Host</c> (environment:
/// <c>PimBridge__Host__EventsPath</c> and so on). Durations use the <c>hh:mm:ss</c> form.
/// </summary>
public sealed class PimBridgeHostOptions
{
    public const string Section = "PimBridge:Host";

    /// <summary>Where Event Grid delivers (POST) and shakes hands (OPTIONS).</summary>
    public string EventsPath { get; set; } = "/api/events";

    /// <summary>Request bodies larger than this are refused with 400, unread past the limit.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Event Grid's public and sovereign clouds: the handshake origins when none are configured.</summary>
    public static readonly IReadOnlyList<string> EventGridOrigins = ["eventgrid.azure.net", "eventgrid.azure.us", "eventgrid.azure.cn"];

    /// <summary>
    /// Origins the CloudEvents abuse-protection handshake (OPTIONS) is granted to, replacing <see cref="EventGridOrigins"/>
    /// when any is set; <c>*</c> grants any. Empty by default: the configuration binder appends to a list's initial
    /// items, so defaults kept here could never be narrowed.
    /// </summary>
    public List<string> AllowedWebHookOrigins { get; set; } = [];

    /// <summary>The origins the handshake grants: those configured, else Event Grid's.</summary>
    public IReadOnlyList<string> WebHookOrigins => AllowedWebHookOrigins.Count > 0 ? AllowedWebHookOrigins : EventGridOrigins;

    /// <summary>The <c>WebHook-Allowed-Rate</c> answered in the handshake: requests per minute, or <c>*</c>.</summary>
    public string WebHookAllowedRate { get; set; } = "*";

    public BearerOptions Bearer { get; set; } = new();

    public SharedSecretOptions SharedSecret { get; set; } = new();

    public DedupeOptions Dedupe { get; set; } = new();

    public WorkerOptions Worker { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>
    /// A binder error for an unknown key, with what replaced the key when it is <c>PimBridge:Host:ClientState</c>
    /// (no longer a setting): what serve and doctor say.
    /// </summary>
    public static string UnknownKeyProblem(string binderMessage) => binderMessage.Contains("'ClientState'", StringComparison.Ordinal)
        ? $"{binderMessage} {Section}:ClientState is no longer a setting: the webhook checks the Entra.Subscriptions.ClientState the subscriptions are created with. Remove it."
        : binderMessage;

    /// <summary>
    /// Reads the host settings as the host does (unknown keys are errors) and validates them: the settings, and
    /// <paramref name="problems"/> naming each one that is wrong (empty when they are usable).
    /// </summary>
    public static PimBridgeHostOptions Read(IConfiguration configuration, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new PimBridgeHostOptions();
        try
        {
            configuration.GetSection(Section).Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            problems = [UnknownKeyProblem(e.Message)];
            return options;
        }

        var result = new PimBridgeHostOptionsValidator().Validate(null, options);
        problems = result.Failed ? [.. result.Failures] : [];
        return options;
    }

    /// <summary>Why no delivery can be accepted, naming the settings, when neither bearer tokens nor a shared secret are configured; else null.</summary>
    public string? MissingDeliveryAuthentication => Bearer.Enabled || SharedSecret.Enabled
        ? null
        : $"no delivery authentication is configured: set {Section}:Bearer:ValidAudiences or {Section}:SharedSecret:Secret";

    /// <summary>Microsoft Entra bearer tokens (Event Grid's secure webhook delivery). On when an audience is set.</summary>
    public sealed class BearerOptions
    {
        /// <summary>OpenID Connect metadata, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration</c>: the signing keys, and the issuer when none is configured.</summary>
        public string? MetadataAddress { get; set; }

        /// <summary>Accepted <c>iss</c> values; empty means the metadata's issuer.</summary>
        public List<string> ValidIssuers { get; set; } = [];

        /// <summary>Accepted <c>aud</c> values: the application id URI and/or client id of the endpoint's app registration.</summary>
        public List<string> ValidAudiences { get; set; } = [];

        /// <summary>Tolerated clock difference for <c>exp</c> and <c>nbf</c>.</summary>
        public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

        public bool Enabled => ValidAudiences.Any(a => !string.IsNullOrWhiteSpace(a));
    }

    /// <summary>A shared secret sent by Event Grid as a custom delivery header, or in the endpoint URL's query. On when set.</summary>
    public sealed class SharedSecretOptions
    {
        public string? Secret { get; set; }

        public string HeaderName { get; set; } = "X-PimBridge-Secret";

        public string QueryParameter { get; set; } = "secret";

        public bool Enabled => !string.IsNullOrEmpty(Secret);
    }

    /// <summary>Event ids already handled, remembered in memory to skip Event Grid's redeliveries cheaply.</summary>
    public sealed class DedupeOptions
    {
        public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);

        public int Capacity { get; set; } = 10_000;
    }

    public sealed class WorkerOptions
    {
        /// <summary>Whether the background worker runs (ticks and polls). Off, the endpoints still record hints.</summary>
        public bool Enabled { get; set; } = true;

        /// <summary>
        /// The longest time between two ticks; a signal (a recorded hint) ticks sooner. One second, so a removal starts
        /// within I6's 5 seconds of its due time (a tick then waits at most one 3-second operation before it); an idle
        /// tick costs three store reads.
        /// </summary>
        public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>
        /// How often the poll asks Graph's membership delta which mapped groups changed, and reads those from PIM (a
        /// delta is only a hint; PIM decides). Without a delta (a host whose PIM source is not Graph), every mapped
        /// group is read from PIM once per interval, spread across it. Zero turns the poll off (both reads).
        /// </summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>
        /// With the membership delta, every mapped group is still read from PIM once per this interval, spread across
        /// it: an extended activation, or one ended early while the principal keeps a standing membership, changes no
        /// membership, so the delta never shows it. At least <see cref="PollInterval"/>.
        /// </summary>
        public TimeSpan FullPollInterval { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>The closest two poll reads may follow each other; with many groups, each read takes several.</summary>
        public TimeSpan MinPollSpacing { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>First backoff after PIM throttles without a Retry-After; doubles per throttle in a row.</summary>
        public TimeSpan ThrottleBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

        public TimeSpan ThrottleMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>Ticks run back to back while they find work, at most this many in a row.</summary>
        public int MaxTicksInARow { get; set; } = 10;
    }

    /// <summary>The Prometheus text exposition of PimBridge's meters (docs/host.md, Metrics).</summary>
    public sealed class MetricsOptions
    {
        /// <summary>Serve <see cref="Path"/>. Unauthenticated, like <c>/healthz</c>: expose the port only to the scraper.</summary>
        public bool Enabled { get; set; } = true;

        public string Path { get; set; } = "/metrics";
    }
}
