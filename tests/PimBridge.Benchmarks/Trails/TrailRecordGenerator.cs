using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PimBridge.Benchmarks.Trails;

/// <summary>What one trail file holds: the account and Region it was delivered for, and when.</summary>
internal sealed record TrailFileSpec(int Index, int Account, string AccountId, string Region, DateTimeOffset Delivered, long TargetBytes, int Seed, string Unique)
{
    public bool IsIdentityCenter => Account < 0;
}

/// <summary>
/// Writes the records of one trail file as CloudTrail does (one compact JSON object, <c>{"Records":[...]}</c>, the
/// fields in CloudTrail's order), for the account and Region of <see cref="TrailFileSpec"/>. The mix follows an
/// organisation's member account: permission-set role sessions of many users (with and without onBehalfOf), service
/// roles, AWS service principals, IAM users, SAML federation, errors, S3 and KMS data events, and a few large payloads
/// (RunInstances responses, CloudFormation templates, policy documents as escaped JSON strings); the Identity Center
/// account adds the access portal (GetRoleCredentials, ListAccounts...), sign-in and provisioning. A small share of
/// the records are the watched users at work, most of it legitimate (another permission set or account, or before the
/// grant ended).
/// </summary>
internal sealed class TrailRecordGenerator
{
    private enum Who { SsoUser, WatchedUser, NearMissRole, ServiceRole, AwsService, IamUser, Saml, Root, AwsAccount, PortalUser, WatchedPortalUser, PimBridge, Scim }

    private enum Api
    {
        GetCallerIdentity, S3GetObject, S3PutObject, S3ListObjects, KmsDecrypt, KmsGenerateDataKey, Ec2DescribeInstances,
        Ec2RunInstances, Ec2CreateTags, Ec2DescribeSecurityGroups, IamPutRolePolicy, IamGetRole, CfnCreateStack,
        CfnDescribeStacks, StsAssumeRole, LambdaUpdateFunctionConfiguration, EcsRunTask, EcsDescribeTasks,
        DynamoDescribeTable, SsmGetParameters, SecretsGetSecretValue, LogsCreateLogStream, EksDescribeCluster,
        ElbDescribeTargetHealth, CloudWatchGetMetricData, ConsoleLogin, AssumeRoleWithSaml,
        SsoGetRoleCredentials, SsoListAccounts, SsoListAccountRoles, SsoAuthenticate, SigninCredentialChallenge,
        IdentityStoreDescribeUser, IdentityStoreGetUserId, SsoAdminCreateAccountAssignment, SsoAdminListAccountAssignments,
        ScimPatchGroup,
    }

    private static readonly (Who Who, double Weight)[] MemberMix =
    [
        (Who.SsoUser, 27), (Who.WatchedUser, 0.7), (Who.NearMissRole, 0.3), (Who.ServiceRole, 36), (Who.AwsService, 20),
        (Who.IamUser, 7), (Who.Saml, 1.2), (Who.Root, 0.2), (Who.AwsAccount, 1),
    ];

    private static readonly (Who Who, double Weight)[] IdentityCenterMix =
    [
        (Who.PortalUser, 30), (Who.WatchedPortalUser, 0.8), (Who.PimBridge, 8), (Who.Scim, 4), (Who.SsoUser, 10),
        (Who.ServiceRole, 25), (Who.AwsService, 18), (Who.IamUser, 4), (Who.Root, 0.2),
    ];

    private static readonly (Api Api, double Weight)[] SsoApis =
    [
        (Api.GetCallerIdentity, 6), (Api.S3ListObjects, 8), (Api.S3GetObject, 6), (Api.Ec2DescribeInstances, 14),
        (Api.Ec2DescribeSecurityGroups, 8), (Api.Ec2RunInstances, 1.5), (Api.Ec2CreateTags, 3), (Api.IamGetRole, 6),
        (Api.IamPutRolePolicy, 1.5), (Api.CfnDescribeStacks, 8), (Api.CfnCreateStack, 1), (Api.LambdaUpdateFunctionConfiguration, 1.5),
        (Api.EcsDescribeTasks, 4), (Api.DynamoDescribeTable, 4), (Api.SsmGetParameters, 5), (Api.SecretsGetSecretValue, 2),
        (Api.EksDescribeCluster, 4), (Api.ElbDescribeTargetHealth, 3), (Api.CloudWatchGetMetricData, 6), (Api.KmsDecrypt, 3),
        (Api.LogsCreateLogStream, 0.5),
    ];

    private static readonly (Api Api, double Weight)[] ServiceRoleApis =
    [
        (Api.S3GetObject, 16), (Api.S3PutObject, 12), (Api.KmsDecrypt, 14), (Api.KmsGenerateDataKey, 8), (Api.StsAssumeRole, 6),
        (Api.LogsCreateLogStream, 8), (Api.DynamoDescribeTable, 4), (Api.SsmGetParameters, 8), (Api.SecretsGetSecretValue, 6),
        (Api.EcsRunTask, 1.5), (Api.EcsDescribeTasks, 4), (Api.Ec2DescribeInstances, 6), (Api.CloudWatchGetMetricData, 4),
        (Api.GetCallerIdentity, 3), (Api.ElbDescribeTargetHealth, 3), (Api.EksDescribeCluster, 2), (Api.CfnDescribeStacks, 2),
        (Api.Ec2RunInstances, 0.7), (Api.LambdaUpdateFunctionConfiguration, 0.5), (Api.Ec2CreateTags, 1),
    ];

    private static readonly (Api Api, double Weight)[] AwsServiceApis =
    [
        (Api.KmsDecrypt, 30), (Api.KmsGenerateDataKey, 12), (Api.StsAssumeRole, 30), (Api.S3GetObject, 6), (Api.S3PutObject, 8),
        (Api.LogsCreateLogStream, 6), (Api.Ec2DescribeInstances, 4), (Api.Ec2CreateTags, 2),
    ];

    private static readonly (Api Api, double Weight)[] IamUserApis =
    [
        (Api.S3GetObject, 10), (Api.S3PutObject, 10), (Api.S3ListObjects, 6), (Api.GetCallerIdentity, 6), (Api.Ec2DescribeInstances, 6),
        (Api.StsAssumeRole, 8), (Api.ConsoleLogin, 1), (Api.SsmGetParameters, 3), (Api.CloudWatchGetMetricData, 4), (Api.KmsDecrypt, 3),
    ];

    private static readonly (Api Api, double Weight)[] PortalApis =
    [
        (Api.SsoGetRoleCredentials, 40), (Api.SsoListAccounts, 25), (Api.SsoListAccountRoles, 20), (Api.SsoAuthenticate, 6),
        (Api.SigninCredentialChallenge, 5),
    ];

    private static readonly (Api Api, double Weight)[] PimBridgeApis =
    [
        (Api.IdentityStoreDescribeUser, 20), (Api.IdentityStoreGetUserId, 20), (Api.SsoAdminListAccountAssignments, 40),
        (Api.SsoAdminCreateAccountAssignment, 10), (Api.GetCallerIdentity, 2),
    ];

    private static readonly string[] UserAgents =
    [
        "aws-cli/2.27.49 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0-1031-aws md/arch#x86_64 lang/python#3.13.4 md/pyimpl#CPython m/E,b,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.ls",
        "aws-cli/2.22.10 md/awscrt#0.22.0 ua/2.0 os/macos#24.5.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
        "Boto3/1.38.46 md/Botocore#1.38.46 ua/2.1 os/linux#5.10.238-231.953.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 m/b,D,Z cfg/retry-mode#legacy Botocore/1.38.46",
        "APN/1.0 HashiCorp/1.0 Terraform/1.12.2 (+https://www.terraform.io) terraform-provider-aws/6.3.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.36.5 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.231.0 m/C,g",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0",
        "AWS Internal",
        "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.783 Linux/5.10.237-209.885.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.452-b09 java/1.8.0_452 vendor/Oracle_Corporation cfg/retry-mode/standard]",
        "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 api/sts#1.34.0 m/E",
        "aws-sdk-java/2.31.77 md/io#sync md/http#Apache ua/2.1 os/Linux#5.10.238-234.956.amzn2.x86_64 lang/java#21.0.7 md/OpenJDK_64-Bit_Server_VM#21.0.7+6-LTS md/vendor#Amazon.com_Inc. md/en_US m/F,G,b",
        "kubectl/v1.33.2 (linux/amd64) kubernetes/a57b6f7 \"eks-prod\"",
    ];

    private static readonly string[] Buckets =
    [
        "corp-data-lake-raw", "corp-data-lake-curated", "orders-api-artifacts", "terraform-state-prod", "cdn-assets-eu",
        "ml-training-sets", "backup-vault-export", "athena-query-results-eu-west-1", "audit-exports",
    ];

    private static readonly string[] ObjectKeys =
    [
        "year=2026/month=07/day=01/part-00017-3c1e0a6b-5d2f-4b8a-9e7f-1a2b3c4d5e6f.c000.snappy.parquet",
        "releases/orders-api/1.42.3/orders-api-1.42.3.zip", "env:/prod/network/terraform.tfstate", "static/img/logo@2x.png",
        "reports/2026/Übersicht Q2 (final).pdf", "exports/東京/inventory-2026-06-30.csv.gz", "models/ranker/v17/model.tar.gz",
        "logs/app/2026/07/01/09/app-9f8e7d6c.log.gz", "customers/Zürich/Ærøskøbing – summary.json",
    ];

    private static readonly string[] TagValues =
    [
        "orders-api", "payments", "Zürich-Büro", "東京-prod", "team:platform", "cost-center 4711", "São Paulo",
        "Ærøskøbing", "🚀 release-train", "données-clients", "Kraków", "prod", "staging",
    ];

