namespace PimBridge.Sandbox;

/// <summary>A PIM activation made through the sandbox's control surface, listed by the Graph stub from its start to its end.</summary>
public sealed record StubActivation(PimUser User, PimGroup Group, string InstanceId, DateTimeOffset Start, DateTimeOffset End);
