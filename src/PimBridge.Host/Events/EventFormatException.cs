namespace PimBridge.Host.Events;

/// <summary>A request body that is not a valid delivery: refused with 400 and nothing changed.</summary>
internal sealed class EventFormatException(string message, Exception? inner = null) : Exception(message, inner);