    private static readonly string[] InstanceTypes = ["t3.medium", "m7i.large", "c7g.xlarge", "r6i.2xlarge", "m6a.4xlarge"];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TrailWorld _world;
    private readonly TrailFileSpec _file;
    private readonly Random _rng;
    private readonly Utf8JsonWriter _w;
    private readonly double[] _mix;
    private readonly Who[] _mixWho;
    private static readonly Dictionary<Who, (Api[] Apis, double[] Cumulative)> ApiTables = new()
    {
        [Who.SsoUser] = Table(SsoApis),
        [Who.ServiceRole] = Table(ServiceRoleApis),
        [Who.AwsService] = Table(AwsServiceApis),
        [Who.IamUser] = Table(IamUserApis),
        [Who.PortalUser] = Table(PortalApis),
        [Who.PimBridge] = Table(PimBridgeApis),
    };

    public long Records { get; private set; }

    public TrailRecordGenerator(TrailWorld world, TrailFileSpec file, Stream output)
    {
        _world = world;
        _file = file;
        _rng = new Random(file.Seed);
        _w = new Utf8JsonWriter(output, WriterOptions);
        var mix = file.IsIdentityCenter ? IdentityCenterMix : MemberMix;
        _mixWho = mix.Select(m => m.Who).ToArray();
        _mix = TrailWorld.Cumulative(mix.Select(m => m.Weight).ToArray());
    }

    /// <summary>Writes the whole file: records until <see cref="TrailFileSpec.TargetBytes"/> of JSON.</summary>
    public void WriteFile()
    {
        _w.WriteStartObject();
        _w.WriteStartArray("Records");
        while (_w.BytesCommitted + _w.BytesPending < _file.TargetBytes)
        {
            WriteRecord();
            Records++;
            if (_w.BytesPending > 256 * 1024) _w.Flush();
        }

        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.Flush();
    }

    public long BytesWritten => _w.BytesCommitted + _w.BytesPending;

    private static (Api[], double[]) Table((Api Api, double Weight)[] table) =>
        (table.Select(t => t.Api).ToArray(), TrailWorld.Cumulative(table.Select(t => t.Weight).ToArray()));

    /// <summary>Everything about the caller of one record.</summary>
    private struct Caller
    {
        public Who Who;
        public string? UserName;      // session name or IAM user name
        public string? UserId;        // onBehalfOf.userId
        public string? RoleName;
        public string? RoleId;
        public string? InvokedBy;
        public string SourceIp;
        public string UserAgent;
        public int PermissionSet;
        public int TargetAccount;     // for portal calls
        public bool EscapePrincipal;
        public bool EscapeArn;
    }

    private void WriteRecord()
    {
        var time = _file.Delivered.AddSeconds(-_rng.Next(20, 900));
        var caller = NewCaller(_mixWho[TrailWorld.Pick(_rng, _mix)]);
        var api = ChooseApi(ref caller);
        var (source, name) = Names(api);
        var failed = _rng.NextDouble() < ErrorRate(caller.Who, api);
        var region = caller.Who is Who.PortalUser or Who.WatchedPortalUser or Who.PimBridge or Who.Scim ? TrailWorld.IdentityCenterRegion : _file.Region;

        _w.WriteStartObject();
        _w.WriteString("eventVersion"u8, api is Api.S3GetObject or Api.S3PutObject or Api.S3ListObjects ? "1.10" : _rng.Next(4) == 0 ? "1.09" : "1.11");
        WriteIdentity(ref caller);
        _w.WriteString("eventTime"u8, TrailWorld.Iso(time));
        _w.WriteString("eventSource"u8, source);
        _w.WriteString("eventName"u8, name);
        _w.WriteString("awsRegion"u8, region);
        _w.WriteString("sourceIPAddress"u8, caller.SourceIp);
        _w.WriteString("userAgent"u8, caller.UserAgent);
        if (failed) WriteError(ref caller, api, source, name);
        WriteParameters(ref caller, api, failed);
        _w.WriteString("requestID"u8, api is Api.S3GetObject or Api.S3PutObject or Api.S3ListObjects ? TrailWorld.Upper(_rng, 16) : TrailWorld.Uuid(_rng));
        _w.WriteString("eventID"u8, TrailWorld.Uuid(_rng));
        _w.WriteBoolean("readOnly"u8, IsReadOnly(api));
        WriteResources(api);
        _w.WriteString("eventType"u8, api switch
        {
            Api.ConsoleLogin or Api.SigninCredentialChallenge => "AwsConsoleSignIn",
            Api.SsoGetRoleCredentials or Api.SsoListAccounts or Api.SsoListAccountRoles or Api.SsoAuthenticate => "AwsServiceEvent",
            _ => "AwsApiCall",
        });
        if (api is Api.S3GetObject or Api.S3PutObject or Api.S3ListObjects) _w.WriteString("apiVersion"u8, "2006-03-01");
        var data = api is Api.S3GetObject or Api.S3PutObject || (api == Api.KmsDecrypt && caller.Who == Who.AwsService && _rng.Next(3) == 0);
        _w.WriteBoolean("managementEvent"u8, !data);
        _w.WriteString("recipientAccountId"u8, _file.AccountId);
        if (caller.Who == Who.AwsService) _w.WriteString("sharedEventID"u8, TrailWorld.Uuid(_rng));
        if (caller.Who == Who.ServiceRole && _rng.Next(8) == 0)
        {
            _w.WriteString("vpcEndpointId"u8, "vpce-" + TrailWorld.Hex(_rng, 17));
            _w.WriteString("vpcEndpointAccountId"u8, _file.AccountId);
        }

        _w.WriteString("eventCategory"u8, data ? "Data" : "Management");
        if (caller.Who != Who.AwsService && api is not (Api.SsoGetRoleCredentials or Api.SsoListAccounts or Api.SsoListAccountRoles))
        {
            _w.WriteStartObject("tlsDetails"u8);
            _w.WriteString("tlsVersion"u8, _rng.Next(5) == 0 ? "TLSv1.2" : "TLSv1.3");
            _w.WriteString("cipherSuite"u8, _rng.Next(5) == 0 ? "ECDHE-RSA-AES128-GCM-SHA256" : "TLS_AES_128_GCM_SHA256");
            _w.WriteString("clientProvidedHostHeader"u8, $"{source.Replace(".amazonaws.com", "", StringComparison.Ordinal)}.{region}.amazonaws.com");
            _w.WriteEndObject();
        }

        if (caller.Who is Who.SsoUser or Who.WatchedUser && caller.UserAgent.StartsWith("Mozilla", StringComparison.Ordinal))
            _w.WriteString("sessionCredentialFromConsole"u8, "true");
        _w.WriteEndObject();
    }

    private Caller NewCaller(Who who)
    {
        var c = new Caller { Who = who, SourceIp = PublicIp(), UserAgent = UserAgents[_rng.Next(UserAgents.Length)] };
        switch (who)
        {
            case Who.SsoUser:
            case Who.Saml:
            case Who.PortalUser:
            {
                var user = _world.Users[Skewed(_world.Users.Length)];
                var assignment = user.Assignments[_rng.Next(user.Assignments.Length)];
                SsoSession(ref c, user, assignment);
                if (who == Who.Saml && _rng.Next(10) == 0)
                {
                    // Watched users federate too: a sign-in (AssumeRoleWithSAML, a SAMLUser without onBehalfOf) matches by session name.
                    var watched = _world.WatchedUsers[_rng.Next(_world.WatchedUsers.Length)];
                    SsoSession(ref c, watched, watched.Assignments[_rng.Next(watched.Assignments.Length)]);
                }

                break;
            }

            case Who.WatchedUser:
            {
                // Mostly the accounts and permission sets the watched users really hold here; sometimes elsewhere.
                var here = _file.IsIdentityCenter ? [] : _world.WatchedByAccount[_file.Account];
                TrailUser user;
                Assignment assignment;
                if (here.Length > 0 && _rng.NextDouble() < 0.85)
                    (user, assignment) = here[_rng.Next(here.Length)];
                else
                {
                    user = _world.WatchedUsers[_rng.Next(_world.WatchedUsers.Length)];
                    assignment = user.Assignments[_rng.Next(user.Assignments.Length)];
                }

                SsoSession(ref c, user, assignment);
                c.Who = Who.SsoUser;
                break;
            }

            case Who.WatchedPortalUser:
            {
                var user = _world.WatchedUsers[_rng.Next(_world.WatchedUsers.Length)];
                SsoSession(ref c, user, user.Assignments[_rng.Next(user.Assignments.Length)]);
                c.Who = Who.PortalUser;
                break;
            }

            case Who.NearMissRole:
            {
                // A watched user's name on a role that only looks like a permission-set role.
                var user = _world.WatchedUsers[_rng.Next(_world.WatchedUsers.Length)];
                var looksAlike = TrailWorld.ServiceRoles[^(1 + _rng.Next(5))];
                c.Who = Who.SsoUser;
                c.UserName = user.TrailName;
                c.UserId = _rng.Next(2) == 0 ? user.UserId : null;
                c.RoleName = looksAlike;
                c.RoleId = "AROAEXAMPLELOOKALIKE1";
                break;
            }

            case Who.ServiceRole:
            case Who.PimBridge:
            case Who.Scim:
            {
                c.RoleName = who == Who.PimBridge ? "pimbridge-enforcer" : TrailWorld.ServiceRoles[Skewed(TrailWorld.ServiceRoles.Length - 5)];
                c.RoleId = "AROA" + TrailWorld.Upper(_rng, 17);
                c.UserName = who == Who.PimBridge || _rng.Next(3) == 0 ? TrailWorld.Digits(_rng, 19) : _rng.Next(2) == 0 ? "i-0" + TrailWorld.Hex(_rng, 16) : "botocore-session-" + TrailWorld.Digits(_rng, 10);
                c.SourceIp = _rng.Next(3) == 0 ? "10.42." + _rng.Next(256).ToString(CultureInfo.InvariantCulture) + "." + _rng.Next(256).ToString(CultureInfo.InvariantCulture) : c.SourceIp;
                c.UserAgent = UserAgents[2 + _rng.Next(UserAgents.Length - 2)];
                if (who == Who.Scim) c.Who = Who.Scim;
                break;
            }

            case Who.AwsService:
                c.InvokedBy = TrailWorld.ServicePrincipals[_rng.Next(TrailWorld.ServicePrincipals.Length)];
                c.SourceIp = c.InvokedBy;
                c.UserAgent = c.InvokedBy;
                break;
            case Who.IamUser:
                c.UserName = TrailWorld.IamUsers[_rng.Next(TrailWorld.IamUsers.Length)];
                break;
        }

        return c;
    }

