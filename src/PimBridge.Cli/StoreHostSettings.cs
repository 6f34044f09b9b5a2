namespace PimBridge.Cli;

/// <summary>The state store as host settings, what it is (for messages), and the SQLite file's full path when it is one.</summary>
internal sealed record StoreHostSettings(IReadOnlyDictionary<string, string?> Settings, string Describe, string? SqlitePath);
