namespace PimBridge.Cli.Doctor;

/// <summary>How one doctor check ended. Only <see cref="Fail"/> makes the doctor exit non-zero.</summary>
internal enum CheckStatus
{
    Pass,
    Fail,

    /// <summary>Not run: what it needs (a valid configuration, credentials) failed earlier, or it does not apply.</summary>
    Skipped,

    /// <summary>Cannot be checked without changing something (writing a policy); the line says what it needs.</summary>
    NotChecked,
}