    private void SsoSession(ref Caller c, TrailUser user, Assignment assignment)
    {
        c.UserName = user.TrailName;
        // onBehalfOf is on recent role-session records only (reference §3): about 60% here.
        c.UserId = c.Who is Who.PortalUser or Who.WatchedPortalUser || _rng.NextDouble() < 0.6 ? user.UserId : null;
        c.PermissionSet = assignment.PermissionSet;
        c.TargetAccount = assignment.Accounts[_rng.Next(assignment.Accounts.Length)];
        var here = _file.IsIdentityCenter ? 0 : _file.Account;
        c.RoleName = _world.RoleName(assignment.PermissionSet, here);
        c.RoleId = _world.RoleId(assignment.PermissionSet, here);
        c.EscapePrincipal = _rng.Next(500) == 0;
        c.EscapeArn = _rng.Next(500) == 0;
    }

    private Api ChooseApi(ref Caller c)
    {
        switch (c.Who)
        {
            case Who.Saml: return Api.AssumeRoleWithSaml;
            case Who.Root: return _rng.Next(2) == 0 ? Api.ConsoleLogin : Api.S3ListObjects;
            case Who.AwsAccount: return _rng.Next(2) == 0 ? Api.StsAssumeRole : Api.KmsDecrypt;
            case Who.Scim: return Api.ScimPatchGroup;
        }

        var (apis, cumulative) = ApiTables[c.Who];
        return apis[TrailWorld.Pick(_rng, cumulative)];
    }

    private static (string Source, string Name) Names(Api api) => api switch
    {
        Api.GetCallerIdentity => ("sts.amazonaws.com", "GetCallerIdentity"),
        Api.S3GetObject => ("s3.amazonaws.com", "GetObject"),
        Api.S3PutObject => ("s3.amazonaws.com", "PutObject"),
        Api.S3ListObjects => ("s3.amazonaws.com", "ListObjects"),
        Api.KmsDecrypt => ("kms.amazonaws.com", "Decrypt"),
        Api.KmsGenerateDataKey => ("kms.amazonaws.com", "GenerateDataKey"),
        Api.Ec2DescribeInstances => ("ec2.amazonaws.com", "DescribeInstances"),
        Api.Ec2RunInstances => ("ec2.amazonaws.com", "RunInstances"),
        Api.Ec2CreateTags => ("ec2.amazonaws.com", "CreateTags"),
        Api.Ec2DescribeSecurityGroups => ("ec2.amazonaws.com", "DescribeSecurityGroups"),
        Api.IamPutRolePolicy => ("iam.amazonaws.com", "PutRolePolicy"),
        Api.IamGetRole => ("iam.amazonaws.com", "GetRole"),
        Api.CfnCreateStack => ("cloudformation.amazonaws.com", "CreateStack"),
        Api.CfnDescribeStacks => ("cloudformation.amazonaws.com", "DescribeStacks"),
        Api.StsAssumeRole => ("sts.amazonaws.com", "AssumeRole"),
        Api.LambdaUpdateFunctionConfiguration => ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"),
        Api.EcsRunTask => ("ecs.amazonaws.com", "RunTask"),
        Api.EcsDescribeTasks => ("ecs.amazonaws.com", "DescribeTasks"),
        Api.DynamoDescribeTable => ("dynamodb.amazonaws.com", "DescribeTable"),
        Api.SsmGetParameters => ("ssm.amazonaws.com", "GetParameters"),
        Api.SecretsGetSecretValue => ("secretsmanager.amazonaws.com", "GetSecretValue"),
        Api.LogsCreateLogStream => ("logs.amazonaws.com", "CreateLogStream"),
        Api.EksDescribeCluster => ("eks.amazonaws.com", "DescribeCluster"),
        Api.ElbDescribeTargetHealth => ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth"),
        Api.CloudWatchGetMetricData => ("monitoring.amazonaws.com", "GetMetricData"),
        Api.ConsoleLogin => ("signin.amazonaws.com", "ConsoleLogin"),
        Api.AssumeRoleWithSaml => ("sts.amazonaws.com", "AssumeRoleWithSAML"),
        Api.SsoGetRoleCredentials => ("sso.amazonaws.com", "GetRoleCredentials"),
        Api.SsoListAccounts => ("sso.amazonaws.com", "ListAccounts"),
        Api.SsoListAccountRoles => ("sso.amazonaws.com", "ListAccountRoles"),
        Api.SsoAuthenticate => ("sso.amazonaws.com", "Authenticate"),
        Api.SigninCredentialChallenge => ("signin.amazonaws.com", "CredentialChallenge"),
        Api.IdentityStoreDescribeUser => ("identitystore.amazonaws.com", "DescribeUser"),
        Api.IdentityStoreGetUserId => ("identitystore.amazonaws.com", "GetUserId"),
        Api.SsoAdminCreateAccountAssignment => ("sso.amazonaws.com", "CreateAccountAssignment"),
        Api.SsoAdminListAccountAssignments => ("sso.amazonaws.com", "ListAccountAssignments"),
        Api.ScimPatchGroup => ("identitystore-scim.amazonaws.com", "PatchGroup"),
        _ => throw new ArgumentOutOfRangeException(nameof(api)),
    };

    private static bool IsReadOnly(Api api) => api is Api.GetCallerIdentity or Api.S3GetObject or Api.S3ListObjects or Api.KmsDecrypt
        or Api.Ec2DescribeInstances or Api.Ec2DescribeSecurityGroups or Api.IamGetRole or Api.CfnDescribeStacks or Api.EcsDescribeTasks
        or Api.DynamoDescribeTable or Api.SsmGetParameters or Api.SecretsGetSecretValue or Api.EksDescribeCluster
        or Api.ElbDescribeTargetHealth or Api.CloudWatchGetMetricData or Api.SsoGetRoleCredentials or Api.SsoListAccounts
        or Api.SsoListAccountRoles or Api.IdentityStoreDescribeUser or Api.IdentityStoreGetUserId or Api.SsoAdminListAccountAssignments;

    private static double ErrorRate(Who who, Api api) => api switch
    {
        Api.SsoAuthenticate or Api.SigninCredentialChallenge => 0.08,
        Api.ConsoleLogin => 0.05,
        _ => who switch
        {
            Who.SsoUser => 0.06,
            Who.PortalUser => 0.02,
            Who.ServiceRole => 0.03,
            Who.IamUser => 0.04,
            Who.AwsService => 0.01,
            _ => 0.02,
        },
    };

    // ---------------------------------------------------------------- userIdentity

