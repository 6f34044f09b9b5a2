using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;

namespace PimBridge.Core.Tests;

public sealed class FencePolicyTests
{
    private const string Ps = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";
    private static readonly DateTimeOffset Cutoff = new(2026, 7, 1, 13, 0, 0, TimeSpan.Zero);

    private static SessionFence Fence(string id, string user, DateTimeOffset cutoff, params string[] accounts) => new()
    {
        Id = id, UserId = user, UserName = user, PermissionSetArn = Ps, Accounts = accounts, Cutoff = cutoff,
        Until = cutoff.AddHours(5), CreatedAt = cutoff.AddHours(-1),
    };

    [Fact]
    public void A_fence_is_a_deny_keyed_on_user_account_and_token_issue_time()
    {
        var result = FencePolicy.Merge(Ps, null, [Fence("f1", "u-1", Cutoff, "111111111111")]);

        var statement = (JsonObject)JsonNode.Parse(result.Policy!)!["Statement"]![0]!;
        const string rest = """
            "Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"identitystore:userId":"u-1","aws:PrincipalAccount":"111111111111"},"DateLessThan":{"aws:TokenIssueTime":"2026-07-01T13:00:00Z"}}}
            """;
        Assert.Equal("{\"Sid\":\"" + FencePolicy.Sid(Cutoff, ["111111111111"]) + "\"," + rest, statement.ToJsonString());
        Assert.StartsWith("PimBridgeFence", statement["Sid"]!.GetValue<string>());
        Assert.Matches("^[A-Za-z0-9]+$", statement["Sid"]!.GetValue<string>());
        Assert.Equal(["f1"], result.Written);
    }

