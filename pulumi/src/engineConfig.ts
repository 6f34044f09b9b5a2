import * as pulumi from "@pulumi/pulumi";
import { PimBridgeSettings } from "./settings";

/** Which process runs the engine: the gap detector runs in the watcher only; only the Azure side talks to Graph. */
export type EngineHost = "watcher" | "function";

/**
 * The engine file (docs/configuration.md) built from the stack settings, without secrets: the watcher gets it as
 * PIMBRIDGE_CONFIG_JSON, and so does the Function App (an app setting), so both packages are the same for every stack.
 * A change of mappings is a `pulumi up`.
 */
export function engineConfig(settings: PimBridgeSettings, host: EngineHost): Record<string, unknown> {
    const ic = settings.identityCenter;
    const config: Record<string, unknown> = {
        IdentityCenter: { InstanceArn: ic.instanceArn, IdentityStoreId: ic.identityStoreId, Region: ic.region, MatchUsersBy: ic.matchUsersBy },
        Mappings: settings.mappings.map(m => ({
            Name: m.name,
            EntraGroupId: m.entraGroupId,
            Access: m.access,
            IdentityCenterGroup: m.identityCenterGroup && { Id: m.identityCenterGroup.id, DisplayName: m.identityCenterGroup.displayName },
            AccountAssignments: m.accountAssignments && { PermissionSet: m.accountAssignments.permissionSet, Accounts: m.accountAssignments.accounts },
            MaxDuration: m.maxDuration,
            IncludePermanent: m.includePermanent,
            FenceSessions: m.fenceSessions,
        })),
    };
    if (host === "watcher") {
        const source = settings.gapSource;
        config.Gaps = {
            Interval: settings.gapsInterval,
            // Both sources also read the Identity Center account, where GetRoleCredentials is recorded.
            Source: source.type === "s3"
                // The watcher role is what the trail bucket's (and key's) policy lets read it (docs/deploy.md).
                ? { Type: "s3", Bucket: source.bucket, Prefix: source.prefix, OrganizationId: source.organizationId,
                    IdentityCenterAccountId: ic.accountId, Regions: settings.gapsRegions }
                // The audit roles trust the watcher role only.
                : { Type: "lookup-events", AuditRoleName: source.auditRoleName, IdentityCenterAccountId: ic.accountId, Regions: settings.gapsRegions },
        };
    }
    if (settings.alertSinks.length > 0)
        config.Notifications = { Sinks: settings.alertSinks.map(s => ({ Name: s.name, Type: s.type, MinimumSeverity: s.minimumSeverity, Kinds: s.kinds })) };
    if (host === "function") {
        config.Entra = {
            Mode: "ManagedIdentity",
            TenantId: settings.azure.tenantId,
            Subscriptions: {
                AzureSubscriptionId: settings.azure.subscriptionId,
                ResourceGroup: settings.azure.partnerTopicResourceGroup,
                PartnerTopic: settings.azure.partnerTopicName,
                Location: settings.azure.location,
            },
        };
    }
    // undefined members vanish in JSON: an unset optional setting keeps the engine's default.
    return JSON.parse(JSON.stringify(config));
}

export function engineConfigJson(settings: PimBridgeSettings, host: EngineHost): string {
    return JSON.stringify(engineConfig(settings, host), null, 2);
}

/**
 * The engine's secrets as `PIMBRIDGE_` overrides (sections joined by `__`, list items by index), kept out of the
 * engine file and marked secret so Pulumi encrypts them in its state.
 */
export function engineSecretEnvironment(settings: PimBridgeSettings, host: EngineHost): Record<string, pulumi.Input<string>> {
    const env: Record<string, pulumi.Input<string>> = {};
    settings.alertSinks.forEach((s, i) => {
        if (settings.alertSinkUrls !== undefined && s.type !== "log") // a log sink has no URL
            env[`PIMBRIDGE_Notifications__Sinks__${i}__Url`] = pulumi.secret(settings.alertSinkUrls.apply(urls => urls[s.name] ?? ""));
    });
    if (host === "watcher" && settings.gapSource.type === "lookup-events" && settings.gapSource.auditExternalId !== undefined)
        env.PIMBRIDGE_Gaps__Source__ExternalId = settings.gapSource.auditExternalId;
    if (host === "function")
        env.PIMBRIDGE_Entra__Subscriptions__ClientState = settings.graphClientState;
    return env;
}