    private void WriteIdentity(ref Caller c)
    {
        var account = _file.AccountId;
        _w.WriteStartObject("userIdentity"u8);
        switch (c.Who)
        {
            case Who.SsoUser:
            case Who.ServiceRole:
            case Who.PimBridge:
            {
                var sso = c.RoleName!.StartsWith("AWSReservedSSO_", StringComparison.Ordinal) && c.Who == Who.SsoUser;
                var rolePath = sso ? $"aws-reserved/sso.amazonaws.com/{(_rng.Next(4) == 0 ? "" : TrailWorld.IdentityCenterRegion + "/")}" : "";
                _w.WriteString("type"u8, "AssumedRole");
                if (c.EscapePrincipal)
                {
                    // A JSON writer that escapes more than it must (here '.' and '@'): same value, escaped bytes.
                    _w.WritePropertyName("principalId"u8);
                    _w.WriteRawValue($"\"{c.RoleId}:{c.UserName!.Replace(".", "\\u002e", StringComparison.Ordinal).Replace("@", "\\u0040", StringComparison.Ordinal)}\"", skipInputValidation: true);
                }
                else
                {
                    _w.WriteString("principalId"u8, $"{c.RoleId}:{c.UserName}");
                }

                var arn = $"arn:aws:sts::{account}:assumed-role/{c.RoleName}/{c.UserName}";
                if (c.EscapeArn)
                {
                    _w.WritePropertyName("arn"u8);
                    _w.WriteRawValue($"\"{arn.Replace("/", "\\/", StringComparison.Ordinal)}\"", skipInputValidation: true);
                }
                else
                {
                    _w.WriteString("arn"u8, arn);
                }

                _w.WriteString("accountId"u8, account);
                _w.WriteString("accessKeyId"u8, "ASIA" + TrailWorld.Upper(_rng, 16));
                _w.WriteStartObject("sessionContext"u8);
                _w.WriteStartObject("sessionIssuer"u8);
                _w.WriteString("type"u8, "Role");
                _w.WriteString("principalId"u8, c.RoleId);
                _w.WriteString("arn"u8, $"arn:aws:iam::{account}:role/{rolePath}{c.RoleName}");
                _w.WriteString("accountId"u8, account);
                _w.WriteString("userName"u8, c.RoleName);
                _w.WriteEndObject();
                if (_rng.Next(20) == 0)
                {
                    _w.WriteStartObject("webIdFederationData"u8);
                    _w.WriteEndObject();
                }

                _w.WriteStartObject("attributes"u8);
                _w.WriteString("creationDate"u8, TrailWorld.Iso(_file.Delivered.AddSeconds(-_rng.Next(900, 12 * 3600))));
                _w.WriteString("mfaAuthenticated"u8, "false");
                _w.WriteEndObject();
                if (c.Who == Who.ServiceRole && _rng.Next(6) == 0)
                {
                    _w.WriteString("ec2RoleDelivery"u8, "2.0");
                    _w.WriteString("sourceIdentity"u8, "");
                }

                _w.WriteEndObject();
                if (sso && c.UserId is not null)
                {
                    _w.WriteStartObject("onBehalfOf"u8);
                    _w.WriteString("userId"u8, c.UserId);
                    _w.WriteString("identityStoreArn"u8, TrailWorld.IdentityStoreArn);
                    _w.WriteEndObject();
                }

                if (c.Who == Who.ServiceRole && _rng.Next(10) == 0) _w.WriteString("inScopeOf"u8, "");
                break;
            }

            case Who.Scim:
                _w.WriteString("type"u8, "Unknown");
                _w.WriteString("principalId"u8, "SCIM");
                _w.WriteString("accountId"u8, account);
                break;
            case Who.AwsService:
                _w.WriteString("type"u8, "AWSService");
                _w.WriteString("invokedBy"u8, c.InvokedBy);
                break;
            case Who.IamUser:
                _w.WriteString("type"u8, "IAMUser");
                _w.WriteString("principalId"u8, "AIDA" + TrailWorld.Upper(_rng, 17));
                _w.WriteString("arn"u8, $"arn:aws:iam::{account}:user/{c.UserName}");
                _w.WriteString("accountId"u8, account);
                _w.WriteString("accessKeyId"u8, "AKIA" + TrailWorld.Upper(_rng, 16));
                _w.WriteString("userName"u8, c.UserName);
                break;
            case Who.Saml:
                _w.WriteString("type"u8, "SAMLUser");
                _w.WriteString("principalId"u8, $"/nQTosBbaHrvuioiTKQkrbl3/WM=:{c.UserName}");
                _w.WriteString("userName"u8, c.UserName);
                _w.WriteString("identityProvider"u8, "/nQTosBbaHrvuioiTKQkrbl3/WM=");
                break;
            case Who.Root:
                _w.WriteString("type"u8, "Root");
                _w.WriteString("principalId"u8, account);
                _w.WriteString("arn"u8, $"arn:aws:iam::{account}:root");
                _w.WriteString("accountId"u8, account);
                _w.WriteString("accessKeyId"u8, "");
                break;
            case Who.AwsAccount:
                _w.WriteString("type"u8, "AWSAccount");
                _w.WriteString("principalId"u8, "AROA" + TrailWorld.Upper(_rng, 17) + ":" + TrailWorld.Digits(_rng, 19));
                _w.WriteString("accountId"u8, _world.Accounts[_rng.Next(_world.Accounts.Length)]);
                break;
            case Who.PortalUser:
                if (_rng.Next(30) == 0)
                {
                    // Unauthenticated portal calls stay "Unknown" and carry no user (reference §5).
                    _w.WriteString("type"u8, "Unknown");
                    _w.WriteString("accountId"u8, TrailWorld.IdentityCenterAccount);
                    break;
                }

                _w.WriteString("type"u8, "IdentityCenterUser");
                _w.WriteString("accountId"u8, TrailWorld.IdentityCenterAccount);
                _w.WriteStartObject("onBehalfOf"u8);
                _w.WriteString("userId"u8, c.UserId);
                _w.WriteString("identityStoreArn"u8, TrailWorld.IdentityStoreArn);
                _w.WriteEndObject();
                _w.WriteString("credentialId"u8, "AAAAAGpE" + TrailWorld.Alnum(_rng, 40));
                break;
        }

        _w.WriteEndObject();
    }

    // ---------------------------------------------------------------- errors

    private void WriteError(ref Caller c, Api api, string source, string name)
    {
        var service = source[..source.IndexOf('.', StringComparison.Ordinal)];
        var principalArn = c.RoleName is not null ? $"arn:aws:sts::{_file.AccountId}:assumed-role/{c.RoleName}/{c.UserName}" : $"arn:aws:iam::{_file.AccountId}:user/{c.UserName}";
        var roll = _rng.Next(10);
        string code, message;
        if (api is Api.SsoAuthenticate or Api.SigninCredentialChallenge or Api.ConsoleLogin)
        {
            code = "Failed authentication";
            message = "Failed authentication";
        }
        else if (roll < 2)
        {
            code = "ThrottlingException";
            message = "Rate exceeded";
        }
        else if (roll < 3)
        {
            code = service == "s3" ? "NoSuchKey" : "ResourceNotFoundException";
            message = service == "s3" ? "The specified key does not exist." : $"Requested resource not found: {ObjectKeys[_rng.Next(ObjectKeys.Length)]}";
        }
        else if (service == "ec2")
        {
            code = "Client.UnauthorizedOperation";
            message = $"You are not authorized to perform this operation. User: {principalArn} is not authorized to perform: ec2:{name} on resource: arn:aws:ec2:{_file.Region}:{_file.AccountId}:instance/* with an explicit deny in a service control policy. Encoded authorization failure message: {TrailWorld.Base64(_rng, 600 + _rng.Next(600)).Replace('+', '-').Replace('/', '_')}";
        }
        else
        {
            code = service is "s3" or "iam" or "sts" ? "AccessDenied" : "AccessDeniedException";
            message = service == "s3"
                ? "Access Denied"
                : $"User: {principalArn} is not authorized to perform: {service}:{name} on resource: arn:aws:{service}:{_file.Region}:{_file.AccountId}:* because no identity-based policy allows the {service}:{name} action";
        }

        _w.WriteString("errorCode"u8, code);
        _w.WriteString("errorMessage"u8, message);
    }

    // ---------------------------------------------------------------- requestParameters, responseElements, additionalEventData