    [Fact]
    public void Fences_with_equal_cutoff_and_accounts_share_one_statement_and_others_get_their_own()
    {
        var result = FencePolicy.Merge(Ps, null,
        [
            Fence("f1", "u-1", Cutoff, "111111111111", "222222222222"),
            Fence("f2", "u-2", Cutoff, "222222222222", "111111111111"),
            Fence("f3", "u-3", Cutoff.AddMinutes(1), "111111111111"),
        ]);

        var statements = JsonNode.Parse(result.Policy!)!["Statement"]!.AsArray();
        Assert.Equal(2, statements.Count);
        Assert.Equal(["u-1", "u-2"], statements[0]!["Condition"]!["StringEquals"]!["identitystore:userId"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void Customer_statements_and_top_level_members_are_kept_and_our_old_statements_replaced()
    {
        const string current = """
            {"Version":"2012-10-17","Id":"customer-policy","Statement":[
              {"Sid":"DenyBilling","Effect":"Deny","Action":["aws-portal:*"],"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}},
              {"Sid":"PimBridgeFence0000000000000000","Effect":"Deny","Action":"*","Resource":"*"},
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::caf\u00e9/*"}]}
            """;

        var result = FencePolicy.Merge(Ps, current, [Fence("f1", "u-1", Cutoff, "111111111111")]);

        var document = JsonNode.Parse(result.Policy!)!;
        Assert.Equal("customer-policy", document["Id"]!.GetValue<string>());
        var statements = document["Statement"]!.AsArray();
        Assert.Equal(3, statements.Count);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(current)!["Statement"]![0], statements[0]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(current)!["Statement"]![2], statements[1]));
        Assert.Contains("""arn:aws:s3:::caf\u00e9/*""", result.Policy); // the customer's escape stays an escape
        Assert.DoesNotContain("PimBridgeFence0000000000000000", result.Policy);
    }

    private static string CustomerPolicy(string value) =>
        "{\"Version\":\"2012-10-17\",\"Statement\":[" + CustomerStatement(value) + "]}";

    private static string CustomerStatement(string value) =>
        "{\"Sid\":\"TeamOnly\",\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:PrincipalTag/team\":" + value + "}}}";

    private static void AssertAwsAccepts(string policy) =>
        Assert.All(policy, c => Assert.True(c is '\t' or '\n' or '\r' or (>= ' ' and <= '\u00FF'), $"U+{(int)c:X4} is outside what AWS accepts"));

    // AWS accepts only Latin-1 text in an inline policy, so a customer writes other characters as \uXXXX escapes. Decoding
    // them on the rewrite produced text AWS refuses, and every fence was then reported as "capacity exhausted".
    [Theory]
    [InlineData("\"\\u6f22\\u5b57\"", null)] // escaped, outside Latin-1
    [InlineData("\"caf\\u00e9\"", null)] // escaped Latin-1
    [InlineData("\"caf\u00e9\"", null)] // literal Latin-1
    [InlineData("\"a\u00A0b\"", null)] // literal no-break space, which an encoder would escape to six characters
    [InlineData("\"<>&'+\"", null)] // literal, which the default encoder escapes
    [InlineData("\"\\u003C\\u003E\\u0026\\u0027\\u002B\"", null)] // escaped, which a relaxed encoder decodes
    [InlineData("""[ "a\/b", "say \"hi\" \\" ,"two  spaces" ]""", """["a\/b","say \"hi\" \\","two  spaces"]""")] // only whitespace between tokens goes
    public void Customer_statements_are_kept_exactly_as_written_and_fences_still_fit(string value, string? expected)
    {
        var result = FencePolicy.Merge(Ps, CustomerPolicy(value), [Fence("f1", "u-1", Cutoff, "111111111111")]);

        Assert.Equal(["f1"], result.Written);
        Assert.Empty(result.Overflow);
        Assert.Contains(CustomerStatement(expected ?? value), result.Policy);
        AssertAwsAccepts(result.Policy!);
    }

    [Fact]
    public void Latin1_text_counts_toward_capacity_as_written_not_as_re_encoded()
    {
        // 2,000 literal no-break spaces: about 2,300 characters as written, but 12,000 if re-encoded as \u00A0.
        var value = "\"" + new string('\u00A0', 2_000) + "\"";

        var result = FencePolicy.Merge(Ps, CustomerPolicy(value), [Fence("f1", "u-1", Cutoff, "111111111111")]);

        Assert.Empty(result.Overflow);
        Assert.Contains(CustomerStatement(value), result.Policy);
    }

    [Fact]
    public void Characters_AWS_would_refuse_are_escaped_not_reported_as_capacity_exhausted()
    {
        // AWS stores only Latin-1, so literal characters beyond it should never come back; if they do, writing them as
        // the JSON escape AWS accepts keeps the policy's meaning, and the fences are still written.
        const string value = "\"\u6f22\u5b57\"";

        var result = FencePolicy.Merge(Ps, CustomerPolicy(value), [Fence("f1", "u-1", Cutoff, "111111111111")]);

        Assert.Equal(["f1"], result.Written);
        Assert.Contains(CustomerStatement("\"\\u6f22\\u5b57\""), result.Policy);
        AssertAwsAccepts(result.Policy!);
        Assert.True(FencePolicy.AreEquivalent(CustomerPolicy(value), FencePolicy.Merge(Ps, CustomerPolicy(value), []).Policy));
    }

    [Fact]
    public void A_lone_statement_object_is_accepted()
    {
        var result = FencePolicy.Merge(Ps, """{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}""",
            [Fence("f1", "u-1", Cutoff, "111111111111")]);

        Assert.Equal(2, JsonNode.Parse(result.Policy!)!["Statement"]!.AsArray().Count);
    }

    [Fact]
    public void No_fences_and_no_customer_statements_means_no_policy()
    {
        var result = FencePolicy.Merge(Ps, """{"Version":"2012-10-17","Statement":[{"Sid":"PimBridgeFenceabc","Effect":"Deny","Action":"*","Resource":"*"}]}""", []);

        Assert.Null(result.Policy);
    }

    [Fact]
    public void Fences_beyond_the_size_limit_are_reported_as_overflow_in_order()
    {
        var fences = Enumerable.Range(0, 60).Select(i => Fence($"f{i}", $"9067aaaa-0000-4000-8000-{i:D12}", Cutoff.AddMinutes(i), "111111111111")).ToList();

        var result = FencePolicy.Merge(Ps, null, fences);

        Assert.NotEmpty(result.Overflow);
        Assert.Equal(60, result.Written.Count + result.Overflow.Count);
        Assert.Equal(fences.Take(result.Written.Count).Select(f => f.Id), result.Written); // the earliest win
        Assert.InRange(result.Policy!.Count(c => !char.IsWhiteSpace(c)), 9_000, FencePolicy.MaxNonWhitespace);
    }

    [Fact]
    public void Sharing_a_statement_saves_capacity_for_more_users()
    {
        var sameCutoff = Enumerable.Range(0, 150).Select(i => Fence($"f{i}", $"9067aaaa-0000-4000-8000-{i:D12}", Cutoff, "111111111111")).ToList();

        var result = FencePolicy.Merge(Ps, null, sameCutoff);

        Assert.Empty(result.Overflow);
        Assert.Single(JsonNode.Parse(result.Policy!)!["Statement"]!.AsArray());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"Statement":"nope"}""")]
    [InlineData("""{"Statement":[],"Statement":[]}""")] // which one would we rewrite?
    public void An_unreadable_policy_is_refused_rather_than_overwritten(string policy)
    {
        var error = Assert.Throws<UnreadablePolicyException>(() => FencePolicy.Merge(Ps, policy, [Fence("f1", "u-1", Cutoff, "111111111111")]));
        Assert.Contains(Ps, error.Message);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData("", null, true)]
    [InlineData("""{"a":1,"b":[1,2]}""", """{ "b" : [1,2], "a": 1 }""", true)]
    [InlineData("""{"a":1}""", """{"a":2}""", false)]
    [InlineData("""{"a":1}""", null, false)]
    [InlineData("""{"a":"caf\u00e9 \u6f22"}""", "{\"a\":\"caf\u00e9 \u6f22\"}", true)] // an escape and its character mean the same
    public void Equivalence_is_semantic(string? a, string? b, bool expected) => Assert.Equal(expected, FencePolicy.AreEquivalent(a, b));
}
