using Spectre.Console;

namespace PimBridge.Cli;

/// <summary>
/// Where a command writes and what it may assume about the terminal: standard output and error as plain writers (for
/// JSON and one-line errors) and as Spectre consoles (for tables and progress), whether a person is watching, and the
/// clock. The process gets <see cref="ForProcess"/>; tests pass <see cref="Capture"/> so they can read what was written.
/// </summary>
internal sealed class CliConsole
{
    /// <summary>Width for tables that no terminal wraps (redirected or captured output): rows stay on one line for grep.</summary>
    private const int UnwrappedWidth = 512;

    private CliConsole(TextWriter output, TextWriter error, IAnsiConsole outputConsole, IAnsiConsole errorConsole, bool showsProgress, bool handlesProcessTermination, TimeProvider clock, TextReader? answers)
    {
        Answers = answers;
        Output = output;
        Error = error;
        OutputConsole = outputConsole;
        ErrorConsole = errorConsole;
        ShowsProgress = showsProgress;
        HandlesProcessTermination = handlesProcessTermination;
        Clock = clock;
    }

    /// <summary>Standard output: results (tables, summaries, JSON documents) and nothing else.</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error: errors, notes and progress.</summary>
    public TextWriter Error { get; }

    /// <summary><see cref="Output"/> as a Spectre console, for tables.</summary>
    public IAnsiConsole OutputConsole { get; }

    /// <summary><see cref="Error"/> as a Spectre console, for live progress.</summary>
    public IAnsiConsole ErrorConsole { get; }

    /// <summary>
    /// Whether live progress may be drawn on <see cref="ErrorConsole"/>: both streams are an interactive terminal.
    /// Never when either is redirected, so logs and pipes get results only.
    /// </summary>
    public bool ShowsProgress { get; }

    /// <summary>Whether Ctrl+C should cancel the running command (the process's console only).</summary>
    public bool HandlesProcessTermination { get; }

    public TimeProvider Clock { get; }

    /// <summary>
    /// Where a person's answers to questions come from (questions go to <see cref="Error"/>): standard input when it
    /// is a terminal, else null, and a command that would ask uses its defaults instead of waiting.
    /// </summary>
    public TextReader? Answers { get; }

    /// <summary>The process's own standard output and error.</summary>
    public static CliConsole ForProcess()
    {
        var outputRedirected = Console.IsOutputRedirected;
        var errorRedirected = Console.IsErrorRedirected;
        var output = Terminal(Console.Out, outputRedirected);
        var error = Terminal(Console.Error, errorRedirected);
        var interactive = !outputRedirected && !errorRedirected && error.Profile.Capabilities.Interactive;
        var answers = Console.IsInputRedirected || errorRedirected ? null : Console.In;
        return new CliConsole(Console.Out, Console.Error, output, error, interactive, handlesProcessTermination: true, TimeProvider.System, answers);
    }

    /// <summary>Writers that collect what a command writes, with no colours, no progress and unwrapped tables.</summary>
    /// <param name="answers">A person's answers, one a line; null: nobody to ask.</param>
    public static CliConsole Capture(TextWriter output, TextWriter error, TimeProvider? clock = null, TextReader? answers = null) =>
        new(output, error, Plain(output), Plain(error), showsProgress: false, handlesProcessTermination: false, clock ?? TimeProvider.System, answers);

    private static IAnsiConsole Terminal(TextWriter writer, bool redirected)
    {
        if (redirected)
            return Plain(writer);
        return AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
    }

    private static IAnsiConsole Plain(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = UnwrappedWidth;
        return console;
    }
}
