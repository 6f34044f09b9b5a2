namespace PimBridge.Cli;

/// <summary>
/// The process exit codes every command uses, so scripts and CI can tell a finding from a mistake (docs/cli.md).
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command completed (for <c>scan</c>: whatever it found, unless <c>--fail-on</c> says otherwise).</summary>
    public const int Success = 0;

    /// <summary>Something unexpected failed; the message says what, <c>--verbose</c> adds the stack trace.</summary>
    public const int UnexpectedFailure = 1;

    /// <summary>Bad arguments or input: a usage error, a missing path, an unreadable or invalid input file.</summary>
    public const int BadInput = 2;

    /// <summary><c>scan --fail-on</c>: an alert at or above the given severity was found.</summary>
    public const int AlertsFound = 3;

    /// <summary><c>audit verify</c>: a link of the audit chain does not hold (an entry was edited, removed or reordered).</summary>
    public const int AuditChainBroken = 4;

    /// <summary><c>sandbox</c>: an outcome the scenario expects was not observed; the difference is printed.</summary>
    public const int SandboxExpectationNotMet = 5;

    /// <summary><c>doctor</c>: at least one check failed; each failed line says what to do.</summary>
    public const int DoctorFoundProblems = 6;

    /// <summary><c>verify</c>: Identity Center differs from what PimBridge confirmed (an orphan, missing access or a missing fence); with <c>--repair</c>, the repairs were recorded.</summary>
    public const int DriftFound = 7;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Cancelled = 130;
}
