using PimBridge.Core.Configuration;
using PimBridge.Testing.Adversarial;
using Xunit.Abstractions;

namespace PimBridge.Safety.Tests;

/// <summary>
/// The oracle and the shrinker against a defect planted by configuration: a cutoff margin of one minute, shorter than
/// removals and provisioning take in the model, leaves sessions usable after their entitlement ended (I2).
/// </summary>
public sealed class ShrinkTests(ITestOutputHelper output)
{
    private static readonly Action<PimBridgeOptions> MarginTooShort = o => o.Fences.CutoffMargin = "1m";

    [Fact]
    public async Task A_failing_schedule_shrinks_to_a_shorter_one_that_fails_the_same_way_every_time()
    {
        const int seed = 1;
        var steps = Schedules.Generate(seed);
        var failed = await Schedules.RunAsync(seed, steps, configure: MarginTooShort);
        Assert.Equal("I2", Assert.IsType<Violation>(failed.Violations.FirstOrDefault()).Invariant);

        var shrunk = await Schedules.ShrinkAsync(seed, steps, "I2", MarginTooShort);
        output.WriteLine($"seed {seed}: {steps.Count} steps shrink to {shrunk.Count}: {string.Join(", ", shrunk)}");

        Assert.InRange(shrunk.Count, 1, steps.Count - 1);
        Assert.All(shrunk, step => Assert.Contains(step, steps)); // each kept step keeps its salt, so it meets the same chance
        var first = await Schedules.RunAsync(seed, shrunk, configure: MarginTooShort);
        var second = await Schedules.RunAsync(seed, shrunk, configure: MarginTooShort);
        Assert.Contains(first.Violations, v => v.Invariant == "I2");
        Assert.Equal(first.Fingerprint, second.Fingerprint);

        // Minimal: dropping any one step left makes the failure go away.
        for (var i = 0; i < shrunk.Count; i++)
        {
            var without = shrunk.Where((_, index) => index != i).ToList();
            Assert.DoesNotContain((await Schedules.RunAsync(seed, without, configure: MarginTooShort)).Violations, v => v.Invariant == "I2");
        }
    }

    [Fact]
    public async Task The_same_schedule_with_the_default_margin_keeps_the_invariants()
    {
        var result = await Schedules.RunAsync(1);
        Assert.True(result.Passed, string.Join(Environment.NewLine, result.Violations.Take(3)));
    }
}
