namespace PimBridge.Core.Domain;

/// <summary>A permission set in an account, as a group's account assignment or a fence target.</summary>
public sealed record PermissionSetAccount(string PermissionSetArn, string AccountId);
