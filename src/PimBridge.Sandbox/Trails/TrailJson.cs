using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace PimBridge.Sandbox.Trails;

/// <summary>
/// CloudTrail records shaped as in shared/reference/cloudtrail-identity-center.md §2–§3 (the July 2026 captures of a
/// permission-set role session, GetRoleCredentials and AssumeRoleWithSAML), with the values a test chooses. Every
/// builder returns a fresh <see cref="JsonObject"/> so a test can damage or extend it.
/// </summary>
public static class TrailJson
{
    public const string IdentityCenterAccount = "607481581596";
    public const string IdentityStoreArn = "arn:aws:identitystore::607481581596:identitystore/d-976710cc5d";
    public const string Region = "ap-southeast-2";

    /// <summary>The 16-hex suffix Identity Center adds to a permission set's role name.</summary>
    public static string RoleName(string permissionSet, string hash = "7243976e43c75fc5") => $"AWSReservedSSO_{permissionSet}_{hash}";

    /// <summary>
    /// An API call made with permission-set credentials in a member account (<c>AssumedRole</c>). Pass
    /// <paramref name="userId"/> to include <c>onBehalfOf</c> (2026 records); leave it null for the older shape.
    /// </summary>
    public static JsonObject RoleSessionCall(
        string eventId, DateTimeOffset eventTime, string account, string permissionSet, string userName,
        string? userId = null, DateTimeOffset? sessionCreated = null, string eventSource = "s3.amazonaws.com",
        string eventName = "ListBuckets", string? errorCode = null, string? errorMessage = null,
        string sourceIp = "203.0.113.24", string userAgent = "aws-cli/2.27.49 md/awscrt#0.26.1 ua/2.1 os/linux#6.8 md/arch#x86_64",
        string region = Region, string roleHash = "7243976e43c75fc5")
    {
        var role = RoleName(permissionSet, roleHash);
        var identity = new JsonObject
        {
            ["type"] = "AssumedRole",
            ["principalId"] = $"AROA52RQV4237EYPOIPDF:{userName}",
            ["arn"] = $"arn:aws:sts::{account}:assumed-role/{role}/{userName}",
            ["accountId"] = account,
            ["accessKeyId"] = "ASIA52RQV423EXAMPLE7",
            ["sessionContext"] = new JsonObject
            {
                ["sessionIssuer"] = new JsonObject
                {
                    ["type"] = "Role",
                    ["principalId"] = "AROA52RQV4237EYPOIPDF",
                    ["arn"] = $"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{region}/{role}",
                    ["accountId"] = account,
                    ["userName"] = role,
                },
                ["attributes"] = new JsonObject
                {
                    ["creationDate"] = Iso(sessionCreated ?? eventTime.AddMinutes(-20)),
                    ["mfaAuthenticated"] = "false",
                },
            },
        };
        if (userId is not null)
            identity["onBehalfOf"] = new JsonObject { ["userId"] = userId, ["identityStoreArn"] = IdentityStoreArn };

        var record = Envelope(eventId, eventTime, identity, eventSource, eventName, region, account, sourceIp, userAgent);
        if (errorCode is not null)
        {
            record["errorCode"] = errorCode;
            record["errorMessage"] = errorMessage ?? $"User: arn:aws:sts::{account}:assumed-role/{role}/{userName} is not authorized to perform: {eventName} with an explicit deny in an identity-based policy";
        }

        record["requestParameters"] = null;
        record["responseElements"] = null;
        record["readOnly"] = eventName.StartsWith("List", StringComparison.Ordinal) || eventName.StartsWith("Get", StringComparison.Ordinal) || eventName.StartsWith("Describe", StringComparison.Ordinal);
        record["managementEvent"] = true;
        record["eventCategory"] = "Management";
        return record;
    }

