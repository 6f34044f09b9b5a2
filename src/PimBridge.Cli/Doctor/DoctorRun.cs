using System.Diagnostics;

namespace PimBridge.Cli.Doctor;

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
