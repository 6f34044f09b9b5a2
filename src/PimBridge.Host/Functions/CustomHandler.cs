using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PimBridge.Host.Events;
using PimBridge.Host.Worker;

namespace PimBridge.Host.Functions;

/// <summary>
/// The Azure Functions custom handler (§7 of the reference): the Functions host POSTs
/// <c>{"Data": {...}, "Metadata": {...}}</c> to <c>/{functionName}</c> and reads back
/// <c>{"Outputs": {}, "Logs": [...], "ReturnValue": null}</c>; a non-2xx status fails the invocation (for Event Grid,
/// a redelivery). Three functions:
/// <list type="bullet">
/// <item>the Event Grid trigger: the event under <c>Data.{binding}</c>, as a JSON object or as a JSON string holding
/// it (the host's serialization is unverified, so both), handled like a webhook delivery; the Functions host has
/// already authenticated it (the <c>eventgrid_extension</c> key) and answered the handshakes;</item>
/// <item>a timer reconciling every mapped group from PIM, then ticking;</item>
/// <item>a daily timer keeping the Graph subscriptions (<c>IGraphSubscriptions.EnsureAsync</c>).</item>
/// </list>
/// These routes are mapped only under the Functions host (or when enabled explicitly): they carry no authentication
/// of their own, so a plain web host must not expose them.
/// </summary>
internal static class CustomHandler
{
    public static void Map(WebApplication app, PimBridgeHostOptions.FunctionsOptions functions)
    {
        app.MapPost("/" + functions.EventGridFunction, EventGridAsync);
        app.MapPost("/" + functions.ReconcileFunction, ReconcileAsync);
        app.MapPost("/" + functions.SubscriptionsFunction, SubscriptionsAsync);
    }

    private static async Task<IResult> EventGridAsync(HttpContext context, EventIngestor ingestor, IOptions<PimBridgeHostOptions> options, ILogger<EventIngestor> log)
    {
        var logs = new List<string>();
        try
        {
            var data = await ReadDataAsync(context, options.Value.MaxBodyBytes).ConfigureAwait(false);
            var binding = options.Value.Functions.EventGridBinding;
            var trigger = Find(data, binding) ?? (data.Count == 1 ? data.Single().Value : null)
                ?? throw new EventFormatException($"The invocation has no Data.{binding} (the eventGridTrigger binding's name in function.json).");
            var json = trigger is JsonValue value && value.TryGetValue<string>(out var text) ? text : trigger.ToJsonString();
            var result = await ingestor.IngestAsync(BinaryData.FromString(json), context.RequestAborted).ConfigureAwait(false);
            logs.AddRange(result.Lines());
            if (result.ValidationCode is not null) logs.Add("a subscription validation event reached the function; the Functions host answers those itself");
            return Invocation(StatusCodes.Status200OK, logs);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Failure(ex, logs, log);
        }
    }

    private static async Task<IResult> ReconcileAsync(HttpContext context, EnforcementWorker worker, IOptions<PimBridgeHostOptions> options, ILogger<EnforcementWorker> log)
    {
        var logs = new List<string>();
        try
        {
            var data = await ReadDataAsync(context, options.Value.MaxBodyBytes).ConfigureAwait(false);
            if (PastDue(data)) logs.Add("the timer is past due");
            var done = await worker.ReconcileAllAsync(context.RequestAborted).ConfigureAwait(false);
            if (done.SkippedUntil is { } until)
            {
                logs.Add($"skipped: PIM is throttling PimBridge until {until:O}");
            }
            else
            {
                var plan = done.Plan!;
                logs.Add($"reconciled {done.Groups} mapped groups from PIM: {plan.NewGrants.Count} new grants, {plan.EndChanges.Count} end changes, " +
                         $"{plan.Stops.Count} stops, {plan.Unmapped.Count} unmapped users; {done.Ticks} ticks");
            }

            return Invocation(StatusCodes.Status200OK, logs);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Failure(ex, logs, log);
        }
    }

    private static async Task<IResult> SubscriptionsAsync(HttpContext context, ComponentsProvider components, IOptions<PimBridgeHostOptions> options, ILogger<ComponentsProvider> log)
    {
        var logs = new List<string>();
        try
        {
            await ReadDataAsync(context, options.Value.MaxBodyBytes).ConfigureAwait(false);
            var parts = await components.GetAsync(context.RequestAborted).ConfigureAwait(false);
            var report = await parts.RequireSubscriptions().EnsureAsync(context.RequestAborted).ConfigureAwait(false);
            logs.AddRange(report.Actions.Select(a =>
                $"{a.Resource} (group {a.GroupId}): {a.Action}{(a.SubscriptionId is null ? "" : $", subscription {a.SubscriptionId}")}{(a.ExpiresAt is { } at ? $", expires {at:O}" : "")}{(a.Error is null ? "" : $": {a.Error}")}"));
            var failed = report.Actions.Count(a => a.Action == "failed");
            if (failed == 0) return Invocation(StatusCodes.Status200OK, logs);
            logs.Add($"{failed} of {report.Actions.Count} subscriptions could not be kept");
            return Invocation(StatusCodes.Status500InternalServerError, logs);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Failure(ex, logs, log);
        }
    }

    /// <summary>The invocation's <c>Data</c> object (empty when the host sent none).</summary>
    private static async Task<JsonObject> ReadDataAsync(HttpContext context, long limit)
    {
        var body = await EventsEndpoint.ReadBodyAsync(context.Request, limit, context.RequestAborted).ConfigureAwait(false);
        JsonNode? envelope;
        try
        {
            envelope = JsonNode.Parse(body.ToMemory().Span);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"The invocation request is not JSON: {ex.Message}", ex);
        }

        if (envelope is not JsonObject root)
            throw new EventFormatException("The invocation request must be a JSON object with Data and Metadata.");
        return Find(root, "Data") switch
        {
            JsonObject data => data,
            null => [],
            _ => throw new EventFormatException("The invocation request's Data must be a JSON object."),
        };
    }

    /// <summary>Whether the timer value (an object, or a string holding one) says IsPastDue.</summary>
    private static bool PastDue(JsonObject data)
    {
        var timer = data.Count == 1 ? data.Single().Value : null;
        try
        {
            if (timer is JsonValue value && value.TryGetValue<string>(out var text)) timer = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return false;
        }

        return timer is JsonObject o && Find(o, "IsPastDue") is JsonValue pastDue && pastDue.TryGetValue<bool>(out var due) && due;
    }

    private static JsonNode? Find(JsonObject obj, string name) =>
        obj.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static IResult Failure(Exception error, List<string> logs, ILogger log)
    {
        var status = error switch
        {
            EventFormatException => StatusCodes.Status400BadRequest,
            ComponentsUnavailableException => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        };
        if (status == StatusCodes.Status500InternalServerError) log.LogError(error, "A function invocation failed");
        logs.Add($"failed: {error.Message}");
        return Invocation(status, logs);
    }

    private static IResult Invocation(int status, IEnumerable<string> logs) => Results.Json(new JsonObject
    {
        ["Outputs"] = new JsonObject(),
        ["Logs"] = new JsonArray(logs.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
        ["ReturnValue"] = null,
    }, statusCode: status);
}
