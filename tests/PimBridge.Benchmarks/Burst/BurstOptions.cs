using System.Globalization;

namespace PimBridge.Benchmarks.Burst;

/// <summary>The <c>burst</c> mode's command line.</summary>
internal sealed record BurstOptions
{
    public const string Usage =
        "usage: burst [--aws model|moto (model)] [--shape account|accounts3|group|group+accounts3 (account)] [--activations N (1000)] [--groups G (10)] " +
        "[--in-progress SECONDS (1)] [--rps R (20)] [--warmup W (3)] [--parallelism P (Enforcer.Parallelism's default)] [--expiry [--dead-sink] [--slow-provisioning SECONDS]] [--idle-ms MS (1000)] [--timeout-minutes M (90)] [--wire-csv FILE]";

    /// <summary>"model" (the adversarial model at AWS's quotas) or "moto".</summary>
    public string Aws { get; init; } = "model";

    public BurstShape Shape { get; init; } = BurstShape.Account;

    /// <summary>Simultaneous activations, each a user of its own.</summary>
    public int Activations { get; init; } = 1000;

    /// <summary>Entra groups the activations are spread over (each mapped as the shape says), as in the <c>latency</c> mode.</summary>
    public int Groups { get; init; } = 10;

    /// <summary>How long the model keeps each asynchronous operation IN_PROGRESS (AWS: about 1–3 s).</summary>
    public TimeSpan InProgress { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clients' RequestsPerSecond, each (the default, AWS's quota).</summary>
    public double RequestsPerSecond { get; init; } = 20;

    /// <summary>Activations granted one at a time first, not counted (JIT, caches, connections as in a running host).</summary>
    public int Warmup { get; init; } = 3;

    /// <summary>The engine's Enforcer.Parallelism; null for its default.</summary>
    public int? Parallelism { get; init; }

    /// <summary>After the burst, end every activation of it at one instant and measure the removals.</summary>
    public bool Expiry { get; init; }

    /// <summary>With <see cref="Expiry"/>: the engine's notifications go to a webhook that accepts and never answers.</summary>
    public bool DeadSink { get; init; }

    /// <summary>
    /// With <see cref="Expiry"/> (model only): another permission set whose provisioning stays IN_PROGRESS this long,
    /// provisioning a fence at the expiry instant, with a few of its grants ending at the instant too.
    /// </summary>
    public TimeSpan? SlowProvisioning { get; init; }

    /// <summary>The pause after a tick that found nothing (the host's Worker:TickInterval).</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(90);

    /// <summary>With <see cref="Expiry"/>: every sso-admin and Identity Store attempt of the expiry phase, as CSV (seconds after the end, operation, error code).</summary>
    public string? WireCsv { get; init; }

    public static BurstOptions? Parse(string[] args, out string? error)
    {
        var options = new BurstOptions();
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            try
            {
                options = args[i] switch
                {
                    "--aws" => options with { Aws = Next() switch { "model" => "model", "moto" => "moto", _ => throw new FormatException("--aws is model or moto") } },
                    "--shape" => options with { Shape = BurstShapes.Parse(Next()) ?? throw new FormatException($"--shape is one of {string.Join(", ", BurstShapes.Names.Select(n => n.Name))}") },
                    "--activations" => options with { Activations = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--groups" => options with { Groups = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--in-progress" => options with { InProgress = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                    "--rps" => options with { RequestsPerSecond = double.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--warmup" => options with { Warmup = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--parallelism" => options with { Parallelism = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--expiry" => options with { Expiry = true },
                    "--dead-sink" => options with { DeadSink = true },
                    "--slow-provisioning" => options with { SlowProvisioning = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                    "--idle-ms" => options with { Idle = TimeSpan.FromMilliseconds(int.Parse(Next(), CultureInfo.InvariantCulture)) },
                    "--wire-csv" => options with { WireCsv = Next() },
                    "--timeout-minutes" => options with { Timeout = TimeSpan.FromMinutes(int.Parse(Next(), CultureInfo.InvariantCulture)) },
                    _ => throw new FormatException($"unknown argument {args[i]}"),
                };
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }

        error = options switch
        {
            { Activations: < 1 } or { Groups: < 1 } => "--activations and --groups must be at least 1",
            { Warmup: < 0 } => "--warmup must not be negative",
            { RequestsPerSecond: <= 0 } => "--rps must be positive",
            { Expiry: false, DeadSink: true } or { Expiry: false, SlowProvisioning: not null } or { Expiry: false, WireCsv: not null } => "--dead-sink, --slow-provisioning and --wire-csv go with --expiry",
            { SlowProvisioning: not null, Aws: not "model" } => "--slow-provisioning needs --aws model",
            { SlowProvisioning: { } slow } when slow <= TimeSpan.Zero => "--slow-provisioning must be positive",
            _ when options.InProgress < TimeSpan.Zero || options.Idle < TimeSpan.Zero => "--in-progress and --idle-ms must not be negative",
            _ => null,
        };
        return error is null ? options : null;
    }
}
