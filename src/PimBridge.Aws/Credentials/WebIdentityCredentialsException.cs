namespace PimBridge.Aws.Credentials;

/// <summary>The host could not obtain AWS credentials from its Entra managed identity; the message says what to check.</summary>
internal sealed class WebIdentityCredentialsException(string message, Exception? inner = null) : Exception(message, inner);
