namespace PimBridge.Core.Domain;

public static class EndReasons
{
    public const string Expired = "expired";
    public const string Deactivated = "deactivated";
    public const string Revoked = "revoked";
}
