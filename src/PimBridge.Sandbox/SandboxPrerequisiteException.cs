namespace PimBridge.Sandbox;

/// <summary>What the sandbox needs from the machine is missing (moto_server), or could not start; the message says how to fix it.</summary>
public sealed class SandboxPrerequisiteException(string message, Exception? inner = null) : Exception(message, inner);
