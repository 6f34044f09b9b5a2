using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Configuration;

/// <summary>Loads and validates configuration: a JSON file, then environment variables prefixed <c>PIMBRIDGE_</c> on top.</summary>
public static partial class PimBridgeConfiguration
{
    public const string EnvironmentPrefix = "PIMBRIDGE_";

    /// <param name="otherSections">Top-level sections other components own and validate (for example <c>Entra</c>); not errors here.</param>
    public static PimBridgeSettings Load(string jsonPath, bool useEnvironment = true, IReadOnlyCollection<string>? otherSections = null)
    {
        if (!File.Exists(jsonPath))
            throw new ConfigurationException([$"{jsonPath}: the configuration file does not exist. Create it (see docs/engine.md for the format) or pass the right path."]);
        var builder = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(jsonPath), optional: false, reloadOnChange: false);
        if (useEnvironment) builder.AddEnvironmentVariables(EnvironmentPrefix);
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException([$"{jsonPath}: not valid JSON: {ex.GetBaseException().Message}"], ex);
        }

        // Other PIMBRIDGE_ variables (the host's own) may add top-level keys; only the file's top level is checked.
        var others = new HashSet<string>(otherSections ?? [], StringComparer.OrdinalIgnoreCase);
        return Bind(root, TopLevelNames(jsonPath).Where(name => !others.Contains(name)).ToList());
    }

    /// <summary>Binds and validates. Every key must be a known setting; <paramref name="checkedTopLevel"/> limits which top-level keys are checked (null: all).</summary>
    public static PimBridgeSettings Bind(IConfiguration configuration, IReadOnlyCollection<string>? checkedTopLevel = null)
    {
        var unknown = new List<string>();
        foreach (var section in configuration.GetChildren())
        {
            if (checkedTopLevel is null || checkedTopLevel.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
                FindUnknown(section, typeof(PimBridgeOptions), unknown);
        }

        if (unknown.Count > 0)
            throw new ConfigurationException(unknown.Select(path => $"{path}: PimBridge has no such setting; check the spelling (docs/engine.md lists every setting) or remove it.").ToList());

        var options = new PimBridgeOptions();
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException([$"{ex.Message} Fix the value so it has the type the setting expects."], ex);
        }

        // The binder silently drops a list element that fails to convert; a mapping must never vanish that way.
        var mappings = configuration.GetSection(nameof(PimBridgeOptions.Mappings)).GetChildren().ToList();
        if (mappings.Count != options.Mappings.Count)
        {
            var problems = new List<string>();
            foreach (var mapping in mappings)
            {
                try
                {
                    mapping.Get<MappingOptions>();
                }
                catch (InvalidOperationException ex)
                {
                    problems.Add($"{ex.Message} Fix the value so it has the type the setting expects.");
                }
            }

            throw new ConfigurationException(problems.Count > 0 ? problems : ["Mappings: some entries could not be read; check each mapping's values."]);
        }

        return Validate(options);
    }

    private static void FindUnknown(IConfigurationSection section, Type owner, List<string> unknown)
    {
        var property = owner.GetProperties().FirstOrDefault(p => p.Name.Equals(section.Key, StringComparison.OrdinalIgnoreCase));
        if (property is null)
        {
            unknown.Add(section.Path.Replace(':', '.'));
            return;
        }

        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            return; // free-form keys (for example webhook headers)
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var element = type.GetGenericArguments()[0];
            foreach (var item in section.GetChildren().Where(_ => IsSection(element)))
                foreach (var child in item.GetChildren())
                    FindUnknown(child, element, unknown);
        }
        else if (IsSection(type))
        {
            foreach (var child in section.GetChildren())
                FindUnknown(child, type, unknown);
        }
    }

    private static bool IsSection(Type type) => type.IsClass && type != typeof(string);

    private static IReadOnlyCollection<string> TopLevelNames(string jsonPath)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
            ? document.RootElement.EnumerateObject().Select(p => p.Name).ToList()
            : [];
    }

    /// <summary>The trail sources the gap detector can read (see <see cref="GapSourceOptions.Type"/>).</summary>
    public static readonly IReadOnlyList<string> GapSourceTypes = ["lookup-events", "s3", "directory"];

    /// <summary>Checks everything and reports every problem at once, each naming the field and the fix.</summary>
    public static PimBridgeSettings Validate(PimBridgeOptions options)
    {
        var problems = new List<string>();
        var ic = options.IdentityCenter;
        if (!InstanceArn().IsMatch(ic.InstanceArn))
            problems.Add($"IdentityCenter.InstanceArn: '{ic.InstanceArn}' is not an Identity Center instance ARN; copy it from IAM Identity Center > Settings (arn:aws:sso:::instance/ssoins-…).");
        if (!IdentityStoreId().IsMatch(ic.IdentityStoreId))
            problems.Add($"IdentityCenter.IdentityStoreId: '{ic.IdentityStoreId}' is not an identity store id; copy it from IAM Identity Center > Settings (d-… ).");
        if (!Region().IsMatch(ic.Region))
            problems.Add($"IdentityCenter.Region: '{ic.Region}' is not an AWS Region; use the Region of the Identity Center instance, for example eu-west-1.");

        if (!ic.MatchUsersBy.Equals("userPrincipalName", StringComparison.OrdinalIgnoreCase) && !ic.MatchUsersBy.Equals("mail", StringComparison.OrdinalIgnoreCase))
            problems.Add($"IdentityCenter.MatchUsersBy: '{ic.MatchUsersBy}' must be 'userPrincipalName' (matched to the Identity Center userName) or 'mail' (matched to emails.value).");
        if (options.Mappings.Count == 0)
            problems.Add("Mappings: none configured; add at least one mapping from an Entra PIM group to Identity Center access.");
        var expiresSoonSinks = ExpiresSoonSinks(options.Notifications);
        var maxAccounts = CommitBudget.MaxAccountsPerMapping(expiresSoonSinks);
        if (maxAccounts < 1)
            problems.Add($"Notifications.Sinks: {expiresSoonSinks} sinks carry expires-soon, and a grant commits one warning per sink in one state-store transaction of at most {CommitBudget.MaxItems} items, which leaves no room for the grant itself; send expires-soon to fewer sinks.");
        var rules = new List<MappingRule>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Mappings.Count; i++)
        {
            var rule = ValidateMapping(options.Mappings[i], $"Mappings[{i}]", problems, maxAccounts, expiresSoonSinks);
            if (rule is null) continue;
            if (!names.Add(rule.Name))
                problems.Add($"Mappings[{i}].Name: '{rule.Name}' is used by another mapping; names must be unique.");
            rules.Add(rule);
        }

        var fences = new FenceSettings(
            Span(options.Fences.CutoffMargin, "Fences.CutoffMargin", problems, allowZero: true),
            Span(options.Fences.UntilMargin, "Fences.UntilMargin", problems, allowZero: true));
        var e = options.Enforcer;
        var enforcer = new EnforcerSettings(
            Span(e.RetryBaseDelay, "Enforcer.RetryBaseDelay", problems),
            Span(e.RetryMaxDelay, "Enforcer.RetryMaxDelay", problems),
            Span(e.ClaimTimeout, "Enforcer.ClaimTimeout", problems),
            e.AlertAfterAttempts,
            e.BatchSize) { Parallelism = e.Parallelism };
        if (e.AlertAfterAttempts < 1) problems.Add($"Enforcer.AlertAfterAttempts: {e.AlertAfterAttempts} must be at least 1.");
        if (e.BatchSize is < 1 or > 10_000) problems.Add($"Enforcer.BatchSize: {e.BatchSize} must be between 1 and 10000.");
        if (e.Parallelism is < 1 or > 64) problems.Add($"Enforcer.Parallelism: {e.Parallelism} must be between 1 and 64 ({EnforcerSettings.DefaultParallelism}, the default, keeps AWS's 15 outstanding assignment operations busy).");
        if (enforcer.RetryMaxDelay < enforcer.RetryBaseDelay) problems.Add("Enforcer.RetryMaxDelay: must not be shorter than Enforcer.RetryBaseDelay.");

        var gaps = new Gaps.GapSettings(Span(options.Gaps.DeliveryLag, "Gaps.DeliveryLag", problems, allowZero: true), Span(options.Gaps.Interval, "Gaps.Interval", problems));
        if (options.Gaps.Source is { } source && !GapSourceTypes.Contains(source.Type))
            problems.Add($"Gaps.Source.Type: '{source.Type}' is not a source; use one of {string.Join(", ", GapSourceTypes)} (or remove Gaps.Source to turn the gap detector off).");
        var expiryWarning = Span(options.Notifications.ExpiryWarning, "Notifications.ExpiryWarning", problems, allowZero: true);
        var verifier = new VerifierSettings(Span(options.Verifier.Interval, "Verifier.Interval", problems), options.Verifier.RequestsPerSecond);
        if (options.Verifier.RequestsPerSecond is not (> 0 and < VerifierSettings.IdentityCenterQuota))
            problems.Add($"Verifier.RequestsPerSecond: {options.Verifier.RequestsPerSecond} must be above 0 and below Identity Center's quota of {VerifierSettings.IdentityCenterQuota} requests a second, which grants and removals share; 5 leaves them three quarters.");

        if (problems.Count > 0) throw new ConfigurationException(problems);
        return new PimBridgeSettings(ic, rules, fences, enforcer)
        {
            Gaps = gaps, GapSource = options.Gaps.Source, Notifications = options.Notifications, ExpiryWarning = expiryWarning, Verifier = verifier,
        };
    }

    /// <summary>
    /// The sinks that carry expires-soon (their Kinds read as the notification adapter reads them: any case, surrounding
    /// space ignored): each adds a warning to every grant's start commit.
    /// </summary>
    private static int ExpiresSoonSinks(NotificationOptions notifications) =>
        (notifications.Sinks ?? []).Count(s => s?.Kinds is { } kinds
            && kinds.Any(k => k is not null && NotificationOutbox.ParseKind(k.Trim().ToLowerInvariant()) == NotificationKind.ExpiresSoon));

    /// <summary>Why a mapping may list only so many accounts, and what to do about it.</summary>
    private static string TooManyAccounts(string at, string name, int accounts, int maxAccounts, int expiresSoonSinks)
    {
        var sinks = expiresSoonSinks switch
        {
            0 => "",
            1 => ", and an expires-soon warning for the 1 notification sink that carries expires-soon",
            _ => $", and an expires-soon warning for each sink that carries one: {expiresSoonSinks} notification sinks carry expires-soon",
        };
        return $"{at}.AccountAssignments.Accounts: mapping '{name}' lists {accounts} accounts, but each of its grants is committed in one state-store transaction " +
               $"of at most {CommitBudget.MaxItems} items (DynamoDB's limit), which holds at most {maxAccounts} accounts ({CommitBudget.ItemsPerAccount} items per account, " +
               $"plus {CommitBudget.ItemsPerGrant} for the grant, its audit entry and the audit head, room for {CommitBudget.ReservedFencePullBacks} session fences to re-cut{sinks}); " +
               $"split the mapping into several mappings of at most {maxAccounts} accounts each, with the same EntraGroupId and PermissionSet and a Name of their own.";
    }

    private static MappingRule? ValidateMapping(MappingOptions m, string at, List<string> problems, int maxAccounts, int expiresSoonSinks)
    {
        var before = problems.Count;
        if (!MappingName().IsMatch(m.Name))
            problems.Add($"{at}.Name: '{m.Name}' must be 1-64 letters, digits, '.', '_' or '-'; give the mapping a short unique name.");
        if (!Guid.TryParse(m.EntraGroupId, out _))
            problems.Add($"{at}.EntraGroupId: '{m.EntraGroupId}' is not an Entra object id; copy the group's Object ID (a GUID) from Entra > Groups.");
        PimAccess access = PimAccess.Member;
        if (!Enum.TryParse(m.Access, ignoreCase: true, out access) || !Enum.IsDefined(access))
            problems.Add($"{at}.Access: '{m.Access}' must be 'member' or 'owner'.");

        string? group = null, permissionSet = null;
        IReadOnlyList<string> accounts = [];
        switch (m.IdentityCenterGroup, m.AccountAssignments)
        {
            case (null, null):
                problems.Add($"{at}: no target; set either IdentityCenterGroup (Id or DisplayName) or AccountAssignments (PermissionSet and Accounts).");
                break;
            case ({ }, { }):
                problems.Add($"{at}: both IdentityCenterGroup and AccountAssignments are set; a mapping has one target, so split it into two mappings.");
                break;
            case ({ } g, null):
                if (string.IsNullOrWhiteSpace(g.Id) == string.IsNullOrWhiteSpace(g.DisplayName))
                    problems.Add($"{at}.IdentityCenterGroup: set exactly one of Id and DisplayName.");
                group = string.IsNullOrWhiteSpace(g.Id) ? g.DisplayName : g.Id;
                break;
            case (null, { } a):
                if (!PermissionSetName().IsMatch(a.PermissionSet) && !PermissionSetArn().IsMatch(a.PermissionSet))
                    problems.Add($"{at}.AccountAssignments.PermissionSet: '{a.PermissionSet}' is neither a permission set name (1-32 of letters, digits, +=,.@_-) nor a permission set ARN.");
                if (a.Accounts.Count == 0)
                    problems.Add($"{at}.AccountAssignments.Accounts: empty; list the 12-digit AWS account ids to assign.");
                for (var j = 0; j < a.Accounts.Count; j++)
                {
                    if (!AccountId().IsMatch(a.Accounts[j]))
                        problems.Add($"{at}.AccountAssignments.Accounts[{j}]: '{a.Accounts[j]}' is not an AWS account id; use the 12-digit id, quoted, for example \"111122223333\".");
                }

                if (a.Accounts.Distinct().Count() != a.Accounts.Count)
                    problems.Add($"{at}.AccountAssignments.Accounts: lists an account twice; remove the duplicate.");
                if (a.Accounts.Count > maxAccounts && maxAccounts > 0)
                    problems.Add(TooManyAccounts(at, m.Name, a.Accounts.Count, maxAccounts, expiresSoonSinks));
                permissionSet = a.PermissionSet;
                accounts = a.Accounts.ToList();
                break;
        }

        TimeSpan? maxDuration = null;
        if (!string.IsNullOrWhiteSpace(m.MaxDuration))
            maxDuration = Span(m.MaxDuration, $"{at}.MaxDuration", problems);

        return problems.Count > before ? null
            : new MappingRule(m.Name, m.EntraGroupId.ToLowerInvariant(), access, group, permissionSet, accounts, maxDuration, m.IncludePermanent, m.FenceSessions);
    }

    private static TimeSpan Span(string? text, string at, List<string> problems, bool allowZero = false)
    {
        if (Duration.TryParse(text, out var value) && (value > TimeSpan.Zero || (allowZero && value == TimeSpan.Zero)))
            return value;
        problems.Add($"{at}: '{text}' is not a {(allowZero ? "non-negative" : "positive")} duration; write it like 90s, 30m, 8h, 1d, PT8H or 08:00:00.");
        return TimeSpan.Zero;
    }

    [GeneratedRegex(@"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$")]
    private static partial Regex InstanceArn();

    [GeneratedRegex(@"^(d-[0-9a-z]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")]
    private static partial Regex IdentityStoreId();

    [GeneratedRegex(@"^([a-z]+-){2,3}\d$")]
    private static partial Regex Region();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex MappingName();

    [GeneratedRegex(@"^[\w+=,.@-]{1,32}$")]
    private static partial Regex PermissionSetName();

    // AWS writes permissionSet/...; moto writes instance/.../ps-...: accept both shapes.
    [GeneratedRegex(@"^arn:aws(-[a-z]{1,5}){0,3}:sso:::(permissionSet|instance)/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$")]
    private static partial Regex PermissionSetArn();

    [GeneratedRegex(@"^\d{12}$")]
    private static partial Regex AccountId();
}
