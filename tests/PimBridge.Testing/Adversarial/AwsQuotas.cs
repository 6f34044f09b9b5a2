namespace PimBridge.Testing.Adversarial;

/// <summary>
/// AWS's documented request quotas for IAM Identity Center (https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html),
/// as the model enforces them on its own clock when <see cref="IdentityCenterModel.Quotas"/> is set. Opt-in: a model
/// without quotas (every safety schedule) serves each call as before, unpaged and never throttled for its rate.
/// The limit of 15 outstanding <c>CreateAccountAssignment</c> operations is not here: the model always keeps it, as AWS
/// does (it "cannot be raised").
/// </summary>
public sealed record AwsQuotas
{
    /// <summary>The documented figures: 20 requests a second for the Identity Center APIs together, 20 for Identity Store, pages of at most 100.</summary>
    public static readonly AwsQuotas Documented = new();

    /// <summary>Identity Center (sso-admin) APIs, all operations together.</summary>
    public double SsoAdminRequestsPerSecond { get; init; } = 20;

    /// <summary>Identity Store APIs, all operations together.</summary>
    public double IdentityStoreRequestsPerSecond { get; init; } = 20;

    /// <summary>
    /// How much unused rate a quiet service saves up, as time at the full rate: the token bucket holds this many
    /// seconds' worth of requests (at least one). AWS documents only the rate; one second's worth is the usual reading of
    /// "transactions per second", and lets a client that paces itself at the rate absorb the jitter of the network.
    /// </summary>
    public TimeSpan Burst { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The most items a <c>List*</c> operation answers in one page (<c>MaxResults</c> is 1–100 on every list operation
    /// PimBridge calls; AWS does not document the default, so a request without one gets the most).
    /// </summary>
    public int PageSize { get; init; } = 100;
}
