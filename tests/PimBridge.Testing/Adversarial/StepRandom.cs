namespace PimBridge.Testing.Adversarial;

/// <summary>
/// The world's one source of chance, reseeded at every schedule step from the seed and the step's own salt, so a
/// step draws the same faults, crashes and interleavings whatever steps before it were dropped: shrinking removes
/// steps without changing what the remaining ones meet.
/// </summary>
public sealed class StepRandom(int seed) : Random
{
    private Random _inner = new(seed);

    public int Seed { get; } = seed;

    /// <summary>Draws from here on depend only on the seed and <paramref name="salt"/>.</summary>
    public void Reseed(int salt) => _inner = new Random(unchecked(Seed * 1_000_003 + salt * 7_919 + 31)); // not HashCode: that is salted per process

    public override int Next() => _inner.Next();

    public override int Next(int maxValue) => _inner.Next(maxValue);

    public override int Next(int minValue, int maxValue) => _inner.Next(minValue, maxValue);

    public override long NextInt64() => _inner.NextInt64();

    public override long NextInt64(long maxValue) => _inner.NextInt64(maxValue);

    public override long NextInt64(long minValue, long maxValue) => _inner.NextInt64(minValue, maxValue);

    public override double NextDouble() => _inner.NextDouble();

    public override float NextSingle() => _inner.NextSingle();

    public override void NextBytes(byte[] buffer) => _inner.NextBytes(buffer);

    public override void NextBytes(Span<byte> buffer) => _inner.NextBytes(buffer);

    protected override double Sample() => _inner.NextDouble();
}
