import { test } from "node:test";
import * as assert from "node:assert/strict";
import { registered, settingsWith, promiseOf, fakeArchive, testPrincipalId, unwrapSecrets } from "./mocks";
import { PimBridgeAzure, graphApplicationPermissions, azureRoles, functionsPackage } from "../src/azure";
import { engineConfig, engineConfigJson } from "../src/engineConfig";

const settings = settingsWith({ azureLocation: "northeurope", partnerTopicResourceGroup: "graph-events" });
const stack = new PimBridgeAzure("pb", {
    settings,
    functionsCode: fakeArchive(),
    awsRoleArn: "arn:aws:iam::111122223333:role/pimbridge-bridge-prod",
    awsRegion: "eu-west-1",
    tableName: "pimbridge-prod",
});
const withoutTopic = new PimBridgeAzure("pb2", {
    settings: settingsWith({ partnerTopicName: undefined }),
    functionsCode: fakeArchive(),
    awsRoleArn: "arn:aws:iam::111122223333:role/x",
    awsRegion: "eu-west-1",
    tableName: "t",
});

/** What the program sent to the provider (some inputs, such as app settings, are not outputs of the resource). */
async function inputsOf(type: string, name: string): Promise<any> {
    await promiseOf(stack.urn);
    await promiseOf(stack.functionApp.id);
    await promiseOf(stack.eventSubscription!.id);
    const found = registered.filter(r => r.type === type && r.name === name);
    assert.equal(found.length, 1, `${type} ${name} registered ${found.length} times`);
    return found[0].inputs;
}
const appSettingsOf = async (): Promise<Record<string, string>> =>
    Object.fromEntries(unwrapSecrets((await inputsOf("azure-native:web:WebApp", "pb-func")).siteConfig).appSettings.map((s: any) => [s.name, s.value]));

test("the Function App is a Linux custom handler with a system-assigned identity", async () => {
    const app = stack.functionApp;
    assert.equal(await promiseOf(app.kind), "functionapp,linux");
    assert.equal(await promiseOf(app.reserved), true);
    assert.equal(await promiseOf(app.httpsOnly), true);
    assert.equal((await promiseOf(app.identity))!.type, "SystemAssigned");
    assert.equal(await promiseOf(app.serverFarmId), await promiseOf(stack.plan.id));
    assert.deepEqual(await promiseOf(stack.plan.sku), { name: "Y1", tier: "Dynamic" });
    assert.equal(await promiseOf(stack.plan.reserved), true);
    assert.equal(await promiseOf(stack.principalId), testPrincipalId);
    assert.equal(await promiseOf(stack.resourceGroup.location), "northeurope");
});

test("the app settings run the package keylessly and point at the AWS bridge role and table", async () => {
    const s = await appSettingsOf();
    assert.equal(s.FUNCTIONS_WORKER_RUNTIME, "custom");
    assert.equal(s.FUNCTIONS_EXTENSION_VERSION, "~4");
    assert.equal(s.PimBridge__Aws__WebIdentityRoleArn, "arn:aws:iam::111122223333:role/pimbridge-bridge-prod");
    assert.equal(s.PimBridge__Aws__WebIdentityAudience, "api://AzureADTokenExchange");
    assert.equal(s.AWS_REGION, "eu-west-1");
    assert.equal(s.PimBridge__Store, "dynamodb");
    assert.equal(s.PimBridge__DynamoDbTable, "pimbridge-prod");
    assert.equal(s.PimBridge__Host__ClientState, "client-state-secret");
    assert.equal(s.PIMBRIDGE_Entra__Subscriptions__ClientState, "client-state-secret");
    assert.equal(s.PimBridge__ConfigFile, "/home/site/wwwroot/pimbridge.json");
    assert.equal(s.PIMBRIDGE_Gaps__Source__ExternalId, undefined, "the gap detector runs in the watcher only");
    const account = await promiseOf(stack.storageAccount.name);
    assert.equal(s.AzureWebJobsStorage__accountName, account);
    assert.equal(s.WEBSITE_RUN_FROM_PACKAGE, `https://${account}.blob.core.windows.net/${await promiseOf(stack.packageContainer.name)}/${await promiseOf(stack.packageBlob.name)}`);
    assert.equal(s.WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID, "SystemAssigned");
    for (const [key, value] of Object.entries(s)) assert.ok(!/AccountKey=|sig=/.test(String(value)), `${key} carries a storage key or SAS`);
});

