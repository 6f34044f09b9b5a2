using System.Globalization;

namespace PimBridge.Benchmarks.Trails;

/// <summary>One watched grant: what the gap detector looks for after <see cref="End"/>.</summary>
public sealed record WatchedGrant(string UserName, string UserId, string PermissionSet, IReadOnlyList<string> Accounts, DateTimeOffset End);

/// <summary>An Identity Center user: the name as the watch set knows it, the name as Identity Center writes it into
/// role session names (the casing may differ), the Identity Store user id, and the permission sets assigned.</summary>
internal sealed class TrailUser(string name, string trailName, string userId, Assignment[] assignments)
{
    public string Name { get; } = name;
    public string TrailName { get; } = trailName;
    public string UserId { get; } = userId;
    public Assignment[] Assignments { get; } = assignments;
}

/// <summary>A permission set assigned to a user in some member accounts (indexes into <see cref="TrailWorld.Accounts"/>).</summary>
internal sealed record Assignment(int PermissionSet, int[] Accounts);

/// <summary>
/// The organisation the generated trail describes, built from a seed: member accounts, permission sets (with look-alike
/// names), a few thousand Identity Center users with their assignments, service roles, IAM users, and the watched
/// grants. Everything is deterministic for a seed.
/// </summary>
internal sealed class TrailWorld
{
    public const string OrganizationId = "o-q7w2k9x4m1";
    public const string IdentityCenterAccount = TrailJson.IdentityCenterAccount;
    public const string IdentityCenterRegion = TrailJson.Region;
    public const string IdentityStoreArn = TrailJson.IdentityStoreArn;
    public const string IdentityStorePrefix = "976710cc5d-";
    public static readonly DateTimeOffset DayStart = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Look-alikes on purpose: Admin and AdminReadOnly, ReadOnly and ReadOnlyAccess, underscores in names.</summary>
    public static readonly string[] PermissionSetNames =
    [
        "AdministratorAccess", "Admin", "AdminReadOnly", "ReadOnly", "ReadOnlyAccess", "ViewOnlyAccess", "PowerUserAccess",
        "PowerUser", "Billing", "BillingReadOnly", "DataEngineer", "Data_Engineer", "Data_Engineer_RO", "Developer",
        "DeveloperReadOnly", "SecurityAudit", "SecurityAuditor", "NetworkAdmin", "NetworkAdministrator", "DatabaseAdmin",
        "DBA_Prod", "SupportUser", "Breakglass", "BreakGlass_Emergency", "Platform-Ops", "PlatformOps", "IncidentResponder",
        "S3Admin", "EKS_Cluster_Admin", "CostExplorer",
    ];

    /// <summary>Relative popularity of each permission set above (read-only sets are common, break-glass rare).</summary>
    private static readonly double[] PermissionSetWeights =
    [
        3, 4, 4, 12, 8, 6, 5, 4, 1, 2, 4, 3, 3, 10, 6, 2, 2, 1.5, 1, 2, 1, 3, 0.3, 0.2, 2, 2, 1, 1.5, 2, 1,
    ];

    public static readonly string[] Regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1"];
    public static readonly double[] RegionWeights = [45, 25, 20, 10];

    public static readonly string[] ServiceRoles =
    [
        "eks-prod-nodegroup-NodeInstanceRole-1F3K9D2LQ8ZXC", "lambda-orders-api-execution", "ecsTaskExecutionRole",
        "ecs-task-payments-worker", "OrganizationAccountAccessRole", "GitHubActions-Deploy", "terraform-ci",
        "AWSServiceRoleForConfig", "AWSServiceRoleForECS", "datadog-integration", "AWSControlTowerExecution",
        "stacksets-exec-2b6ec1f4c5d3a0e7a9b8c7d6e5f40312", "karpenter-controller", "external-dns", "cert-manager",
        "aws-load-balancer-controller", "airflow-worker", "glue-crawler-service", "backup-operator",
        // Look-alikes of permission-set roles that must never be taken for one.
        "AWSReservedSSO_Admin", "AWSReservedSSO_ReadOnly_7243976E43C75FC5", "aws-reserved-sso-admin-audit",
        "AWSReservedSSO_Admin_7243976e43c75fc", "Admin_7243976e43c75fc5",
    ];

