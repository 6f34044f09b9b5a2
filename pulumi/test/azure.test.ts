import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { registered, settingsWith, promiseOf, testPrincipalId, unwrapSecrets } from "./mocks";
import { PimBridgeAzure, graphApplicationPermissions, azureRoles } from "../src/azure";
import { engineConfig } from "../src/engineConfig";

const settings = settingsWith({ azureLocation: "northeurope", partnerTopicResourceGroup: "graph-events" });
const stack = new PimBridgeAzure("pb", {
    settings,
    functionsPackagePath: "/deploy/artifacts/functions.zip",
    awsRoleArn: "arn:aws:iam::111122223333:role/pimbridge-bridge-prod",
    awsRegion: "eu-west-1",
    tableName: "pimbridge-prod",
});
const withoutTopic = new PimBridgeAzure("pb2", {
    settings: settingsWith({ partnerTopicName: undefined }),
    functionsPackagePath: "/deploy/artifacts/functions.zip",
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

test("the Function App is a Linux .NET 10 isolated-worker app with a system-assigned identity", async () => {
    const app = stack.functionApp;
    assert.equal(await promiseOf(app.kind), "functionapp,linux");
    assert.equal(await promiseOf(app.reserved), true);
    assert.equal(await promiseOf(app.httpsOnly), true);
    assert.equal((await promiseOf(app.identity))!.type, "SystemAssigned");
    assert.equal(await promiseOf(app.serverFarmId), await promiseOf(stack.plan.id));
    assert.equal(unwrapSecrets(await inputsOf("azure-native:web:WebApp", "pb-func")).siteConfig.linuxFxVersion, "DOTNET-ISOLATED|10.0");
    assert.deepEqual(await promiseOf(stack.plan.sku), { name: "Y1", tier: "Dynamic" });
    assert.equal(await promiseOf(stack.plan.reserved), true);
    assert.equal(await promiseOf(stack.principalId), testPrincipalId);
    assert.equal(await promiseOf(stack.resourceGroup.location), "northeurope");
});

test("the app settings run the package keylessly and point at the AWS bridge role and table", async () => {
    const s = await appSettingsOf();
    assert.equal(s.FUNCTIONS_WORKER_RUNTIME, "dotnet-isolated");
    assert.equal(s.FUNCTIONS_EXTENSION_VERSION, "~4");
    assert.equal(s.PimBridge__Aws__WebIdentityRoleArn, "arn:aws:iam::111122223333:role/pimbridge-bridge-prod");
    assert.equal(s.PimBridge__Aws__WebIdentityAudience, "api://AzureADTokenExchange");
    assert.equal(s.AWS_REGION, "eu-west-1");
    assert.equal(s.PimBridge__Store, "dynamodb");
    assert.equal(s.PimBridge__DynamoDbTable, "pimbridge-prod");
    // One clientState: the subscriptions are created with it and the webhook checks notifications against it.
    assert.equal(s.PIMBRIDGE_Entra__Subscriptions__ClientState, "client-state-secret");
    assert.equal(s.PimBridge__Host__ClientState, undefined, "a host setting would fail the host's start (no longer a setting)");
    // The webhook checks the secret the event subscription sends with every delivery.
    assert.equal(s.PimBridge__Host__SharedSecret__Secret, "event-delivery-secret-0123456789");
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

test("the Graph partner topic delivers to the GraphEvents HTTP function as a webhook, with the delivery secret", async () => {
    const sub = stack.eventSubscription!;
    assert.ok(sub);
    const inputs = await inputsOf("azure-native:eventgrid:PartnerTopicEventSubscription", "pb-graph-events");
    assert.equal(unwrapSecrets(inputs).partnerTopicName, "pimbridge-graph");
    assert.equal(inputs.resourceGroupName, "graph-events");
    const destination = (await promiseOf(sub.destination)) as any;
    assert.equal(destination.endpointType, "WebHook");
    assert.equal(destination.endpointUrl, "https://pb-func-physical.azurewebsites.net/api/events");
    assert.deepEqual(unwrapSecrets(destination.deliveryAttributeMappings),
        [{ name: "X-PimBridge-Secret", type: "Static", value: "event-delivery-secret-0123456789", isSecret: true }]);
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

test("the package blob uploads publish-functions.sh's zip as it is", async () => {
    // A FileArchive of a .zip goes to the blob byte for byte: the package the script built and its test checked. An
    // AssetArchive (or a folder) would be zipped by the Pulumi engine instead (without Unix modes, pulumi/pulumi#3593).
    const source = (await inputsOf("azure-native:storage:Blob", "pb-functions-zip")).source;
    assert.ok(source instanceof pulumi.asset.FileArchive, `the blob's source is a ${source?.constructor?.name}, not a FileArchive`);
    assert.ok(!(source instanceof pulumi.asset.AssetArchive), "an AssetArchive would be zipped by the engine, not the built package");
    const zipPath = await source.path;
    assert.equal(zipPath, "/deploy/artifacts/functions.zip");
    assert.match(zipPath, /\.zip$/, "only a FileArchive whose path ends in .zip is passed through unchanged");
});

test("a package that is not a zip is refused, naming the script that builds one", () => {
    assert.throws(() => new PimBridgeAzure("pb3", {
        settings, functionsPackagePath: "/deploy/artifacts/functions", awsRoleArn: "arn:aws:iam::111122223333:role/x", awsRegion: "eu-west-1", tableName: "t",
    }), /must be the \.zip src\/PimBridge\.Functions\/publish-functions\.sh writes \(got "\/deploy\/artifacts\/functions"\)/);
});

test("the Function App gets its engine file in PIMBRIDGE_CONFIG_JSON, not in the package", async () => {
    const s = await appSettingsOf();
    assert.equal(s.PimBridge__ConfigFile, undefined, "PimBridge__ConfigFile points into the package, which no longer holds the engine file");
    assert.ok(!Object.keys(s).some(key => /ConfigFile/i.test(key)), "an app setting still names an engine file");
    const engine: any = JSON.parse(s.PIMBRIDGE_CONFIG_JSON);
    assert.equal(engine.IdentityCenter.InstanceArn, "arn:aws:sso:::instance/ssoins-0123456789abcdef");
    assert.equal(engine.Mappings.length, 2);
    assert.deepEqual(engine, engineConfig(settings, "function"));
    assert.deepEqual(engine.Entra, { Mode: "ManagedIdentity", TenantId: "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e",
        Subscriptions: { AzureSubscriptionId: "00000000-0000-0000-0000-000000000001", ResourceGroup: "graph-events", PartnerTopic: "pimbridge-graph", Location: "northeurope" } });
    assert.equal(engine.Gaps, undefined, "the gap detector runs in the watcher only");
    assert.ok(!s.PIMBRIDGE_CONFIG_JSON.includes("client-state-secret") && !s.PIMBRIDGE_CONFIG_JSON.includes("hooks.slack.com"),
        "a secret is in the engine file");
});
