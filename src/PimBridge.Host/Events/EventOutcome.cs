namespace PimBridge.Host.Events;

public enum EventOutcome { Hinted, Duplicate, Unmapped, Ignored, Rejected, Lifecycle }
