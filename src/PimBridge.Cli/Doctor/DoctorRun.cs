using System.Diagnostics;
using System.Text.Json.Serialization;

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

/// <summary>One line of the doctor's report (and one element of <c>checks</c> in its JSON).</summary>
internal sealed record CheckResult(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("fix")] string? Fix,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    [JsonIgnore]
    public CheckStatus Outcome => Status switch
    {
        "pass" => CheckStatus.Pass,
        "fail" => CheckStatus.Fail,
        "skipped" => CheckStatus.Skipped,
        _ => CheckStatus.NotChecked,
    };

    public static string StatusName(CheckStatus status) => status switch
    {
        CheckStatus.Pass => "pass",
        CheckStatus.Fail => "fail",
        CheckStatus.Skipped => "skipped",
        _ => "not-checked",
    };
}

/// <summary>
/// Runs checks one after another, each under its own time limit, and hands each result to <c>report</c> as soon as it
/// is known, so a slow or hanging dependency shows up as the line the doctor is stuck on, then as a failure.
/// </summary>
internal sealed class DoctorRun(TimeSpan timeout, Action<CheckResult> report)
{
    private readonly List<CheckResult> _results = [];

    public IReadOnlyList<CheckResult> Results => _results;

    public bool Failed => _results.Any(r => r.Outcome == CheckStatus.Fail);

    public TimeSpan Timeout => timeout;

    /// <summary>Runs one check; true when it passed. A time-out or an unexpected exception is a failure, with a fix.</summary>
    public async Task<bool> CheckAsync(string id, string title, Func<CancellationToken, Task<CheckOutcome>> check, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        CheckOutcome outcome;
        try
        {
            outcome = await check(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            outcome = CheckOutcome.Fail($"no answer within {timeout.TotalSeconds:0} s.",
                "Check network access from this machine (proxy, firewall, DNS, the Region), then run doctor again; --timeout gives a slow network longer.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = CheckOutcome.Fail($"failed: {e.GetType().Name}: {FirstLine(e.Message)}",
                "Read the message above; run again with --verbose for details, and report it if it looks like a PimBridge bug.");
        }

        Add(id, title, outcome, watch.Elapsed);
        return outcome.Status == CheckStatus.Pass;
    }

    /// <summary>Records a line that needs no work: a skip, or what cannot be checked.</summary>
    public void Record(string id, string title, CheckOutcome outcome) => Add(id, title, outcome, TimeSpan.Zero);

    private void Add(string id, string title, CheckOutcome outcome, TimeSpan elapsed)
    {
        var result = new CheckResult(id, title, CheckResult.StatusName(outcome.Status), outcome.Detail, outcome.Fix, Math.Round(elapsed.TotalSeconds, 3));
        _results.Add(result);
        report(result);
    }

    public static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 400 ? line[..400] + "…" : line;
    }
}