    private void WriteParameters(ref Caller c, Api api, bool failed)
    {
        var account = _file.AccountId;
        var region = _file.Region;
        switch (api)
        {
            case Api.GetCallerIdentity:
            case Api.SsoAuthenticate:
                _w.WriteNull("requestParameters"u8);
                _w.WriteNull("responseElements"u8);
                break;

            case Api.S3GetObject:
            case Api.S3PutObject:
            case Api.S3ListObjects:
            {
                var bucket = Buckets[_rng.Next(Buckets.Length)];
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("bucketName"u8, bucket);
                _w.WriteString("Host"u8, $"{bucket}.s3.{region}.amazonaws.com");
                if (api == Api.S3ListObjects)
                {
                    _w.WriteString("prefix"u8, "year=2026/month=07/");
                    _w.WriteString("delimiter"u8, "/");
                    _w.WriteString("list-type"u8, "2");
                    _w.WriteString("encoding-type"u8, "url");
                }
                else
                {
                    _w.WriteString("key"u8, ObjectKeys[_rng.Next(ObjectKeys.Length)]);
                    if (api == Api.S3PutObject) _w.WriteString("x-amz-server-side-encryption"u8, "aws:kms");
                }

                _w.WriteEndObject();
                if (api == Api.S3PutObject && !failed)
                {
                    _w.WriteStartObject("responseElements"u8);
                    _w.WriteString("x-amz-server-side-encryption-aws-kms-key-id"u8, $"arn:aws:kms:{region}:{account}:key/{TrailWorld.Uuid(_rng)}");
                    _w.WriteString("x-amz-server-side-encryption"u8, "aws:kms");
                    _w.WriteString("x-amz-server-side-encryption-bucket-key-enabled"u8, "true");
                    _w.WriteString("x-amz-version-id"u8, TrailWorld.Alnum(_rng, 32));
                    _w.WriteEndObject();
                }
                else
                {
                    _w.WriteNull("responseElements"u8);
                }

                _w.WriteStartObject("additionalEventData"u8);
                _w.WriteString("SignatureVersion"u8, "SigV4");
                _w.WriteString("CipherSuite"u8, "TLS_AES_128_GCM_SHA256");
                _w.WriteNumber("bytesTransferredIn"u8, api == Api.S3PutObject ? _rng.Next(1, 50_000_000) : 0);
                _w.WriteString("AuthenticationMethod"u8, "AuthHeader");
                _w.WriteString("x-amz-id-2"u8, TrailWorld.Base64(_rng, 56));
                _w.WriteNumber("bytesTransferredOut"u8, api == Api.S3GetObject ? _rng.Next(1, 50_000_000) : 0);
                _w.WriteEndObject();
                break;
            }

            case Api.KmsDecrypt:
            case Api.KmsGenerateDataKey:
                _w.WriteStartObject("requestParameters"u8);
                if (api == Api.KmsGenerateDataKey)
                {
                    _w.WriteString("keyId"u8, $"arn:aws:kms:{region}:{account}:key/{TrailWorld.Uuid(_rng)}");
                    _w.WriteString("keySpec"u8, "AES_256");
                }

                _w.WriteStartObject("encryptionContext"u8);
                switch (_rng.Next(3))
                {
                    case 0:
                        _w.WriteString("aws:lambda:FunctionArn"u8, $"arn:aws:lambda:{region}:{account}:function:orders-api-{TrailWorld.Alnum(_rng, 6)}");
                        break;
                    case 1:
                        _w.WriteString("aws:s3:arn"u8, $"arn:aws:s3:::{Buckets[_rng.Next(Buckets.Length)]}/{ObjectKeys[_rng.Next(ObjectKeys.Length)]}");
                        break;
                    default:
                        _w.WriteString("aws:cloudtrail:arn"u8, $"arn:aws:cloudtrail:us-east-1:{TrailWorld.IdentityCenterAccount}:trail/org-trail");
                        _w.WriteString("aws:s3:arn"u8, $"arn:aws:s3:::org-trail-bucket/AWSLogs/{TrailWorld.OrganizationId}/{account}/CloudTrail/{region}/2026/07/01/{account}_CloudTrail_{region}_20260701T0905Z_{TrailWorld.Alnum(_rng, 16)}.json.gz");
                        break;
                }

                _w.WriteEndObject();
                _w.WriteString("encryptionAlgorithm"u8, "SYMMETRIC_DEFAULT");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.Ec2DescribeInstances:
            {
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteStartObject("instancesSet"u8);
                var ids = _rng.Next(4) == 0 ? 1 + _rng.Next(40) : 0;
                if (ids > 0)
                {
                    _w.WriteStartArray("items"u8);
                    for (var i = 0; i < ids; i++)
                    {
                        _w.WriteStartObject();
                        _w.WriteString("instanceId"u8, "i-0" + TrailWorld.Hex(_rng, 16));
                        _w.WriteEndObject();
                    }

                    _w.WriteEndArray();
                }

                _w.WriteEndObject();
                _w.WriteStartObject("filterSet"u8);
                if (_rng.Next(2) == 0)
                {
                    _w.WriteStartArray("items"u8);
                    _w.WriteStartObject();
                    _w.WriteString("name"u8, "tag:Name");
                    _w.WriteStartObject("valueSet"u8);
                    _w.WriteStartArray("items"u8);
                    _w.WriteStartObject();
                    _w.WriteString("value"u8, TagValues[_rng.Next(TagValues.Length)]);
                    _w.WriteEndObject();
                    _w.WriteEndArray();
                    _w.WriteEndObject();
                    _w.WriteEndObject();
                    _w.WriteEndArray();
                }

                _w.WriteEndObject();
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;
            }

            case Api.Ec2RunInstances:
                WriteRunInstances(failed);
                break;

            case Api.Ec2CreateTags:
            {
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteStartObject("resourcesSet"u8);
                _w.WriteStartArray("items"u8);
                for (var i = 1 + _rng.Next(3); i > 0; i--)
                {
                    _w.WriteStartObject();
                    _w.WriteString("resourceId"u8, (_rng.Next(2) == 0 ? "i-0" : "vol-0") + TrailWorld.Hex(_rng, 16));
                    _w.WriteEndObject();
                }

                _w.WriteEndArray();
                _w.WriteEndObject();
                WriteTagSet("tagSet"u8, 2 + _rng.Next(6));
                _w.WriteEndObject();
                if (failed) _w.WriteNull("responseElements"u8);
                else
                {
                    _w.WriteStartObject("responseElements"u8);
                    _w.WriteString("requestId"u8, TrailWorld.Uuid(_rng));
                    _w.WriteBoolean("_return"u8, true);
                    _w.WriteEndObject();
                }

                break;
            }

            case Api.Ec2DescribeSecurityGroups:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteStartObject("securityGroupSet"u8);
                _w.WriteEndObject();
                _w.WriteStartObject("securityGroupIdSet"u8);
                _w.WriteStartArray("items"u8);
                for (var i = 1 + _rng.Next(6); i > 0; i--)
                {
                    _w.WriteStartObject();
                    _w.WriteString("groupId"u8, "sg-0" + TrailWorld.Hex(_rng, 16));
                    _w.WriteEndObject();
                }

                _w.WriteEndArray();
                _w.WriteEndObject();
                _w.WriteStartObject("filterSet"u8);
                _w.WriteEndObject();
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.IamPutRolePolicy:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("roleName"u8, TrailWorld.ServiceRoles[_rng.Next(10)]);
                _w.WriteString("policyName"u8, _rng.Next(3) == 0 ? "AwsSSOInlinePolicy" : "inline-" + TrailWorld.Alnum(_rng, 8));
                _w.WriteString("policyDocument"u8, PolicyDocument());
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.IamGetRole:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("roleName"u8, TrailWorld.ServiceRoles[_rng.Next(TrailWorld.ServiceRoles.Length - 5)]);
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.CfnCreateStack:
                WriteCreateStack(failed);
                break;

            case Api.CfnDescribeStacks:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("stackName"u8, $"arn:aws:cloudformation:{region}:{account}:stack/orders-api-{TrailWorld.Alnum(_rng, 4)}/{TrailWorld.Uuid(_rng)}");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.StsAssumeRole:
            {
                var roleName = TrailWorld.ServiceRoles[_rng.Next(TrailWorld.ServiceRoles.Length - 5)];
                var session = c.Who == Who.AwsService ? TrailWorld.Digits(_rng, 19) : "botocore-session-" + TrailWorld.Digits(_rng, 10);
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("roleArn"u8, $"arn:aws:iam::{account}:role/{roleName}");
                _w.WriteString("roleSessionName"u8, session);
                _w.WriteNumber("durationSeconds"u8, 3600);
                if (_rng.Next(3) == 0) _w.WriteString("externalId"u8, TrailWorld.Uuid(_rng));
                _w.WriteEndObject();
                if (failed)
                {
                    _w.WriteNull("responseElements"u8);
                    break;
                }

                _w.WriteStartObject("responseElements"u8);
                _w.WriteStartObject("credentials"u8);
                _w.WriteString("accessKeyId"u8, "ASIA" + TrailWorld.Upper(_rng, 16));
                _w.WriteString("sessionToken"u8, "IQoJb3JpZ2luX2Vj" + TrailWorld.Base64(_rng, 600 + _rng.Next(300)));
                _w.WriteString("expiration"u8, _file.Delivered.AddHours(1).UtcDateTime.ToString("MMM d, yyyy, h:mm:ss tt", CultureInfo.InvariantCulture));
                _w.WriteEndObject();
                _w.WriteStartObject("assumedRoleUser"u8);
                var roleId = "AROA" + TrailWorld.Upper(_rng, 17);
                _w.WriteString("assumedRoleId"u8, $"{roleId}:{session}");
                _w.WriteString("arn"u8, $"arn:aws:sts::{account}:assumed-role/{roleName}/{session}");
                _w.WriteEndObject();
                _w.WriteEndObject();
                break;
            }

            case Api.LambdaUpdateFunctionConfiguration:
                WriteLambdaConfiguration(failed);
                break;

            case Api.EcsRunTask:
                WriteRunTask(failed);
                break;

            case Api.EcsDescribeTasks:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("cluster"u8, "payments-prod");
                _w.WriteStartArray("tasks"u8);
                for (var i = 1 + _rng.Next(8); i > 0; i--)
                    _w.WriteStringValue($"arn:aws:ecs:{region}:{account}:task/payments-prod/{TrailWorld.Hex(_rng, 32)}");
                _w.WriteEndArray();
                _w.WriteStartArray("include"u8);
                _w.WriteStringValue("TAGS");
                _w.WriteEndArray();
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.DynamoDescribeTable:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("tableName"u8, _rng.Next(2) == 0 ? "orders" : "pimbridge-state");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.SsmGetParameters:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteStartArray("names"u8);
                for (var i = 1 + _rng.Next(6); i > 0; i--)
                    _w.WriteStringValue($"/prod/orders-api/{TrailWorld.Alnum(_rng, 8).ToLowerInvariant()}");
                _w.WriteEndArray();
                _w.WriteBoolean("withDecryption"u8, true);
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.SecretsGetSecretValue:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("secretId"u8, $"arn:aws:secretsmanager:{region}:{account}:secret:prod/orders/db-{TrailWorld.Alnum(_rng, 6)}");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.LogsCreateLogStream:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("logGroupName"u8, "/aws/lambda/orders-api-" + TrailWorld.Alnum(_rng, 6));
                _w.WriteString("logStreamName"u8, $"2026/07/01/[$LATEST]{TrailWorld.Hex(_rng, 32)}");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.EksDescribeCluster:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("name"u8, "eks-prod");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.ElbDescribeTargetHealth:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("targetGroupArn"u8, $"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/k8s-orders-{TrailWorld.Hex(_rng, 10)}/{TrailWorld.Hex(_rng, 16)}");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.CloudWatchGetMetricData:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteStartArray("metricDataQueries"u8);
                for (var i = 1 + _rng.Next(10); i > 0; i--)
                {
                    _w.WriteStartObject();
                    _w.WriteString("id"u8, "m" + i.ToString(CultureInfo.InvariantCulture));
                    _w.WriteStartObject("metricStat"u8);
                    _w.WriteStartObject("metric"u8);
                    _w.WriteString("namespace"u8, "AWS/EC2");
                    _w.WriteString("metricName"u8, "CPUUtilization");
                    _w.WriteStartArray("dimensions"u8);
                    _w.WriteStartObject();
                    _w.WriteString("name"u8, "InstanceId");
                    _w.WriteString("value"u8, "i-0" + TrailWorld.Hex(_rng, 16));
                    _w.WriteEndObject();
                    _w.WriteEndArray();
                    _w.WriteEndObject();
                    _w.WriteNumber("period"u8, 300);
                    _w.WriteString("stat"u8, "Average");
                    _w.WriteEndObject();
                    _w.WriteBoolean("returnData"u8, true);
                    _w.WriteEndObject();
                }

                _w.WriteEndArray();
                _w.WriteString("startTime"u8, "Jul 1, 2026, 6:00:00 AM");
                _w.WriteString("endTime"u8, "Jul 1, 2026, 9:00:00 AM");
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;

            case Api.ConsoleLogin:
                _w.WriteNull("requestParameters"u8);
                _w.WriteStartObject("responseElements"u8);
                _w.WriteString("ConsoleLogin"u8, failed ? "Failure" : "Success");
                _w.WriteEndObject();
                _w.WriteStartObject("additionalEventData"u8);
                _w.WriteString("LoginTo"u8, "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true");
                _w.WriteString("MobileVersion"u8, "No");
                _w.WriteString("MFAUsed"u8, "Yes");
                _w.WriteEndObject();
                break;

            case Api.AssumeRoleWithSaml:
            {
                var role = c.RoleName!;
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("sAMLAssertionID"u8, "_" + TrailWorld.Uuid(_rng));
                _w.WriteString("roleSessionName"u8, c.UserName);
                _w.WriteString("roleArn"u8, $"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{TrailWorld.IdentityCenterRegion}/{role}");
                _w.WriteString("principalArn"u8, $"arn:aws:iam::{account}:saml-provider/AWSSSO_9882ccf00912484e_DO_NOT_DELETE");
                _w.WriteNumber("durationSeconds"u8, 3600 * (1 + _rng.Next(12)));
                _w.WriteEndObject();
                if (failed)
                {
                    _w.WriteNull("responseElements"u8);
                    break;
                }

                _w.WriteStartObject("responseElements"u8);
                _w.WriteStartObject("credentials"u8);
                _w.WriteString("accessKeyId"u8, "ASIA" + TrailWorld.Upper(_rng, 16));
                _w.WriteString("sessionToken"u8, "IQoJb3JpZ2luX2Vj" + TrailWorld.Base64(_rng, 700));
                _w.WriteString("expiration"u8, _file.Delivered.AddHours(8).UtcDateTime.ToString("MMM d, yyyy, h:mm:ss tt", CultureInfo.InvariantCulture));
                _w.WriteEndObject();
                _w.WriteStartObject("assumedRoleUser"u8);
                _w.WriteString("assumedRoleId"u8, $"{c.RoleId}:{c.UserName}");
                _w.WriteString("arn"u8, $"arn:aws:sts::{account}:assumed-role/{role}/{c.UserName}");
                _w.WriteEndObject();
                _w.WriteString("subject"u8, c.UserName);
                _w.WriteString("subjectType"u8, "persistent");
                _w.WriteString("issuer"u8, $"https://portal.sso.{TrailWorld.IdentityCenterRegion}.amazonaws.com/saml/assertion/{TrailWorld.Base64(_rng, 24)}");
                _w.WriteString("audience"u8, "https://signin.aws.amazon.com/saml");
                _w.WriteString("nameQualifier"u8, TrailWorld.Base64(_rng, 20));
                _w.WriteString("sourceIdentity"u8, "");
                _w.WriteEndObject();
                break;
            }

            case Api.SsoGetRoleCredentials:
            case Api.SsoListAccounts:
            case Api.SsoListAccountRoles:
                _w.WriteNull("requestParameters"u8);
                _w.WriteNull("responseElements"u8);
                if (api == Api.SsoListAccounts) break;
                _w.WriteStartObject("serviceEventDetails"u8);
                if (api == Api.SsoGetRoleCredentials) _w.WriteString("role_name"u8, TrailWorld.PermissionSetNames[c.PermissionSet]);
                _w.WriteString("account_id"u8, _world.Accounts[c.TargetAccount]);
                _w.WriteEndObject();
                break;

            case Api.SigninCredentialChallenge:
                _w.WriteNull("requestParameters"u8);
                _w.WriteNull("responseElements"u8);
                _w.WriteStartObject("additionalEventData"u8);
                _w.WriteString("AuthWorkflowID"u8, TrailWorld.Uuid(_rng));
                _w.WriteString("CredentialType"u8, "PASSWORD");
                _w.WriteString("UserName"u8, c.UserName);
                _w.WriteEndObject();
                break;

            case Api.IdentityStoreDescribeUser:
            case Api.IdentityStoreGetUserId:
            {
                var user = _world.Users[_rng.Next(_world.Users.Length)];
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("identityStoreId"u8, "d-976710cc5d");
                if (api == Api.IdentityStoreDescribeUser) _w.WriteString("userId"u8, user.UserId);
                else
                {
                    _w.WriteStartObject("alternateIdentifier"u8);
                    _w.WriteStartObject("uniqueAttribute"u8);
                    _w.WriteString("attributePath"u8, "userName");
                    _w.WriteString("attributeValue"u8, "HIDDEN_DUE_TO_SECURITY_REASONS");
                    _w.WriteEndObject();
                    _w.WriteEndObject();
                }

                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;
            }

            case Api.SsoAdminCreateAccountAssignment:
            case Api.SsoAdminListAccountAssignments:
            {
                var user = _world.Users[_rng.Next(_world.Users.Length)];
                var permissionSet = $"arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-{TrailWorld.Hex(_rng, 16)}";
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("instanceArn"u8, "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6");
                _w.WriteString("accountId"u8, _world.Accounts[_rng.Next(_world.Accounts.Length)]);
                _w.WriteString("permissionSetArn"u8, permissionSet);
                if (api == Api.SsoAdminCreateAccountAssignment)
                {
                    _w.WriteString("targetType"u8, "AWS_ACCOUNT");
                    _w.WriteString("principalType"u8, "USER");
                    _w.WriteString("principalId"u8, user.UserId);
                }
                else
                {
                    _w.WriteNumber("maxResults"u8, 100);
                }

                _w.WriteEndObject();
                if (api == Api.SsoAdminCreateAccountAssignment && !failed)
                {
                    _w.WriteStartObject("responseElements"u8);
                    _w.WriteStartObject("accountAssignmentCreationStatus"u8);
                    _w.WriteString("status"u8, "IN_PROGRESS");
                    _w.WriteString("requestId"u8, TrailWorld.Uuid(_rng));
                    _w.WriteString("targetType"u8, "AWS_ACCOUNT");
                    _w.WriteString("permissionSetArn"u8, permissionSet);
                    _w.WriteString("principalType"u8, "USER");
                    _w.WriteString("principalId"u8, user.UserId);
                    _w.WriteString("createdDate"u8, "Jul 1, 2026, 9:04:11 AM");
                    _w.WriteEndObject();
                    _w.WriteEndObject();
                }
                else
                {
                    _w.WriteNull("responseElements"u8);
                }

                break;
            }

            case Api.ScimPatchGroup:
                _w.WriteStartObject("requestParameters"u8);
                _w.WriteString("identityStoreId"u8, "d-976710cc5d");
                _w.WriteString("groupId"u8, TrailWorld.IdentityStorePrefix + TrailWorld.Uuid(_rng));
                _w.WriteStartArray("operations"u8);
                for (var i = 1 + _rng.Next(5); i > 0; i--)
                {
                    _w.WriteStartObject();
                    _w.WriteString("op"u8, _rng.Next(2) == 0 ? "add" : "remove");
                    _w.WriteString("path"u8, "members");
                    _w.WriteString("value"u8, "HIDDEN_DUE_TO_SECURITY_REASONS");
                    _w.WriteEndObject();
                }

                _w.WriteEndArray();
                _w.WriteEndObject();
                _w.WriteNull("responseElements"u8);
                break;
        }
    }

