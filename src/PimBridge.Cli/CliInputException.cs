namespace PimBridge.Cli;

/// <summary>
/// The user gave something the command cannot use (a path that does not exist, an invalid grants file). Its message is
/// one line saying what is wrong and what to do; it is shown without a stack trace and exits with
/// <see cref="ExitCodes.BadInput"/>.
/// </summary>
internal sealed class CliInputException : Exception
{
    public CliInputException(string message)
        : base(message)
    {
    }

    public CliInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
