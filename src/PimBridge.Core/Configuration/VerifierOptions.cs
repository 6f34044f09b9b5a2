namespace PimBridge.Core.Configuration;

/// <summary>The drift sweep: how often Identity Center is compared with the ledger, and how gently.</summary>
public sealed class VerifierOptions
{
    /// <summary>How often the sweep runs (<c>serve</c>); a drift is repaired within one interval.</summary>
    public string Interval { get; set; } = "5m";
    /// <summary>
    /// The sweep's share of Identity Center's request quota (20 requests a second across its APIs): it never sends
    /// faster, so grants and removals keep the rest.
    /// </summary>
    public double RequestsPerSecond { get; set; } = 5;
}
