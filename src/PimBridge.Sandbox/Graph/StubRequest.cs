using System.Text.Json.Nodes;

namespace PimBridge.Sandbox.Graph;

/// <summary>One request the stub received, as it arrived on the wire.</summary>
public sealed record StubRequest(string Method, string Path, string RawQuery, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, string Body, TimeSpan ArrivedAt)
{
    public JsonNode? Json => string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
