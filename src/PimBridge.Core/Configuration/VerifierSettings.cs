namespace PimBridge.Core.Configuration;

/// <summary>The drift sweep's interval and its share of Identity Center's request quota.</summary>
public sealed record VerifierSettings(TimeSpan Interval, double RequestsPerSecond)
{
    public static readonly VerifierSettings Default = new(TimeSpan.FromMinutes(5), 5);

    /// <summary>Identity Center's documented request quota, shared by all its APIs (per account and Region).</summary>
    public const double IdentityCenterQuota = 20;

    /// <summary>The most calls one sweep makes: half its interval at its rate, so a sweep never runs into the next.</summary>
    public int CallBudget => Interval.TotalSeconds * RequestsPerSecond / 2 is var calls && calls < int.MaxValue ? (int)Math.Max(1, calls) : int.MaxValue;
}
