namespace PimBridge.Aws.SsoAdmin;

/// <summary>The limits AWS puts on a permission set's inline policy, checked before sending so the error names the fix.</summary>
public static class InlinePolicyRules
{
    public const int MaxLength = 32_768;
    public const int MaxNonWhitespace = 10_240;

    public static void Validate(string policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Length is 0 or > MaxLength)
            throw new ArgumentException($"The inline policy is {policy.Length} characters; AWS accepts 1 to {MaxLength}. Minify it or move statements to a managed policy.", nameof(policy));
        var nonWhitespace = 0;
        for (var i = 0; i < policy.Length; i++)
        {
            var c = policy[i];
            if (c > '\u00FF' || (c < ' ' && c is not ('\t' or '\n' or '\r')))
                throw new ArgumentException($"The inline policy has character U+{(int)c:X4} at index {i}; AWS accepts only Latin-1 text (tab, newline, U+0020 to U+00FF). Escape it as \\u{(int)c:x4} in the JSON.", nameof(policy));
            if (!char.IsWhiteSpace(c)) nonWhitespace++;
        }

        if (nonWhitespace > MaxNonWhitespace)
            throw new ArgumentException($"The inline policy has {nonWhitespace} non-whitespace characters; IAM Identity Center accepts at most {MaxNonWhitespace}.", nameof(policy));
    }
}
