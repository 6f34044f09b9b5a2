namespace PimBridge.Sandbox.Graph;

/// <summary>What the stub answers: a status, an optional JSON body (sent verbatim) and headers.</summary>
public sealed record StubResponse(int Status, string? Json = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static StubResponse Ok(string json) => new(200, json);

    public static StubResponse Created(string json) => new(201, json);

    public static readonly StubResponse NoContent = new(204);

    /// <summary>Graph's error envelope, as documented for every API.</summary>
    public static StubResponse Error(int status, string code, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, GraphJson.Error(code, message), headers);
}
