namespace PimBridge.Composition;

/// <summary>The engine could not be composed; <see cref="Exception.Message"/> says why.</summary>
public sealed class ComponentsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
