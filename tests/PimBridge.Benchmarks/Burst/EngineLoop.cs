using System.Diagnostics;
using PimBridge.Core.Engine;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// Ticks the enforcer as the host's worker does: back to back while ticks find work, and when one finds nothing,
/// again after <c>idle</c> (the host's <c>Worker:TickInterval</c>, 1 s by default; the host also wakes at once on a
/// hint, which the burst records before the loop starts). Counts ticks and what they did.
/// </summary>
internal sealed class EngineLoop(Enforcer enforcer, TimeSpan idle)
{
    public int Ticks { get; private set; }

    public TickResult Total { get; private set; } = TickResult.None;

    public void Reset()
    {
        Ticks = 0;
        Total = TickResult.None;
    }

    /// <summary>
    /// Ticks until <paramref name="done"/> holds after a tick that found nothing to do (so the work it waits for has
    /// settled), or throws after <paramref name="limit"/>. <paramref name="progress"/> is printed every 30 s.
    /// </summary>
    public async Task RunUntilAsync(Func<Task<bool>> done, TimeSpan limit, Func<Task<string>> progress)
    {
        var clock = Stopwatch.StartNew();
        var reported = TimeSpan.Zero;
        while (true)
        {
            var tick = await enforcer.TickAsync();
            Ticks++;
            Total += tick;
            if (clock.Elapsed - reported >= TimeSpan.FromSeconds(30))
            {
                reported = clock.Elapsed;
                Console.WriteLine($"    … {clock.Elapsed.TotalSeconds:0} s: {await progress()}, {Ticks} ticks");
            }

            if (!tick.DidNothing) continue;
            if (await done()) return;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"not done after {limit.TotalMinutes:0} min: {await progress()}");
            await Task.Delay(idle);
        }
    }
}
