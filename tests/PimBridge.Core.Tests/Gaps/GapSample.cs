using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Core.Tests.Gaps;

/// <summary>
/// Alice's ended grant of Admin in Prod and Staging, the window every matching test reads records against: ended at
/// <see cref="End"/>, removal confirmed 4 s later, fence confirmed 40 s later, watched for 5 hours.
/// </summary>
internal static class GapSample
{
    public static readonly DateTimeOffset End = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Removed = End.AddSeconds(4);
    public static readonly DateTimeOffset Fenced = End.AddSeconds(40);
    public const string Prod = "111111111111";
    public const string Staging = "222222222222";
    public const string UserId = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    public const string User = "alice@example.com";

    public static GapWatchWindow Window(string permissionSet = "Admin", DateTimeOffset? fenced = null, string grant = "g-1", DateTimeOffset? from = null, DateTimeOffset? regranted = null) =>
        new(grant, UserId, User, "arn:aws:sso:::permissionSet/ssoins-1/ps-1", permissionSet, [Prod, Staging], from ?? End, End.AddHours(5), "f-1", fenced ?? Fenced, Removed)
        {
            RegrantedAt = regranted,
        };
}