test("the storage account takes no shared keys and the identity gets only the data roles it needs", async () => {
    assert.equal(await promiseOf(stack.storageAccount.allowSharedKeyAccess), false);
    assert.equal(await promiseOf(stack.storageAccount.allowBlobPublicAccess), false);
    const assignments = await Promise.all(stack.roleAssignments.map(a => promiseOf(a.roleDefinitionId)));
    assert.deepEqual(assignments, Object.values(azureRoles)
        .map(id => `/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${id}`));
    for (const a of stack.roleAssignments) {
        assert.equal(await promiseOf(a.principalId), testPrincipalId);
        assert.equal(await promiseOf(a.scope), await promiseOf(stack.storageAccount.id));
    }
});

test("the Graph partner topic delivers to the GraphEvents function", async () => {
    const sub = stack.eventSubscription!;
    assert.ok(sub);
    const inputs = await inputsOf("azure-native:eventgrid:PartnerTopicEventSubscription", "pb-graph-events");
    assert.equal(unwrapSecrets(inputs).partnerTopicName, "pimbridge-graph");
    assert.equal(inputs.resourceGroupName, "graph-events");
    const destination = (await promiseOf(sub.destination)) as any;
    assert.equal(destination.endpointType, "AzureFunction");
    assert.equal(destination.resourceId, `${await promiseOf(stack.functionApp.id)}/functions/GraphEvents`);
    assert.equal(await promiseOf(sub.eventDeliverySchema), "CloudEventSchemaV1_0");
});

test("without a partner topic there is no event subscription yet", () => {
    assert.equal(withoutTopic.eventSubscription, undefined);
});

test("the Graph permissions to consent are the ones docs/entra.md lists", async () => {
    const fs = await import("fs");
    const path = await import("path");
    const doc = fs.readFileSync(path.resolve(__dirname, "../../docs/entra.md"), "utf8");
    const listed = doc.slice(doc.indexOf("Graph application permissions"), doc.indexOf("Graph application permissions") + 400);
    for (const permission of graphApplicationPermissions) assert.ok(listed.includes(`\`${permission}\``), `${permission} is not in docs/entra.md`);
    assert.equal(graphApplicationPermissions.length, (listed.match(/`[A-Za-z]+(\.[A-Za-z]+)+`/g) ?? []).length);
});

test("the function package is the publish folder plus the engine file for Graph and the store", async () => {
    const fs = await import("fs");
    const os = await import("os");
    const path = await import("path");
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pimbridge-functions-"));
    try {
        fs.writeFileSync(path.join(folder, "host.json"), "{}");
        fs.mkdirSync(path.join(folder, "GraphEvents"));
        fs.writeFileSync(path.join(folder, "GraphEvents", "function.json"), "{}");
        const archive = functionsPackage(folder, engineConfigJson(settings, "function"));
        const assets = await (archive.assets as any as Promise<Record<string, any>>);
        assert.deepEqual(Object.keys(assets).sort(), ["GraphEvents/function.json", "host.json", "pimbridge.json"]);
        const engine = JSON.parse(await assets["pimbridge.json"].text);
        assert.deepEqual(engine, engineConfig(settings, "function"));
        assert.deepEqual(engine.Entra, { Mode: "ManagedIdentity", TenantId: "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e",
            Subscriptions: { AzureSubscriptionId: "00000000-0000-0000-0000-000000000001", ResourceGroup: "graph-events", PartnerTopic: "pimbridge-graph", Location: "northeurope" } });
        assert.equal(engine.Gaps, undefined);
        assert.ok(!JSON.stringify(engine).includes("client-state-secret"), "the clientState is in the engine file");
    } finally {
        fs.rmSync(folder, { recursive: true, force: true });
    }
});
