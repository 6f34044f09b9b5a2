namespace PimBridge.Core.Configuration;

public sealed class IdentityCenterOptions
{
    /// <summary>arn:aws:sso:::instance/ssoins-…</summary>
    public string InstanceArn { get; set; } = "";

    /// <summary>d-… (or a GUID): the instance's identity store.</summary>
    public string IdentityStoreId { get; set; } = "";

    /// <summary>The Region the Identity Center instance lives in.</summary>
    public string Region { get; set; } = "";

    /// <summary>
    /// How an Entra user finds their Identity Center user: <c>userPrincipalName</c> (default, matched to
    /// <c>userName</c>) or <c>mail</c> (matched to <c>emails.value</c>).
    /// </summary>
    public string MatchUsersBy { get; set; } = "userPrincipalName";
}
