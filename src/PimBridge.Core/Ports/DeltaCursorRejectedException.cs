namespace PimBridge.Core.Ports;

/// <summary>The change source no longer accepts a saved cursor (expired, or it asks for a full resync): start over.</summary>
public sealed class DeltaCursorRejectedException(string message, Exception? inner = null) : Exception(message, inner);