    private void WriteResources(Api api)
    {
        var account = _file.AccountId;
        var region = _file.Region;
        switch (api)
        {
            case Api.S3GetObject:
            case Api.S3PutObject:
            {
                var bucket = Buckets[_rng.Next(Buckets.Length)];
                _w.WriteStartArray("resources"u8);
                _w.WriteStartObject();
                _w.WriteString("type"u8, "AWS::S3::Object");
                _w.WriteString("ARN"u8, $"arn:aws:s3:::{bucket}/{ObjectKeys[_rng.Next(ObjectKeys.Length)]}");
                _w.WriteEndObject();
                _w.WriteStartObject();
                _w.WriteString("accountId"u8, account);
                _w.WriteString("type"u8, "AWS::S3::Bucket");
                _w.WriteString("ARN"u8, $"arn:aws:s3:::{bucket}");
                _w.WriteEndObject();
                _w.WriteEndArray();
                break;
            }

            case Api.KmsDecrypt:
            case Api.KmsGenerateDataKey:
                _w.WriteStartArray("resources"u8);
                _w.WriteStartObject();
                _w.WriteString("accountId"u8, account);
                _w.WriteString("type"u8, "AWS::KMS::Key");
                _w.WriteString("ARN"u8, $"arn:aws:kms:{region}:{account}:key/{TrailWorld.Uuid(_rng)}");
                _w.WriteEndObject();
                _w.WriteEndArray();
                break;
            case Api.StsAssumeRole:
                _w.WriteStartArray("resources"u8);
                _w.WriteStartObject();
                _w.WriteString("accountId"u8, account);
                _w.WriteString("type"u8, "AWS::IAM::Role");
                _w.WriteString("ARN"u8, $"arn:aws:iam::{account}:role/{TrailWorld.ServiceRoles[_rng.Next(TrailWorld.ServiceRoles.Length - 5)]}");
                _w.WriteEndObject();
                _w.WriteEndArray();
                break;
        }
    }

