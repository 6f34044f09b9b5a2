namespace PimBridge.Cli.Doctor;

/// <summary>
/// What a check found: its status, one line of detail, and for a failure what to do about it (for a check that cannot
/// be made, what it needs).
/// </summary>
internal sealed record CheckOutcome(CheckStatus Status, string Detail, string? Fix = null)
{
    public static CheckOutcome Pass(string detail) => new(CheckStatus.Pass, detail);

    public static CheckOutcome Fail(string detail, string fix) => new(CheckStatus.Fail, detail, fix);

    public static CheckOutcome Skipped(string detail) => new(CheckStatus.Skipped, detail);

    /// <param name="needs">What it needs, in place of a fix: the reader makes sure of it by hand.</param>
    public static CheckOutcome NotChecked(string detail, string? needs = null) => new(CheckStatus.NotChecked, detail, needs);
}
