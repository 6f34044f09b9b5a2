using System.Text.Json.Nodes;

namespace PimBridge.Host.Events;

/// <summary>What one delivery did, event by event; <see cref="ValidationCode"/> is set for an Event Grid subscription validation.</summary>
public sealed class IngestResult
{
    public string? ValidationCode { get; set; }

    public List<(string Id, EventOutcome Outcome, string Detail)> Events { get; } = [];

    public int Count(EventOutcome outcome) => Events.Count(e => e.Outcome == outcome);

    public JsonObject ToJson() => new()
    {
        ["hinted"] = Count(EventOutcome.Hinted),
        ["duplicates"] = Count(EventOutcome.Duplicate),
        ["unmapped"] = Count(EventOutcome.Unmapped),
        ["ignored"] = Count(EventOutcome.Ignored),
        ["lifecycle"] = Count(EventOutcome.Lifecycle),
        ["rejected"] = new JsonArray(Events.Where(e => e.Outcome == EventOutcome.Rejected)
            .Select(e => (JsonNode)new JsonObject { ["id"] = e.Id, ["reason"] = e.Detail }).ToArray()),
    };
}