    private void WriteTagSet(ReadOnlySpan<byte> name, int count)
    {
        _w.WriteStartObject(name);
        _w.WriteStartArray("items"u8);
        for (var i = 0; i < count; i++)
        {
            _w.WriteStartObject();
            _w.WriteString("key"u8, i switch { 0 => "Name", 1 => "team", 2 => "cost-center", 3 => "Beschreibung", _ => "kubernetes.io/cluster/eks-prod" });
            _w.WriteString("value"u8, TagValues[_rng.Next(TagValues.Length)]);
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteEndObject();
    }

    /// <summary>An IAM policy as CloudTrail records it: the JSON document as one string, so every quote is escaped.</summary>
    private string PolicyDocument()
    {
        var statements = new List<string>();
        for (var i = 1 + _rng.Next(6); i > 0; i--)
        {
            var actions = string.Join(",\n        ", Enumerable.Range(0, 2 + _rng.Next(8)).Select(_ => $"\"{new[] { "s3", "ec2", "kms", "dynamodb", "sqs" }[_rng.Next(5)]}:{new[] { "Get*", "List*", "Describe*", "PutObject", "Decrypt", "SendMessage" }[_rng.Next(6)]}\""));
            statements.Add($"    {{\n      \"Sid\": \"S{TrailWorld.Alnum(_rng, 6)}\",\n      \"Effect\": \"{(_rng.Next(5) == 0 ? "Deny" : "Allow")}\",\n      \"Action\": [\n        {actions}\n      ],\n      \"Resource\": \"arn:aws:s3:::{Buckets[_rng.Next(Buckets.Length)]}/*\",\n      \"Condition\": {{\"DateLessThan\": {{\"aws:TokenIssueTime\": \"{TrailWorld.Iso(_file.Delivered)}\"}}}}\n    }}");
        }

        return "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n" + string.Join(",\n", statements) + "\n  ]\n}";
    }

    private void WriteCreateStack(bool failed)
    {
        var account = _file.AccountId;
        var region = _file.Region;
        var stack = "orders-api-" + TrailWorld.Alnum(_rng, 5).ToLowerInvariant();
        var resources = new List<string>();
        for (var i = 3 + _rng.Next(20); i > 0; i--)
        {
            resources.Add($"  Queue{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub \"${{AWS::StackName}}-q{i}\"\n      VisibilityTimeout: 300\n      Tags:\n        - Key: Beschreibung\n          Value: \"{TagValues[_rng.Next(TagValues.Length)]}\"\n  Alarm{i}:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      AlarmDescription: \"Queue depth > 100 for 5 minutes\"\n      Namespace: AWS/SQS\n      MetricName: ApproximateNumberOfMessagesVisible\n      Dimensions:\n        - Name: QueueName\n          Value: !GetAtt Queue{i}.QueueName\n      Threshold: 100\n      ComparisonOperator: GreaterThanThreshold\n      EvaluationPeriods: 5\n      Period: 60\n      Statistic: Maximum");
        }

        var template = "AWSTemplateFormatVersion: \"2010-09-09\"\nDescription: \"Orders API queues — managed by CI\"\nResources:\n" + string.Join("\n", resources);
        _w.WriteStartObject("requestParameters"u8);
        _w.WriteString("stackName"u8, stack);
        _w.WriteString("templateBody"u8, template);
        _w.WriteStartArray("parameters"u8);
        foreach (var (key, value) in new[] { ("Environment", "prod"), ("ImageTag", "1.42.3"), ("Owner", TagValues[_rng.Next(TagValues.Length)]) })
        {
            _w.WriteStartObject();
            _w.WriteString("parameterKey"u8, key);
            _w.WriteString("parameterValue"u8, value);
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteStartArray("capabilities"u8);
        _w.WriteStringValue("CAPABILITY_NAMED_IAM");
        _w.WriteEndArray();
        _w.WriteStartArray("tags"u8);
        _w.WriteStartObject();
        _w.WriteString("key"u8, "team");
        _w.WriteString("value"u8, "orders");
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteEndObject();
        if (failed) _w.WriteNull("responseElements"u8);
        else
        {
            _w.WriteStartObject("responseElements"u8);
            _w.WriteString("stackId"u8, $"arn:aws:cloudformation:{region}:{account}:stack/{stack}/{TrailWorld.Uuid(_rng)}");
            _w.WriteEndObject();
        }
    }

    private void WriteRunInstances(bool failed)
    {
        var account = _file.AccountId;
        var region = _file.Region;
        var count = 1 + _rng.Next(6);
        var type = InstanceTypes[_rng.Next(InstanceTypes.Length)];
        var subnet = "subnet-0" + TrailWorld.Hex(_rng, 16);
        var group = "sg-0" + TrailWorld.Hex(_rng, 16);
        var image = "ami-0" + TrailWorld.Hex(_rng, 16);
        _w.WriteStartObject("requestParameters"u8);
        _w.WriteStartObject("instancesSet"u8);
        _w.WriteStartArray("items"u8);
        _w.WriteStartObject();
        _w.WriteString("imageId"u8, image);
        _w.WriteNumber("minCount"u8, count);
        _w.WriteNumber("maxCount"u8, count);
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.WriteString("instanceType"u8, type);
        _w.WriteStartObject("blockDeviceMapping"u8);
        _w.WriteEndObject();
        _w.WriteBoolean("disableApiTermination"u8, false);
        _w.WriteString("userData"u8, "<sensitiveDataRemoved>");
        _w.WriteString("clientToken"u8, TrailWorld.Uuid(_rng));
        WriteTagSpecification();
        _w.WriteEndObject();
        if (failed)
        {
            _w.WriteNull("responseElements"u8);
            return;
        }

        _w.WriteStartObject("responseElements"u8);
        _w.WriteString("requestId"u8, TrailWorld.Uuid(_rng));
        _w.WriteString("reservationId"u8, "r-0" + TrailWorld.Hex(_rng, 16));
        _w.WriteString("ownerId"u8, account);
        _w.WriteStartObject("groupSet"u8);
        _w.WriteEndObject();
        _w.WriteStartObject("instancesSet"u8);
        _w.WriteStartArray("items"u8);
        for (var i = 0; i < count; i++)
        {
            var ip = $"10.42.{_rng.Next(256)}.{_rng.Next(256)}";
            var eni = "eni-0" + TrailWorld.Hex(_rng, 16);
            _w.WriteStartObject();
            _w.WriteString("instanceId"u8, "i-0" + TrailWorld.Hex(_rng, 16));
            _w.WriteString("imageId"u8, image);
            _w.WriteStartObject("currentInstanceBootMode"u8);
            _w.WriteEndObject();
            _w.WriteStartObject("instanceState"u8);
            _w.WriteNumber("code"u8, 0);
            _w.WriteString("name"u8, "pending");
            _w.WriteEndObject();
            _w.WriteString("privateDnsName"u8, $"ip-{ip.Replace('.', '-')}.{region}.compute.internal");
            _w.WriteNumber("amiLaunchIndex"u8, i);
            _w.WriteStartObject("productCodes"u8);
            _w.WriteEndObject();
            _w.WriteString("instanceType"u8, type);
            _w.WriteString("launchTime"u8, _file.Delivered.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            _w.WriteStartObject("placement"u8);
            _w.WriteString("availabilityZone"u8, region + "abc"[_rng.Next(3)]);
            _w.WriteString("tenancy"u8, "default");
            _w.WriteEndObject();
            _w.WriteStartObject("monitoring"u8);
            _w.WriteString("state"u8, "disabled");
            _w.WriteEndObject();
            _w.WriteString("subnetId"u8, subnet);
            _w.WriteString("vpcId"u8, "vpc-0" + TrailWorld.Hex(_rng, 16));
            _w.WriteString("privateIpAddress"u8, ip);
            _w.WriteStartObject("stateReason"u8);
            _w.WriteString("code"u8, "pending");
            _w.WriteString("message"u8, "pending");
            _w.WriteEndObject();
            _w.WriteString("architecture"u8, type.StartsWith("c7g", StringComparison.Ordinal) ? "arm64" : "x86_64");
            _w.WriteString("rootDeviceType"u8, "ebs");
            _w.WriteString("rootDeviceName"u8, "/dev/xvda");
            _w.WriteStartObject("blockDeviceMapping"u8);
            _w.WriteEndObject();
            _w.WriteString("virtualizationType"u8, "hvm");
            WriteTagSet("tagSet"u8, 2 + _rng.Next(4));
            _w.WriteString("hypervisor"u8, "xen");
            _w.WriteStartObject("groupSet"u8);
            _w.WriteStartArray("items"u8);
            _w.WriteStartObject();
            _w.WriteString("groupId"u8, group);
            _w.WriteString("groupName"u8, "eks-prod-node");
            _w.WriteEndObject();
            _w.WriteEndArray();
            _w.WriteEndObject();
            _w.WriteBoolean("sourceDestCheck"u8, true);
            _w.WriteStartObject("networkInterfaceSet"u8);
            _w.WriteStartArray("items"u8);
            _w.WriteStartObject();
            _w.WriteString("networkInterfaceId"u8, eni);
            _w.WriteString("subnetId"u8, subnet);
            _w.WriteString("ownerId"u8, account);
            _w.WriteString("description"u8, "");
            _w.WriteString("status"u8, "in-use");
            _w.WriteString("macAddress"u8, $"0a:{TrailWorld.Hex(_rng, 2)}:{TrailWorld.Hex(_rng, 2)}:{TrailWorld.Hex(_rng, 2)}:{TrailWorld.Hex(_rng, 2)}:{TrailWorld.Hex(_rng, 2)}");
            _w.WriteString("privateIpAddress"u8, ip);
            _w.WriteString("privateDnsName"u8, $"ip-{ip.Replace('.', '-')}.{region}.compute.internal");
            _w.WriteBoolean("sourceDestCheck"u8, true);
            _w.WriteStartObject("attachment"u8);
            _w.WriteString("attachmentId"u8, "eni-attach-0" + TrailWorld.Hex(_rng, 16));
            _w.WriteNumber("deviceIndex"u8, 0);
            _w.WriteNumber("networkCardIndex"u8, 0);
            _w.WriteString("status"u8, "attaching");
            _w.WriteNumber("attachTime"u8, _file.Delivered.ToUnixTimeMilliseconds());
            _w.WriteBoolean("deleteOnTermination"u8, true);
            _w.WriteEndObject();
            _w.WriteString("interfaceType"u8, "interface");
            _w.WriteEndObject();
            _w.WriteEndArray();
            _w.WriteEndObject();
            _w.WriteBoolean("ebsOptimized"u8, true);
            _w.WriteBoolean("enaSupport"u8, true);
            _w.WriteStartObject("metadataOptions"u8);
            _w.WriteString("state"u8, "pending");
            _w.WriteString("httpTokens"u8, "required");
            _w.WriteNumber("httpPutResponseHopLimit"u8, 2);
            _w.WriteString("httpEndpoint"u8, "enabled");
            _w.WriteEndObject();
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.WriteString("requesterId"u8, "940372691376");
        _w.WriteEndObject();
    }

    private void WriteTagSpecification()
    {
        _w.WriteStartObject("tagSpecificationSet"u8);
        _w.WriteStartArray("items"u8);
        foreach (var resource in new[] { "instance", "volume" })
        {
            _w.WriteStartObject();
            _w.WriteString("resourceType"u8, resource);
            WriteTagSet("tags"u8, 2 + _rng.Next(4));
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteEndObject();
    }

    private void WriteLambdaConfiguration(bool failed)
    {
        var account = _file.AccountId;
        var region = _file.Region;
        var name = "orders-api-" + TrailWorld.Alnum(_rng, 6);
        _w.WriteStartObject("requestParameters"u8);
        _w.WriteString("functionName"u8, name);
        _w.WriteNumber("timeout"u8, 30);
        _w.WriteNumber("memorySize"u8, 1024);
        _w.WriteStartObject("environment"u8);
        _w.WriteEndObject();
        _w.WriteEndObject();
        if (failed)
        {
            _w.WriteNull("responseElements"u8);
            return;
        }

        _w.WriteStartObject("responseElements"u8);
        _w.WriteString("functionName"u8, name);
        _w.WriteString("functionArn"u8, $"arn:aws:lambda:{region}:{account}:function:{name}");
        _w.WriteString("runtime"u8, "python3.12");
        _w.WriteString("role"u8, $"arn:aws:iam::{account}:role/lambda-orders-api-execution");
        _w.WriteString("handler"u8, "app.handler");
        _w.WriteNumber("codeSize"u8, _rng.Next(1_000, 50_000_000));
        _w.WriteString("description"u8, "Orders API — Bestellungen verarbeiten");
        _w.WriteNumber("timeout"u8, 30);
        _w.WriteNumber("memorySize"u8, 1024);
        _w.WriteString("lastModified"u8, "2026-07-01T09:04:11.000+0000");
        _w.WriteString("codeSha256"u8, TrailWorld.Base64(_rng, 32));
        _w.WriteString("version"u8, "$LATEST");
        _w.WriteStartObject("vpcConfig"u8);
        _w.WriteStartArray("subnetIds"u8);
        for (var i = 0; i < 3; i++) _w.WriteStringValue("subnet-0" + TrailWorld.Hex(_rng, 16));
        _w.WriteEndArray();
        _w.WriteStartArray("securityGroupIds"u8);
        _w.WriteStringValue("sg-0" + TrailWorld.Hex(_rng, 16));
        _w.WriteEndArray();
        _w.WriteString("vpcId"u8, "vpc-0" + TrailWorld.Hex(_rng, 16));
        _w.WriteBoolean("ipv6AllowedForDualStack"u8, false);
        _w.WriteEndObject();
        _w.WriteStartObject("environment"u8);
        _w.WriteEndObject();
        _w.WriteStartObject("tracingConfig"u8);
        _w.WriteString("mode"u8, "PassThrough");
        _w.WriteEndObject();
        _w.WriteString("revisionId"u8, TrailWorld.Uuid(_rng));
        _w.WriteStartArray("layers"u8);
        for (var i = _rng.Next(4); i > 0; i--)
        {
            _w.WriteStartObject();
            _w.WriteString("arn"u8, $"arn:aws:lambda:{region}:580247275435:layer:LambdaInsightsExtension:{50 + i}");
            _w.WriteNumber("codeSize"u8, _rng.Next(100_000, 9_000_000));
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteString("state"u8, "Active");
        _w.WriteString("lastUpdateStatus"u8, "InProgress");
        _w.WriteString("lastUpdateStatusReason"u8, "The function is being created.");
        _w.WriteString("lastUpdateStatusReasonCode"u8, "Creating");
        _w.WriteString("packageType"u8, "Zip");
        _w.WriteStartArray("architectures"u8);
        _w.WriteStringValue("x86_64");
        _w.WriteEndArray();
        _w.WriteStartObject("ephemeralStorage"u8);
        _w.WriteNumber("size"u8, 512);
        _w.WriteEndObject();
        _w.WriteStartObject("snapStart"u8);
        _w.WriteString("applyOn"u8, "None");
        _w.WriteString("optimizationStatus"u8, "Off");
        _w.WriteEndObject();
        _w.WriteStartObject("loggingConfig"u8);
        _w.WriteString("logFormat"u8, "Text");
        _w.WriteString("logGroup"u8, "/aws/lambda/" + name);
        _w.WriteEndObject();
        _w.WriteEndObject();
    }

    private void WriteRunTask(bool failed)
    {
        var account = _file.AccountId;
        var region = _file.Region;
        _w.WriteStartObject("requestParameters"u8);
        _w.WriteString("cluster"u8, "payments-prod");
        _w.WriteString("taskDefinition"u8, "payments-worker:" + (100 + _rng.Next(50)).ToString(CultureInfo.InvariantCulture));
        _w.WriteNumber("count"u8, 1);
        _w.WriteString("launchType"u8, "FARGATE");
        _w.WriteEndObject();
        if (failed)
        {
            _w.WriteNull("responseElements"u8);
            return;
        }

        var task = TrailWorld.Hex(_rng, 32);
        _w.WriteStartObject("responseElements"u8);
        _w.WriteStartArray("tasks"u8);
        _w.WriteStartObject();
        _w.WriteStartArray("attachments"u8);
        _w.WriteStartObject();
        _w.WriteString("id"u8, TrailWorld.Uuid(_rng));
        _w.WriteString("type"u8, "ElasticNetworkInterface");
        _w.WriteString("status"u8, "PRECREATED");
        _w.WriteStartArray("details"u8);
        foreach (var (k, v) in new[] { ("subnetId", "subnet-0" + TrailWorld.Hex(_rng, 16)), ("securityGroupId", "sg-0" + TrailWorld.Hex(_rng, 16)) })
        {
            _w.WriteStartObject();
            _w.WriteString("name"u8, k);
            _w.WriteString("value"u8, v);
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteString("availabilityZone"u8, region + "a");
        _w.WriteString("clusterArn"u8, $"arn:aws:ecs:{region}:{account}:cluster/payments-prod");
        _w.WriteStartArray("containers"u8);
        foreach (var container in new[] { "payments-worker", "datadog-agent", "log-router" })
        {
            _w.WriteStartObject();
            _w.WriteString("containerArn"u8, $"arn:aws:ecs:{region}:{account}:container/payments-prod/{task}/{TrailWorld.Uuid(_rng)}");
            _w.WriteString("taskArn"u8, $"arn:aws:ecs:{region}:{account}:task/payments-prod/{task}");
            _w.WriteString("name"u8, container);
            _w.WriteString("image"u8, $"{account}.dkr.ecr.{region}.amazonaws.com/{container}:1.42.3");
            _w.WriteString("lastStatus"u8, "PENDING");
            _w.WriteStartArray("networkInterfaces"u8);
            _w.WriteEndArray();
            _w.WriteString("cpu"u8, "256");
            _w.WriteString("memory"u8, "512");
            _w.WriteEndObject();
        }

        _w.WriteEndArray();
        _w.WriteString("cpu"u8, "1024");
        _w.WriteString("createdAt"u8, "Jul 1, 2026, 9:04:11 AM");
        _w.WriteString("desiredStatus"u8, "RUNNING");
        _w.WriteBoolean("enableExecuteCommand"u8, false);
        _w.WriteString("group"u8, "family:payments-worker");
        _w.WriteString("lastStatus"u8, "PROVISIONING");
        _w.WriteString("launchType"u8, "FARGATE");
        _w.WriteString("memory"u8, "2048");
        _w.WriteStartObject("overrides"u8);
        _w.WriteStartArray("containerOverrides"u8);
        _w.WriteEndArray();
        _w.WriteStartArray("inferenceAcceleratorOverrides"u8);
        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.WriteString("platformVersion"u8, "1.4.0");
        _w.WriteString("platformFamily"u8, "Linux");
        _w.WriteString("taskArn"u8, $"arn:aws:ecs:{region}:{account}:task/payments-prod/{task}");
        _w.WriteString("taskDefinitionArn"u8, $"arn:aws:ecs:{region}:{account}:task-definition/payments-worker:131");
        _w.WriteNumber("version"u8, 1);
        _w.WriteStartObject("ephemeralStorage"u8);
        _w.WriteNumber("sizeInGiB"u8, 20);
        _w.WriteEndObject();
        _w.WriteEndObject();
        _w.WriteEndArray();
        _w.WriteStartArray("failures"u8);
        _w.WriteEndArray();
        _w.WriteEndObject();
    }

    private string PublicIp() => _rng.Next(4) switch
    {
        0 => $"203.0.113.{_rng.Next(1, 255)}",
        1 => $"198.51.100.{_rng.Next(1, 255)}",
        2 => $"192.0.2.{_rng.Next(1, 255)}",
        _ => $"{_rng.Next(20, 220)}.{_rng.Next(256)}.{_rng.Next(256)}.{_rng.Next(1, 255)}",
    };

    /// <summary>A skewed pick: a few principals make most of the calls.</summary>
    private int Skewed(int n)
    {
        var x = _rng.NextDouble();
        return Math.Min(n - 1, (int)(n * x * x * x));
    }
}
