import * as pulumi from "@pulumi/pulumi";
import { PimBridgeSettings } from "./settings";

/**
 * The engine settings as `PIMBRIDGE_` environment variables (docs/configuration.md: sections joined by `__`, list
 * items by index), so neither the Lambda nor the Function App needs an engine file in its package and a change of
 * mappings is a `pulumi up`, not a rebuild.
 */
export function engineEnvironment(settings: PimBridgeSettings, host: "watcher" | "function"): Record<string, pulumi.Input<string>> {
    const env: Record<string, pulumi.Input<string>> = {};
    const put = (key: string, value: pulumi.Input<string> | boolean | undefined) => {
        if (value !== undefined) env[`PIMBRIDGE_${key}`] = typeof value === "boolean" ? String(value) : value;
    };
    const ic = settings.identityCenter;
    put("IdentityCenter__InstanceArn", ic.instanceArn);
    put("IdentityCenter__IdentityStoreId", ic.identityStoreId);
    put("IdentityCenter__Region", ic.region);
    put("IdentityCenter__MatchUsersBy", ic.matchUsersBy);

    settings.mappings.forEach((m, i) => {
        const at = `Mappings__${i}__`;
        put(`${at}Name`, m.name);
        put(`${at}EntraGroupId`, m.entraGroupId);
        put(`${at}Access`, m.access);
        put(`${at}IdentityCenterGroup__Id`, m.identityCenterGroup?.id);
        put(`${at}IdentityCenterGroup__DisplayName`, m.identityCenterGroup?.displayName);
        put(`${at}AccountAssignments__PermissionSet`, m.accountAssignments?.permissionSet);
        m.accountAssignments?.accounts.forEach((a, j) => put(`${at}AccountAssignments__Accounts__${j}`, a));
        put(`${at}MaxDuration`, m.maxDuration);
        put(`${at}IncludePermanent`, m.includePermanent);
        put(`${at}FenceSessions`, m.fenceSessions);
    });

    if (host === "watcher") {
        // The gap detector runs in the watcher only: the audit roles trust the watcher role, not the bridge.
        put("Gaps__Interval", settings.gapsInterval);
        put("Gaps__Source__Type", "lookup-events");
        put("Gaps__Source__AuditRoleName", settings.auditRoleName);
        put("Gaps__Source__IdentityCenterAccountId", ic.accountId);
        put("Gaps__Source__ExternalId", settings.auditExternalId);
        settings.gapsRegions.forEach((r, k) => put(`Gaps__Source__Regions__${k}`, r));
    }

    settings.alertSinks.forEach((s, i) => {
        const at = `Notifications__Sinks__${i}__`;
        put(`${at}Name`, s.name);
        put(`${at}Type`, s.type);
        put(`${at}MinimumSeverity`, s.minimumSeverity);
        s.kinds?.forEach((kind, k) => put(`${at}Kinds__${k}`, kind));
        if (settings.alertSinkUrls !== undefined && s.type !== "log") // a log sink has no URL
            put(`${at}Url`, pulumi.secret(settings.alertSinkUrls.apply(urls => urls[s.name] ?? "")));
    });

    if (host === "function") {
        // Only the Azure side talks to Graph: it has the managed identity Graph trusts.
        put("Entra__Mode", "ManagedIdentity");
        put("Entra__TenantId", settings.azure.tenantId);
        put("Entra__Subscriptions__AzureSubscriptionId", settings.azure.subscriptionId);
        put("Entra__Subscriptions__Location", settings.azure.location);
        put("Entra__Subscriptions__PartnerTopic", settings.azure.partnerTopicName);
        put("Entra__Subscriptions__ResourceGroup", settings.azure.partnerTopicResourceGroup);
        put("Entra__Subscriptions__ClientState", settings.graphClientState);
    }
    return env;
}