    /// <summary>The access portal minting role credentials, recorded in the Identity Center account (§2 step 1).</summary>
    public static JsonObject GetRoleCredentials(
        string eventId, DateTimeOffset eventTime, string userId, string targetAccount, string permissionSet,
        string? errorCode = null, string sourceIp = "203.0.113.24", string userAgent = "aws-cli/2.27.49 md/command#sso.login")
    {
        var identity = new JsonObject
        {
            ["type"] = "IdentityCenterUser",
            ["accountId"] = IdentityCenterAccount,
            ["onBehalfOf"] = new JsonObject { ["userId"] = userId, ["identityStoreArn"] = IdentityStoreArn },
            ["credentialId"] = "AAAAAGpE1X7mZ3wq0b9c",
        };
        var record = Envelope(eventId, eventTime, identity, "sso.amazonaws.com", "GetRoleCredentials", Region, IdentityCenterAccount, sourceIp, userAgent);
        record["eventType"] = "AwsServiceEvent";
        record["requestParameters"] = null;
        record["responseElements"] = null;
        record["serviceEventDetails"] = new JsonObject { ["role_name"] = permissionSet, ["account_id"] = targetAccount };
        if (errorCode is not null) record["errorCode"] = errorCode;
        return record;
    }

    /// <summary>The SAML federation into the role, in the member account (§2 step 2): no onBehalfOf.</summary>
    public static JsonObject AssumeRoleWithSaml(string eventId, DateTimeOffset eventTime, string account, string permissionSet, string userName)
    {
        var role = RoleName(permissionSet);
        var identity = new JsonObject
        {
            ["type"] = "SAMLUser",
            ["principalId"] = $"/nQTosBbaHrvuioiTKQkrbl3/WM=:{userName}",
            ["userName"] = userName,
            ["identityProvider"] = "/nQTosBbaHrvuioiTKQkrbl3/WM=",
        };
        var record = Envelope(eventId, eventTime, identity, "sts.amazonaws.com", "AssumeRoleWithSAML", Region, account, "203.0.113.24", "aws-internal/3");
        record["requestParameters"] = new JsonObject
        {
            ["sAMLAssertionID"] = "_4bed2c1f-8a1e-4f57-9d6b-0c9f2b1b7a11",
            ["roleSessionName"] = userName,
            ["roleArn"] = $"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{Region}/{role}",
            ["principalArn"] = $"arn:aws:iam::{account}:saml-provider/AWSSSO_9882ccf00912484e_DO_NOT_DELETE",
            ["durationSeconds"] = 43200,
        };
        record["responseElements"] = new JsonObject
        {
            ["assumedRoleUser"] = new JsonObject
            {
                ["assumedRoleId"] = $"AROA52RQV4237EYPOIPDF:{userName}",
                ["arn"] = $"arn:aws:sts::{account}:assumed-role/{role}/{userName}",
            },
            ["subject"] = userName,
            ["issuer"] = "https://portal.sso.ap-southeast-2.amazonaws.com/saml/assertion/QUtJQUlPU0ZPRE5ON0VYQU1QTEU",
        };
        record["resources"] = new JsonArray(
            new JsonObject { ["ARN"] = $"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{Region}/{role}", ["accountId"] = account, ["type"] = "AWS::IAM::Role" },
            new JsonObject { ["ARN"] = $"arn:aws:iam::{account}:saml-provider/AWSSSO_9882ccf00912484e_DO_NOT_DELETE", ["accountId"] = account, ["type"] = "AWS::IAM::SAMLProvider" });
        return record;
    }

