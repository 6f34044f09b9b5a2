import * as pulumi from "@pulumi/pulumi";
import { specialSigKey, specialSecretSig } from "@pulumi/pulumi/runtime/rpc";
import { readSettings, PimBridgeSettings, SettingsSource } from "../src/settings";

/** Every resource the program registered, as the engine would receive it. */
export interface RegisteredResource {
    type: string;
    name: string;
    inputs: any;
}

export const registered: RegisteredResource[] = [];
export const testAccountId = "999988887777";
export const testPrincipalId = "5c0ffee0-1111-2222-3333-444455556666";

pulumi.runtime.setMocks({
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, any> = { ...args.inputs };
        // What the providers would compute: names, ARNs and the Function App's identity.
        state.name = args.inputs.name ?? `${args.name}-physical`;
        if (args.type.startsWith("aws:")) {
            const service = args.type.split(":")[1].split("/")[0];
            state.arn = service === "dynamodb"
                ? `arn:aws:dynamodb:eu-west-1:${testAccountId}:table/${state.name}`
                : service === "cloudwatch" && args.type.includes("LogGroup")
                    ? `arn:aws:logs:eu-west-1:${testAccountId}:log-group:${state.name}`
                    : `arn:aws:${service}:eu-west-1:${testAccountId}:${args.type.split(":")[2]}/${state.name}`;
        }
        if (args.type === "azure-native:web:WebApp") {
            state.identity = { ...args.inputs.identity, principalId: testPrincipalId, tenantId: "tenant" };
            state.defaultHostName = `${state.name}.azurewebsites.net`;
        }
        if (args.type === "azure-native:storage:StorageAccount")
            state.primaryEndpoints = { blob: `https://${state.name}.blob.core.windows.net/` };
        return { id: `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity")
            return { accountId: testAccountId, arn: `arn:aws:iam::${testAccountId}:user/test`, userId: "test", id: testAccountId };
        return args.inputs;
    },
}, "pimbridge", "test", false);

/** A complete, valid set of stack settings; tests change one key at a time. */
export const validConfig: Record<string, string> = {
    identityCenterInstanceArn: "arn:aws:sso:::instance/ssoins-0123456789abcdef",
    identityStoreId: "d-1234567890",
    identityCenterRegion: "eu-west-1",
    identityCenterAccountId: "111122223333",
    mappings: JSON.stringify([
        {
            name: "prod-admin", entraGroupId: "11111111-1111-1111-1111-111111111111",
            accountAssignments: { permissionSet: "AdministratorAccess", accounts: ["222233334444", "555566667777"] },
            maxDuration: "4h",
        },
        { name: "platform", entraGroupId: "22222222-2222-2222-2222-222222222222", identityCenterGroup: { displayName: "Platform Engineers" } },
    ]),
    watchedAccounts: JSON.stringify(["888899990000"]),
    auditRoleName: "PimBridgeAudit",
    alertSinks: JSON.stringify([{ name: "security-slack", type: "slack", minimumSeverity: "warning" }, { name: "audit-log", type: "log" }]),
    azureTenantId: "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e",
    azureSubscriptionId: "00000000-0000-0000-0000-000000000001",
    partnerTopicName: "pimbridge-graph",
};
export const validSecrets: Record<string, string> = {
    graphClientState: "client-state-secret",
    eventDeliverySecret: "event-delivery-secret-0123456789",
    alertSinkUrls: JSON.stringify({ "security-slack": "https://hooks.slack.com/services/T/B/x" }),
};

export function sourceOf(config: Record<string, string | undefined>, secrets: Record<string, string | undefined> = validSecrets): SettingsSource {
    return {
        get: key => config[key] ?? secrets[key],
        getSecret: key => secrets[key] ?? config[key],
    };
}

export function settingsWith(overrides: Record<string, string | undefined> = {}): PimBridgeSettings {
    return readSettings(sourceOf({ ...validConfig, ...overrides }));
}

export function promiseOf<T>(output: pulumi.Input<T> | undefined): Promise<T> {
    return new Promise(resolve => pulumi.output(output).apply(value => { resolve(value as T); return value; }));
}

/** A stand-in for the built zip: mocks never read it. */
export const fakeArchive = () => new pulumi.asset.AssetArchive({ bootstrap: new pulumi.asset.StringAsset("#!/bin/sh\n") });

/** The engine's wire form marks a secret as { <signature>: <secret sig>, value }; tests look at the values. */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value === null || typeof value !== "object") return value;
    if (value[specialSigKey] === specialSecretSig) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
}
