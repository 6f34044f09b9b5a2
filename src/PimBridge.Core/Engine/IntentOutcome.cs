namespace PimBridge.Core.Engine;

/// <summary>How one run of an intent ended.</summary>
internal enum IntentOutcome { Done, Failed, Superseded, Waiting, Skipped }