    public static readonly string[] ServicePrincipals =
    [
        "cloudtrail.amazonaws.com", "config.amazonaws.com", "ecs-tasks.amazonaws.com", "lambda.amazonaws.com",
        "s3.amazonaws.com", "logs.amazonaws.com", "backup.amazonaws.com", "autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com", "ec2.amazonaws.com", "eks.amazonaws.com", "guardduty.amazonaws.com",
    ];

    public static readonly string[] IamUsers =
    [
        "ci-legacy", "backup-exporter", "jenkins", "s3-sync", "splunk-reader", "alice.legacy", "smtp-relay", "grafana",
    ];

    private static readonly string[] FirstNames =
    [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia",
        "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe", "amira", "bjorn", "chen", "dmitri",
        "elena", "farid", "gita", "hiro", "ines", "jonas", "kenji", "lena", "marta", "noor", "oskar", "priya", "quinn",
        "rosa", "sanjay", "tomas", "ursula", "vera", "wei", "ximena", "yara", "zaid", "anna", "ben", "clara",
    ];

    private static readonly string[] LastNames =
    [
        "smith", "jones", "garcia", "muller", "kowalski", "nguyen", "tanaka", "okafor", "johansson", "rossi", "dubois",
        "fernandez", "novak", "larsen", "costa", "ivanova", "haddad", "kim", "patel", "singh", "wong", "schmidt",
        "oconnor", "silva", "yilmaz", "petrov", "andersen", "moreau", "sato", "chen", "lopez", "brown", "wilson",
        "taylor", "martin", "lee", "walker", "hall", "young", "king",
    ];

    public string[] Accounts { get; }
    public TrailUser[] Users { get; }
    public TrailUser[] WatchedUsers { get; }
    public WatchedGrant[] Grants { get; }

    /// <summary>For each member account, the (watched user, assignment) pairs that reach it.</summary>
    public (TrailUser User, Assignment Assignment)[][] WatchedByAccount { get; }

    private readonly string[][] _roleHashes;
    private readonly string[][] _roleIds;
    private readonly double[] _permissionSetCumulative;

    public TrailWorld(int seed)
    {
        var rng = new Random(seed);
        Accounts = Enumerable.Range(0, 16).Select(_ => Digits(rng, 12)).ToArray();
        _roleHashes = PermissionSetNames.Select(_ => Accounts.Select(_ => Hex(rng, 16)).ToArray()).ToArray();
        _roleIds = PermissionSetNames.Select(_ => Accounts.Select(_ => "AROA" + Upper(rng, 17)).ToArray()).ToArray();
        _permissionSetCumulative = Cumulative(PermissionSetWeights);

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var users = new List<TrailUser>();
        while (users.Count < 2_400)
        {
            var first = FirstNames[rng.Next(FirstNames.Length)];
            var last = LastNames[rng.Next(LastNames.Length)];
            var name = rng.NextDouble() < 0.85 ? $"{first}.{last}@corp.example.com" : $"{first[0]}{last}";
            for (var n = 2; !names.Add(name); n++)
                name = name.Contains('@', StringComparison.Ordinal) ? $"{first}.{last}{n}@corp.example.com" : $"{first[0]}{last}{n}";
            // Identity Center may hold the name with other casing than the IdP's lower-case UPN the watch set uses.
            var casing = rng.NextDouble();
            var trailName = casing < 0.75 ? name : casing < 0.95 ? TitleCase(name) : name.ToUpperInvariant();
            var assignments = new Assignment[1 + rng.Next(4)];
            var taken = new HashSet<int>();
            for (var a = 0; a < assignments.Length; a++)
            {
                int ps;
                do ps = Pick(rng, _permissionSetCumulative); while (!taken.Add(ps));
                assignments[a] = new Assignment(ps, Sample(rng, Accounts.Length, 1 + rng.Next(5)));
            }

            users.Add(new TrailUser(name, trailName, $"{IdentityStorePrefix}{Uuid(rng)}", assignments));
        }

        // 14 watched users, 6 of them with two watched grants: 20 grants. Each watched user keeps other, unwatched
        // permission sets and accounts, so most of their activity is legitimate.
        var watchedUsers = new List<TrailUser>();
        var grants = new List<WatchedGrant>();
        var admin = Array.IndexOf(PermissionSetNames, "Admin");
        var adminReadOnly = Array.IndexOf(PermissionSetNames, "AdminReadOnly");
        for (var u = 0; u < 14; u++)
        {
            var index = rng.Next(users.Count);
            var user = users[index];
            users.RemoveAt(index);
            // Give watched users 3-4 assignments with 2-6 accounts; the first is a watched one.
            var assignments = new List<Assignment>();
            var taken = new HashSet<int>();
            var count = 3 + rng.Next(2);
            while (assignments.Count < count)
            {
                var ps = u < 4 && assignments.Count == 0 ? admin : u < 4 && assignments.Count == 1 ? adminReadOnly : Pick(rng, _permissionSetCumulative);
                if (taken.Add(ps)) assignments.Add(new Assignment(ps, Sample(rng, Accounts.Length, 2 + rng.Next(5))));
            }

            var watched = new TrailUser(user.Name, user.TrailName, user.UserId, [.. assignments]);
            watchedUsers.Add(watched);
            for (var g = 0; g < (u < 6 ? 2 : 1); g++)
            {
                var a = assignments[g == 0 ? 0 : 2];
                var accounts = a.Accounts.Take(1 + rng.Next(Math.Min(3, a.Accounts.Length))).Select(i => Accounts[i]).ToArray();
                var end = DayStart.AddMinutes(120 + rng.Next(18 * 60));
                grants.Add(new WatchedGrant(watched.Name, watched.UserId, PermissionSetNames[a.PermissionSet], accounts, end));
            }
        }

        Users = [.. users];
        WatchedUsers = [.. watchedUsers];
        Grants = [.. grants];
        WatchedByAccount = Enumerable.Range(0, Accounts.Length)
            .Select(account => WatchedUsers.SelectMany(w => w.Assignments.Where(a => a.Accounts.Contains(account)).Select(a => (w, a))).ToArray())
            .ToArray();
    }

