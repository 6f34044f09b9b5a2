namespace PimBridge.Core.Ports;

/// <summary>A record changed since it was read; re-read and decide again.</summary>
public sealed class ConcurrencyConflictException(string recordType, string key)
    : Exception($"The {recordType} '{key}' was changed by someone else since it was read; re-read it and try again.")
{
    public string RecordType { get; } = recordType;
    public string Key { get; } = key;
}
