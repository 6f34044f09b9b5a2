using Microsoft.Extensions.Configuration;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pimbridge-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Valid = """
        {
          "IdentityCenter": { "InstanceArn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "IdentityStoreId": "d-1234567890", "Region": "eu-west-1" },
          "Mappings": [
            { "Name": "prod-admin", "EntraGroupId": "11111111-1111-1111-1111-111111111111", "MaxDuration": "4h",
              "AccountAssignments": { "PermissionSet": "AdministratorAccess", "Accounts": [ "111122223333", "444455556666" ] } },
            { "Name": "platform", "EntraGroupId": "22222222-2222-2222-2222-222222222222", "Access": "Owner", "FenceSessions": false,
              "IdentityCenterGroup": { "DisplayName": "Platform Engineers" } }
          ],
          "Fences": { "CutoffMargin": "PT30M" }
        }
        """;

    private string Write(string json)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>`pimbridge init` explains each setting in comments; the file must load as written.</summary>
    [Fact]
    public void Comments_and_trailing_commas_are_allowed_anywhere_in_the_file()
    {
        var path = Write("""
            // Written by pimbridge init.
            {
              /* Identity Center */
              "IdentityCenter": { "InstanceArn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "IdentityStoreId": "d-1234567890", "Region": "eu-west-1", },
              // One mapping per PIM group.
              "Mappings": [
                { "Name": "prod-admin", "EntraGroupId": "11111111-1111-1111-1111-111111111111", // the group's Object ID
                  "AccountAssignments": { "PermissionSet": "AdministratorAccess", "Accounts": [ "111122223333", ], }, },
              ],
            }
            """);

        var settings = PimBridgeConfiguration.Load(path, useEnvironment: false);

        Assert.Equal("prod-admin", Assert.Single(settings.Mappings).Name);
        Assert.Equal(["111122223333"], settings.Mappings[0].Accounts);
    }

    [Fact]
    public void A_valid_file_loads_with_typed_values_and_defaults()
    {
        var settings = PimBridgeConfiguration.Load(Write(Valid), useEnvironment: false);

        Assert.Equal(2, settings.Mappings.Count);
        var admin = settings.Mappings[0];
        Assert.Equal(TimeSpan.FromHours(4), admin.MaxDuration);
        Assert.Equal(PimAccess.Member, admin.Access);
        Assert.True(admin.FenceSessions);
        Assert.Equal(["111122223333", "444455556666"], admin.Accounts);
        Assert.Equal(PimAccess.Owner, settings.Mappings[1].Access);
        Assert.Equal("Platform Engineers", settings.Mappings[1].IdentityCenterGroup);
        Assert.False(settings.Mappings[1].FenceSessions);
        Assert.Equal(TimeSpan.FromMinutes(30), settings.Fences.CutoffMargin);
        Assert.Equal(TimeSpan.FromMinutes(15), settings.Fences.UntilMargin);
    }

    [Fact]
    public void Environment_variables_override_the_file()
    {
        var overrides = new ConfigurationBuilder()
            .AddJsonFile(Write(Valid))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Mappings:0:MaxDuration"] = "90m", ["Fences:UntilMargin"] = "0s" })
            .Build();

        var settings = PimBridgeConfiguration.Bind(overrides);

        Assert.Equal(TimeSpan.FromMinutes(90), settings.Mappings[0].MaxDuration);
        Assert.Equal(TimeSpan.Zero, settings.Fences.UntilMargin);
    }

    [Fact]
    public void Environment_variable_names_follow_the_PIMBRIDGE_prefix_convention()
    {
        var path = Write(Valid);
        Environment.SetEnvironmentVariable("PIMBRIDGE_Mappings__0__MaxDuration", "2h");
        try
        {
            Assert.Equal(TimeSpan.FromHours(2), PimBridgeConfiguration.Load(path).Mappings[0].MaxDuration);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PIMBRIDGE_Mappings__0__MaxDuration", null);
        }
    }

    [Theory]
    [InlineData("\"EntraGroupId\": \"11111111-1111-1111-1111-111111111111\"", "\"EntraGroupId\": \"ops\"", "Mappings[0].EntraGroupId: 'ops' is not an Entra object id")]
    [InlineData("\"111122223333\", ", "\"1234\", ", "Mappings[0].AccountAssignments.Accounts[0]: '1234' is not an AWS account id; use the 12-digit id")]
    [InlineData("\"MaxDuration\": \"4h\"", "\"MaxDuration\": \"forever\"", "Mappings[0].MaxDuration: 'forever' is not a positive duration")]
    [InlineData("\"Access\": \"Owner\"", "\"Access\": \"admin\"", "Mappings[1].Access: 'admin' must be 'member' or 'owner'")]
    [InlineData("\"Name\": \"platform\"", "\"Name\": \"prod-admin\"", "Mappings[1].Name: 'prod-admin' is used by another mapping")]
    [InlineData("\"Region\": \"eu-west-1\"", "\"Region\": \"Ireland\"", "IdentityCenter.Region: 'Ireland' is not an AWS Region")]
    [InlineData("\"Region\": \"eu-west-1\"", "\"Region\": \"eu-west-1\", \"MatchUsersBy\": \"employeeId\"", "IdentityCenter.MatchUsersBy: 'employeeId' must be 'userPrincipalName'")]
    [InlineData("\"PermissionSet\": \"AdministratorAccess\"", "\"PermissionSet\": \"Admin Access!\"", "Mappings[0].AccountAssignments.PermissionSet: 'Admin Access!' is neither")]
    [InlineData("\"DisplayName\": \"Platform Engineers\"", "\"DisplayName\": \"Platform Engineers\", \"Id\": \"x\"", "Mappings[1].IdentityCenterGroup: set exactly one of Id and DisplayName")]
    public void Each_problem_names_the_field_and_the_fix(string from, string to, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(Valid.Replace(from, to)), useEnvironment: false));

        Assert.Contains(error.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_mapping_with_two_targets_or_none_is_refused()
    {
        var both = Valid.Replace("\"IdentityCenterGroup\": { \"DisplayName\": \"Platform Engineers\" }",
            "\"IdentityCenterGroup\": { \"DisplayName\": \"P\" }, \"AccountAssignments\": { \"PermissionSet\": \"X\", \"Accounts\": [\"111122223333\"] }");
        var none = System.Text.RegularExpressions.Regex.Replace(Valid, @",\s*""IdentityCenterGroup"": \{ ""DisplayName"": ""Platform Engineers"" \}", "");
        Assert.NotEqual(Valid, none);

        Assert.Contains(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(both), false)).Problems, p => p.Contains("split it into two mappings"));
        Assert.Contains(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(none), false)).Problems, p => p.Contains("no target"));
    }

    [Fact]
    public void All_problems_are_reported_at_once()
    {
        var error = Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write("""{"Mappings":[{"Name":"a b"}]}"""), false));

        Assert.True(error.Problems.Count >= 5);
        Assert.Contains("IdentityCenter.InstanceArn", error.Message);
    }

    [Fact]
    public void Unknown_settings_and_wrong_types_are_errors_not_silently_ignored()
    {
        var typo = Valid.Replace("\"FenceSessions\": false", "\"FenceSesions\": false");
        var wrongType = Valid.Replace("\"FenceSessions\": false", "\"FenceSessions\": \"sometimes\"");

        Assert.Equal("Mappings.1.FenceSesions: PimBridge has no such setting; check the spelling (docs/engine.md lists every setting) or remove it.",
            Assert.Single(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(typo), false)).Problems));
        Assert.Contains("Mappings:1:FenceSessions", Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(wrongType), false)).Message);
    }

    [Fact]
    public void Gap_and_notification_settings_load_with_free_form_headers_and_checked_values()
    {
        var withGaps = Valid.Replace("\"Fences\": { \"CutoffMargin\": \"PT30M\" }", """
            "Fences": { "CutoffMargin": "PT30M" },
            "Gaps": { "DeliveryLag": "20m", "Source": { "Type": "s3", "Bucket": "org-trail", "OrganizationId": "o-abc123defg" } },
            "Notifications": { "ExpiryWarning": "15m", "Sinks": [ { "Name": "sec", "Type": "webhook", "Url": "https://hooks.example.com/x", "Headers": { "X-Api-Key": "k" } } ] }
            """);

        var settings = PimBridgeConfiguration.Load(Write(withGaps), useEnvironment: false);

        Assert.Equal(TimeSpan.FromMinutes(20), settings.Gaps.DeliveryLag);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.Gaps.Interval);
        Assert.Equal("org-trail", settings.GapSource!.Bucket);
        Assert.Equal(TimeSpan.FromMinutes(15), settings.ExpiryWarning);
        Assert.Equal("k", Assert.Single(settings.Notifications.Sinks).Headers["X-Api-Key"]);
        Assert.Null(PimBridgeConfiguration.Load(Write(Valid), useEnvironment: false).GapSource);

        var badType = withGaps.Replace("\"Type\": \"s3\"", "\"Type\": \"athena\"").Replace("\"20m\"", "\"soon\"");
        var problems = Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(badType), false)).Problems;
        Assert.Contains(problems, p => p.StartsWith("Gaps.Source.Type: 'athena' is not a source", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Gaps.DeliveryLag", StringComparison.Ordinal));
        var typo = withGaps.Replace("\"Bucket\"", "\"Bukket\"");
        Assert.Contains("Gaps.Source.Bukket", Assert.Single(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write(typo), false)).Problems));
    }

    private static PimBridgeOptions WideMapping(int accounts, params string[][] sinkKinds) => new()
    {
        IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
        Mappings =
        [
            new() { Name = "narrow", EntraGroupId = "11111111-1111-1111-1111-111111111111", AccountAssignments = new() { PermissionSet = "ReadOnly", Accounts = ["111122223333"] } },
            new()
            {
                Name = "org-wide", EntraGroupId = "22222222-2222-2222-2222-222222222222",
                AccountAssignments = new() { PermissionSet = "AdministratorAccess", Accounts = [.. Enumerable.Range(0, accounts).Select(i => (100_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture))] },
            },
        ],
        Notifications = new() { Sinks = [.. sinkKinds.Select((kinds, i) => new NotificationSinkOptions { Name = $"sink-{i}", Type = "log", Kinds = [.. kinds] })] },
    };

    [Fact]
    public void A_mapping_with_more_accounts_than_one_grant_commit_can_hold_is_refused_with_the_limit_and_the_fix()
    {
        // docs/configuration.md: at most 36 accounts per mapping (a grant commits 2 items per account + 28 of overhead
        // and headroom, within DynamoDB's 100 items per transaction).
        Assert.Equal(36, PimBridgeConfiguration.Validate(WideMapping(36)).Mappings[1].Accounts.Count);

        var problem = Assert.Single(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Validate(WideMapping(37))).Problems);

        Assert.StartsWith("Mappings[1].AccountAssignments.Accounts: ", problem, StringComparison.Ordinal);
        Assert.Contains("'org-wide'", problem, StringComparison.Ordinal);
        Assert.Contains("37 accounts", problem, StringComparison.Ordinal);
        Assert.Contains("100 items", problem, StringComparison.Ordinal);
        Assert.Contains("split the mapping into several mappings of at most 36 accounts each", problem, StringComparison.Ordinal);

        // The fix the message names: two mappings of the same group and permission set, each within the limit.
        var split = WideMapping(37);
        var accounts = split.Mappings[1].AccountAssignments!.Accounts;
        split.Mappings.Add(new() { Name = "org-wide-2", EntraGroupId = split.Mappings[1].EntraGroupId, AccountAssignments = new() { PermissionSet = "AdministratorAccess", Accounts = accounts[36..] } });
        split.Mappings[1].AccountAssignments!.Accounts = accounts[..36];
        Assert.Equal([36, 1], PimBridgeConfiguration.Validate(split).Mappings.Skip(1).Select(m => m.Accounts.Count));
    }

    [Fact]
    public void Each_sink_carrying_expires_soon_takes_its_item_from_the_per_mapping_account_limit()
    {
        // Three sinks carrying expires-soon (any case and spacing): a grant also commits one warning per sink, so
        // (72 - 3) / 2 = 34 accounts fit. Sinks that only carry alerts or access-removed cost a grant's start nothing.
        string[][] sinks = [["expires-soon"], [" Expires-Soon ", "alert"], ["expires-soon", "access-live"], ["alert"], ["access-removed"], []];
        Assert.Equal(34, PimBridgeConfiguration.Validate(WideMapping(34, sinks)).Mappings[1].Accounts.Count);

        var problem = Assert.Single(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Validate(WideMapping(35, sinks))).Problems);

        Assert.Contains("35 accounts", problem, StringComparison.Ordinal);
        Assert.Contains("3 notification sinks carry expires-soon", problem, StringComparison.Ordinal);
        Assert.Contains("at most 34 accounts each", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_or_broken_JSON_is_a_configuration_error()
    {
        Assert.Contains("does not exist", Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Path.Combine(_dir, "nope.json"))).Message);
        Assert.Contains("not valid JSON", Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Load(Write("{\"Mappings\": ["), false)).Message);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("8h", 28800)]
    [InlineData("1d", 86400)]
    [InlineData("PT2H30M", 9000)]
    [InlineData("01:00:00", 3600)]
    public void Durations_accept_the_documented_forms(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("soon")]
    [InlineData("5 minutes")]
    public void A_bare_number_or_words_are_not_durations(string text) => Assert.False(Duration.TryParse(text, out _));
}
