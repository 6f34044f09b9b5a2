using System.Text.RegularExpressions;
using PimBridge.Core.Configuration;

namespace PimBridge.Aws.Credentials;

/// <summary>
/// How <see cref="ManagedIdentityWebIdentityCredentials"/> turns an Entra token into AWS credentials: the role to
/// assume with STS AssumeRoleWithWebIdentity and the audience the Entra token is issued for.
/// </summary>
public sealed partial class WebIdentityCredentialsOptions
{
    /// <summary>
    /// The audience Azure's documentation uses for federating a managed identity with another cloud; the AWS IAM OIDC
    /// provider must list it as a client ID, and the role's trust policy pins <c>aud</c> to it.
    /// </summary>
    public const string DefaultAudience = "api://AzureADTokenExchange";

    /// <summary>The IAM role to assume, for example <c>arn:aws:iam::123456789012:role/pimbridge-bridge</c>. Required.</summary>
    public string RoleArn { get; set; } = "";

    /// <summary>The Entra token's audience (application ID URI); the token is requested for <c>{Audience}/.default</c>.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>The role session name CloudTrail records for every call made with these credentials.</summary>
    public string SessionName { get; set; } = "pimbridge";

    /// <summary>How long to ask the session to last; null: the role's default (one hour).</summary>
    public TimeSpan? SessionDuration { get; set; }

    /// <summary>Credentials are replaced this long before they expire, so no request is signed with keys about to lapse.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Source of time for expiry decisions; tests substitute a manual clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The scope to request the Entra token for: the audience with <c>/.default</c>, the form Entra requires.</summary>
    public string Scope => Audience.EndsWith("/.default", StringComparison.Ordinal) ? Audience : Audience.TrimEnd('/') + "/.default";

    /// <summary>The audience as it appears in the token's <c>aud</c> claim (without <c>/.default</c>).</summary>
    public string AudienceClaim => Audience.EndsWith("/.default", StringComparison.Ordinal) ? Audience[..^"/.default".Length] : Audience;

    /// <summary>Checks every field; the names in the problems are prefixed with <paramref name="prefix"/> (the configuration keys' section).</summary>
    /// <exception cref="ConfigurationException">A field is missing or malformed.</exception>
    public void Validate(string prefix = "")
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(RoleArn))
            problems.Add($"{prefix}WebIdentityRoleArn: the IAM role to assume is required, for example arn:aws:iam::123456789012:role/pimbridge-bridge.");
        else if (!RoleArnPattern().IsMatch(RoleArn.Trim()))
            problems.Add($"{prefix}WebIdentityRoleArn: '{RoleArn}' is not an IAM role ARN; give it as arn:aws:iam::<12-digit account>:role/<name> (the role trusted by the Azure OIDC provider).");
        if (string.IsNullOrWhiteSpace(Audience))
            problems.Add($"{prefix}WebIdentityAudience: the Entra token's audience must not be empty; leave it unset for {DefaultAudience}, or give the application ID URI the AWS OIDC provider lists as a client ID.");
        if (string.IsNullOrWhiteSpace(SessionName) || !SessionNamePattern().IsMatch(SessionName))
            problems.Add($"{prefix}WebIdentitySessionName: '{SessionName}' is not a role session name; use 2 to 64 letters, digits or =,.@- characters.");
        if (SessionDuration is { } duration && (duration < TimeSpan.FromMinutes(15) || duration > TimeSpan.FromHours(12)))
            problems.Add($"{prefix}WebIdentitySessionDuration: {duration} is outside what STS allows (15 minutes to 12 hours, and at most the role's maximum session duration).");
        if (RefreshMargin < TimeSpan.Zero)
            problems.Add($"{prefix}WebIdentityRefreshMargin: {RefreshMargin} is negative; give how long before expiry to refresh, for example 00:05:00.");
        if (problems.Count > 0) throw new ConfigurationException(problems);
    }

    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionNamePattern();
}
