namespace PimBridge.Host.Events;

/// <summary>
/// One delivered event, whichever schema carried it, or (with <see cref="Error"/>) an element of a batch that is not
/// one. Its identity is <see cref="Key"/>: CloudEvents identify an event by source and id together.
/// </summary>
internal sealed record IncomingEvent(string Id, string Type, string? Subject, BinaryData? Data, string? Source = null, string? Error = null)
{
    public string Key => $"{Source}\n{Id}";
}
