using Microsoft.Extensions.Options;

namespace PimBridge.Host;

internal sealed class PimBridgeHostOptionsValidator : IValidateOptions<PimBridgeHostOptions>
{
    public ValidateOptionsResult Validate(string? name, PimBridgeHostOptions options)
    {
        var problems = new List<string>();
        var at = PimBridgeHostOptions.Section;
        if (!options.EventsPath.StartsWith('/'))
            problems.Add($"{at}:EventsPath must start with '/', got '{options.EventsPath}'.");
        if (options.MaxBodyBytes <= 0)
            problems.Add($"{at}:MaxBodyBytes must be positive, got {options.MaxBodyBytes}.");
        if (options.Dedupe.Capacity <= 0 || options.Dedupe.Ttl <= TimeSpan.Zero)
            problems.Add($"{at}:Dedupe: Capacity and Ttl must be positive.");
        var w = options.Worker;
        if (w.TickInterval <= TimeSpan.Zero)
            problems.Add($"{at}:Worker:TickInterval must be positive, got {w.TickInterval}.");
        if (w.PollInterval < TimeSpan.Zero || w.MinPollSpacing <= TimeSpan.Zero || w.ThrottleBaseDelay <= TimeSpan.Zero || w.ThrottleMaxDelay < w.ThrottleBaseDelay)
            problems.Add($"{at}:Worker: PollInterval must not be negative, MinPollSpacing and ThrottleBaseDelay must be positive, ThrottleMaxDelay at least ThrottleBaseDelay.");
        if (w.PollInterval > TimeSpan.Zero && w.FullPollInterval < w.PollInterval)
            problems.Add($"{at}:Worker:FullPollInterval must be at least PollInterval ({w.PollInterval}): the full read is the slower safety net under the membership delta, got {w.FullPollInterval}.");
        if (w.MaxTicksInARow < 1)
            problems.Add($"{at}:Worker:MaxTicksInARow must be at least 1.");
        if (options.Bearer.Enabled && string.IsNullOrEmpty(options.Bearer.MetadataAddress) && !options.Bearer.ValidIssuers.Any(i => !string.IsNullOrWhiteSpace(i)))
            problems.Add($"{at}:Bearer: with ValidAudiences set, set MetadataAddress (the OpenID Connect metadata URL) or ValidIssuers and a signing key source.");
        if (options.SharedSecret.Enabled && string.IsNullOrWhiteSpace(options.SharedSecret.HeaderName) && string.IsNullOrWhiteSpace(options.SharedSecret.QueryParameter))
            problems.Add($"{at}:SharedSecret: set HeaderName or QueryParameter (or both).");
        if (options.Metrics.Enabled && !options.Metrics.Path.StartsWith('/'))
            problems.Add($"{at}:Metrics:Path must start with '/', got '{options.Metrics.Path}'.");
        // The handshake compares WebHook-Request-Origin, a bare host name: a URL or a blank entry would never match.
        foreach (var origin in options.AllowedWebHookOrigins.Where(o => o != "*" && (string.IsNullOrWhiteSpace(o) || o.Contains("://", StringComparison.Ordinal) || o.Contains('/'))))
            problems.Add($"{at}:AllowedWebHookOrigins: '{origin}' is not a host name (for example eventgrid.azure.net) or '*'.");
        if (string.IsNullOrEmpty(options.WebHookAllowedRate))
            problems.Add($"{at}:WebHookAllowedRate must be a number or '*'.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
