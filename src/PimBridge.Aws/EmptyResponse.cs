namespace PimBridge.Aws;

/// <summary>The output of an operation that has no output members; AWS may answer <c>{}</c> or an empty body.</summary>
public sealed record EmptyResponse;
