using System.Text;
using System.Text.Json.Nodes;

namespace PimBridge.Cli.Tests;

/// <summary>
/// A temporary folder of CloudTrail files around one ended grant: alice's <c>Admin</c> access to <see cref="Account"/>
/// ended at <see cref="End"/>, was removed at <see cref="RemovedAt"/> and fenced at <see cref="FencedAt"/>. The files
/// hold what a real trail mixes in: her calls before the end, other principals, a permission set whose name starts
/// the same, her name in other case, another account, a duplicate delivery, a malformed record and a truncated file.
/// </summary>
public sealed class TrailFolder : IDisposable
{
    public const string User = "alice@example.com";
    public const string UserId = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    public const string PermissionSet = "Admin";
    public const string Account = "111122223333";
    public const string OtherAccount = "444455556666";
    public static readonly DateTimeOffset End = new(2026, 11, 20, 14, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset RemovedAt = End.AddMinutes(2);
    public static readonly DateTimeOffset FencedAt = End.AddMinutes(10);

    // CloudTrail event ids are GUIDs; these name what each event is.
    public const string BeforeExpiry = "0b9c6f61-1d2e-4c3b-9a01-000000000001";
    public const string AfterExpiry = "0b9c6f61-1d2e-4c3b-9a01-000000000002";
    public const string OtherPrincipal = "0b9c6f61-1d2e-4c3b-9a01-000000000003";
    public const string SimilarPermissionSet = "0b9c6f61-1d2e-4c3b-9a01-000000000004";
    public const string NameInOtherCase = "0b9c6f61-1d2e-4c3b-9a01-000000000005";
    public const string AfterFence = "0b9c6f61-1d2e-4c3b-9a01-000000000006";
    public const string DeniedByFence = "0b9c6f61-1d2e-4c3b-9a01-000000000007";
    public const string InOtherAccount = "0b9c6f61-1d2e-4c3b-9a01-000000000008";
    public const string CredentialsMinted = "0b9c6f61-1d2e-4c3b-9a01-000000000009";
    public const string OtherUsersCredentials = "0b9c6f61-1d2e-4c3b-9a01-00000000000a";

    /// <summary>The matching events, in event time order.</summary>
    public static readonly string[] ExpectedAlerts = [AfterExpiry, NameInOtherCase, AfterFence, DeniedByFence, CredentialsMinted];

    public static readonly string[] NotAlerts = [BeforeExpiry, OtherPrincipal, SimilarPermissionSet, InOtherAccount, OtherUsersCredentials];

    public TrailFolder()
    {
        Directory.CreateDirectory(Trails);
        var member = $"AWSLogs/o-a1b2c3d4e5/{Account}/CloudTrail/ap-southeast-2/2026/11/20";
        WriteGzip($"{member}/{Account}_CloudTrail_ap-southeast-2_20261120T1405Z_Mu0KsOhtH1ar15ZZ.json.gz",
            TrailJson.RoleSessionCall(BeforeExpiry, End.AddMinutes(-30), Account, PermissionSet, User, UserId),
            TrailJson.RoleSessionCall(AfterExpiry, End.AddMinutes(5), Account, PermissionSet, User, UserId, eventSource: "ec2.amazonaws.com", eventName: "DescribeInstances"),
            TrailJson.OtherRoleCall(OtherPrincipal, End.AddMinutes(5), Account, "ci-deployer", "build-17"),
            TrailJson.RoleSessionCall(SimilarPermissionSet, End.AddMinutes(5), Account, "AdminReadOnly", User, UserId),
            TrailJson.RoleSessionCall(NameInOtherCase, End.AddMinutes(6), Account, PermissionSet, "Alice@Example.COM"));

        var malformed = TrailJson.RoleSessionCall("unused", End.AddMinutes(8), Account, PermissionSet, User, UserId);
        malformed["eventTime"] = "the day after";
        WriteGzip($"{member}/{Account}_CloudTrail_ap-southeast-2_20261120T1430Z_Qx7LmPz2Vb9Tn4Rs.json.gz",
            TrailJson.RoleSessionCall(AfterFence, End.AddMinutes(20), Account, PermissionSet, User, UserId, sessionCreated: End.AddMinutes(-15), eventName: "GetObject", sourceIp: "198.51.100.7"),
            TrailJson.RoleSessionCall(DeniedByFence, End.AddMinutes(25), Account, PermissionSet, User, UserId, sessionCreated: End.AddMinutes(-15), eventName: "PutObject", errorCode: "AccessDenied"),
            TrailJson.RoleSessionCall(InOtherAccount, End.AddMinutes(7), OtherAccount, PermissionSet, User, UserId),
            // CloudTrail delivers some events twice; the second must not alert again.
            TrailJson.RoleSessionCall(AfterExpiry, End.AddMinutes(5), Account, PermissionSet, User, UserId, eventSource: "ec2.amazonaws.com", eventName: "DescribeInstances"),
            malformed);

        Write($"AWSLogs/o-a1b2c3d4e5/{TrailJson.IdentityCenterAccount}/CloudTrail/ap-southeast-2/2026/11/20/sso-events.json",
            Encoding.UTF8.GetBytes(TrailJson.File([
                TrailJson.GetRoleCredentials(CredentialsMinted, End.AddMinutes(30), UserId, Account, PermissionSet),
                TrailJson.GetRoleCredentials(OtherUsersCredentials, End.AddMinutes(31), "976710cc5d-00000000-0000-0000-0000-000000000000", Account, PermissionSet),
            ])));

        // A delivery cut short: half of a gzip stream.
        var filler = Enumerable.Range(0, 60).Select(i => (JsonNode)TrailJson.OtherRoleCall($"f11e0000-0000-4000-8000-{i:x12}", End.AddMinutes(i), Account, "ci-deployer", $"build-{i}"));
        var whole = TrailJson.Gzip(TrailJson.File(filler));
        Write($"{member}/broken.json.gz", whole[..(whole.Length / 2)]);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "pimbridge-cli-" + Guid.NewGuid().ToString("N"));

    public string Trails => Path.Combine(Root, "trails");

    public const int FileCount = 4;

    /// <summary>The grants file for alice's grant, with every optional field; <paramref name="entry"/> may change it.</summary>
    public string WriteGrants(Action<JsonObject>? entry = null)
    {
        var grant = new JsonObject
        {
            ["user"] = User,
            ["userId"] = UserId,
            ["permissionSet"] = PermissionSet,
            ["accounts"] = new JsonArray(Account),
            ["end"] = TrailJson.Iso(End),
            ["removedAt"] = TrailJson.Iso(RemovedAt),
            ["fencedAt"] = TrailJson.Iso(FencedAt),
            ["grant"] = "pim-alice-admin",
        };
        entry?.Invoke(grant);
        return WriteGrantsText(new JsonArray(grant).ToJsonString());
    }

    public string WriteGrantsText(string json)
    {
        var path = Path.Combine(Root, $"grants-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    public void WriteGzip(string relative, params JsonNode[] records) => Write(relative, TrailJson.Gzip(TrailJson.File(records)));

    public void Write(string relative, byte[] content)
    {
        var path = Path.Combine(Trails, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