    /// <summary>A call by some other principal: an IAM role assumed by a service or pipeline.</summary>
    public static JsonObject OtherRoleCall(string eventId, DateTimeOffset eventTime, string account, string roleName, string sessionName, string eventSource = "ec2.amazonaws.com", string eventName = "DescribeInstances")
    {
        var identity = new JsonObject
        {
            ["type"] = "AssumedRole",
            ["principalId"] = $"AROAEXAMPLEOTHERROLE1:{sessionName}",
            ["arn"] = $"arn:aws:sts::{account}:assumed-role/{roleName}/{sessionName}",
            ["accountId"] = account,
            ["accessKeyId"] = "ASIAEXAMPLEOTHERKEY1",
            ["sessionContext"] = new JsonObject
            {
                ["sessionIssuer"] = new JsonObject
                {
                    ["type"] = "Role",
                    ["principalId"] = "AROAEXAMPLEOTHERROLE1",
                    ["arn"] = $"arn:aws:iam::{account}:role/{roleName}",
                    ["accountId"] = account,
                    ["userName"] = roleName,
                },
                ["attributes"] = new JsonObject { ["creationDate"] = Iso(eventTime.AddMinutes(-5)), ["mfaAuthenticated"] = "false" },
            },
        };
        return Envelope(eventId, eventTime, identity, eventSource, eventName, Region, account, "10.0.12.7", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.24.4");
    }

    /// <summary>A trail file's content: <c>{"Records":[...]}</c>.</summary>
    public static string File(IEnumerable<JsonNode> records) =>
        new JsonObject { ["Records"] = new JsonArray(records.Select(r => (JsonNode?)r.DeepClone()).ToArray()) }.ToJsonString();

    /// <summary>What <c>aws cloudtrail lookup-events</c> prints: <c>{"Events":[{..., "CloudTrailEvent": "&lt;the record as a JSON string&gt;"}]}</c>.</summary>
    public static string LookupEventsOutput(IEnumerable<JsonNode> records) => new JsonObject
    {
        ["Events"] = new JsonArray(records.Select(r => (JsonNode?)new JsonObject
        {
            ["EventId"] = r["eventID"]?.DeepClone(),
            ["EventName"] = r["eventName"]?.DeepClone(),
            ["ReadOnly"] = "true",
            ["EventTime"] = r["eventTime"]?.DeepClone(),
            ["EventSource"] = r["eventSource"]?.DeepClone(),
            ["Username"] = r["userIdentity"]?["principalId"]?.GetValue<string>().Split(':').Last(),
            ["Resources"] = new JsonArray(),
            ["CloudTrailEvent"] = r.ToJsonString(),
        }).ToArray()),
    }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>JSON Lines: one record per line (CloudWatch Logs exports, Athena and SIEM exports).</summary>
    public static string JsonLines(IEnumerable<JsonNode> records) => string.Concat(records.Select(r => r.ToJsonString() + "\n"));

    /// <summary>The EventBridge event that carries a CloudTrail record in <c>detail</c> ("AWS API Call via CloudTrail").</summary>
    public static JsonObject EventBridgeEvent(JsonNode record) => new()
    {
        ["version"] = "0",
        ["id"] = "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        ["detail-type"] = record["eventName"]?.GetValue<string>() == "ConsoleLogin" ? "AWS Console Sign In via CloudTrail" : "AWS API Call via CloudTrail",
        ["source"] = "aws." + (record["eventSource"]?.GetValue<string>() ?? "").Replace(".amazonaws.com", "", StringComparison.Ordinal),
        ["account"] = record["recipientAccountId"]?.DeepClone(),
        ["time"] = record["eventTime"]?.DeepClone(),
        ["region"] = record["awsRegion"]?.DeepClone(),
        ["resources"] = new JsonArray(),
        ["detail"] = record.DeepClone(),
    };

    public static byte[] Gzip(string json)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes(json));
        return output.ToArray();
    }

    /// <summary>The documented key of an organization trail file: <c>AWSLogs/&lt;org&gt;/&lt;account&gt;/CloudTrail/&lt;region&gt;/YYYY/MM/DD/&lt;account&gt;_CloudTrail_&lt;region&gt;_&lt;YYYYMMDDTHHmmZ&gt;_&lt;unique&gt;.json.gz</c>.</summary>
    public static string OrganizationTrailKey(string organizationId, string account, string region, DateTimeOffset delivered, string unique = "Mu0KsOhtH1ar15ZZ", string? prefix = null) =>
        $"{(string.IsNullOrEmpty(prefix) ? "" : prefix.TrimEnd('/') + "/")}AWSLogs/{organizationId}/{account}/CloudTrail/{region}/{delivered:yyyy/MM/dd}/{account}_CloudTrail_{region}_{delivered:yyyyMMdd'T'HHmm'Z'}_{unique}.json.gz";

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Envelope(string eventId, DateTimeOffset eventTime, JsonObject identity, string eventSource, string eventName, string region, string account, string sourceIp, string userAgent) => new()
    {
        ["eventVersion"] = "1.11",
        ["userIdentity"] = identity,
        ["eventTime"] = Iso(eventTime),
        ["eventSource"] = eventSource,
        ["eventName"] = eventName,
        ["awsRegion"] = region,
        ["sourceIPAddress"] = sourceIp,
        ["userAgent"] = userAgent,
        ["requestID"] = "2d5e1a0c-6f1b-4d7e-9a8f-3b2c1d0e9f8a",
        ["eventID"] = eventId,
        ["eventType"] = "AwsApiCall",
        ["recipientAccountId"] = account,
        ["tlsDetails"] = new JsonObject { ["tlsVersion"] = "TLSv1.3", ["cipherSuite"] = "TLS_AES_128_GCM_SHA256", ["clientProvidedHostHeader"] = $"{eventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal)}.{region}.amazonaws.com" },
    };
}