    public string RoleName(int permissionSet, int account) => $"AWSReservedSSO_{PermissionSetNames[permissionSet]}_{_roleHashes[permissionSet][account]}";
    public string RoleId(int permissionSet, int account) => _roleIds[permissionSet][account];

    // ---------------------------------------------------------------- helpers shared with the generator

    public static double[] Cumulative(double[] weights)
    {
        var sum = 0.0;
        var result = new double[weights.Length];
        for (var i = 0; i < weights.Length; i++) result[i] = sum += weights[i];
        return result;
    }

    public static int Pick(Random rng, double[] cumulative)
    {
        var x = rng.NextDouble() * cumulative[^1];
        var i = Array.BinarySearch(cumulative, x);
        return Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
    }

    public static int[] Sample(Random rng, int n, int k)
    {
        var all = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(all);
        return all[..Math.Min(k, n)];
    }

    public static string Digits(Random rng, int n) => string.Create(n, rng, static (span, r) =>
    {
        span[0] = (char)('1' + r.Next(9));
        for (var i = 1; i < span.Length; i++) span[i] = (char)('0' + r.Next(10));
    });

    public static string Hex(Random rng, int n) => string.Create(n, rng, static (span, r) =>
    {
        for (var i = 0; i < span.Length; i++) span[i] = "0123456789abcdef"[r.Next(16)];
    });

    public static string Upper(Random rng, int n) => string.Create(n, rng, static (span, r) =>
    {
        for (var i = 0; i < span.Length; i++) span[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[r.Next(32)];
    });

    public static string Alnum(Random rng, int n) => string.Create(n, rng, static (span, r) =>
    {
        for (var i = 0; i < span.Length; i++) span[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[r.Next(62)];
    });

    public static string Base64(Random rng, int bytes)
    {
        var data = new byte[bytes];
        rng.NextBytes(data);
        return Convert.ToBase64String(data);
    }

    public static string Uuid(Random rng) => $"{Hex(rng, 8)}-{Hex(rng, 4)}-4{Hex(rng, 3)}-{"89ab"[rng.Next(4)]}{Hex(rng, 3)}-{Hex(rng, 12)}";

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string TitleCase(string name) => string.Create(name.Length, name, static (span, n) =>
    {
        var upper = true;
        for (var i = 0; i < n.Length; i++)
        {
            span[i] = upper ? char.ToUpperInvariant(n[i]) : n[i];
            upper = n[i] is '.' or '@';
        }
    });
}
