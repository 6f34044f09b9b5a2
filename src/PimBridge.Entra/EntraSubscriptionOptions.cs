using System.Text.RegularExpressions;
using PimBridge.Core.Configuration;

namespace PimBridge.Entra;

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
