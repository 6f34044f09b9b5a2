import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { registered, validConfig, validSecrets, promiseOf, testAccountId, testPrincipalId, unwrapSecrets } from "./mocks";

// The whole program (index.ts) as `pulumi up` runs it, with its stack settings and built packages in place.
const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), "pimbridge-artifacts-"));
fs.writeFileSync(path.join(artifacts, "pimbridge-watcher.zip"), "zip");
fs.writeFileSync(path.join(artifacts, "functions.zip"), "zip");
const config = { ...validConfig, ...validSecrets, watcherPackage: path.join(artifacts, "pimbridge-watcher.zip"), functionsPackage: path.join(artifacts, "functions.zip") };
pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([k, v]) => [`pimbridge:${k}`, v])),
    Object.keys(validSecrets).map(k => `pimbridge:${k}`));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program = require("../index");

test("the program wires the Function App to the bridge role it creates, and the role to the Function App's identity", async () => {
    assert.equal(await promiseOf(program.stateTable), "pimbridge-test");
    await promiseOf(program.bridgeRole);
    assert.equal(await promiseOf(program.functionPrincipalId), testPrincipalId);
    const bridgeRole = registered.find(r => r.type === "aws:iam/role:Role" && r.inputs.name === "pimbridge-bridge-test");
    assert.ok(bridgeRole, "the bridge role was not registered");
    const app = await waitFor(() => registered.find(r => r.type === "azure-native:web:WebApp"));
    const settings = Object.fromEntries(unwrapSecrets(app.inputs.siteConfig).appSettings.map((s: any) => [s.name, s.value]));
    assert.equal(settings.PimBridge__Aws__WebIdentityRoleArn, `arn:aws:iam::${testAccountId}:role/pimbridge-bridge-test`);
    assert.equal(settings.PimBridge__DynamoDbTable, "pimbridge-test");
    assert.ok(JSON.parse(settings.PIMBRIDGE_CONFIG_JSON).Entra, "the Function App's engine file is not the function's");
    const blob = await waitFor(() => registered.find(r => r.type === "azure-native:storage:Blob"));
    assert.equal(await blob.inputs.source.path, path.join(artifacts, "functions.zip"), "the Function App package is not the built zip");
    await promiseOf(program.bridgeRole);
    const trust = JSON.parse(registered.find(r => r.type === "aws:iam/role:Role" && r.inputs.name === "pimbridge-bridge-test")!.inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0].Condition.StringEquals["sts.windows.net/8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e/:sub"], testPrincipalId);
    // What the audit roles, or with gapsSource s3 the trail bucket's owner, trust; the default source has no bucket statements.
    assert.match(await promiseOf(program.watcherRole), /^arn:aws:iam:.*\/pimbridge-watcher-role/);
    assert.equal(program.trailBucketPolicyStatements, undefined);
    assert.ok(program.auditRoleTemplate);
    assert.deepEqual(await promiseOf(program.graphPermissionsToConsent), ["PrivilegedAssignmentSchedule.Read.AzureADGroup", "User.Read.All", "Group.Read.All"]);
    const providers = registered.filter(r => r.type.startsWith("pulumi:providers:"));
    assert.deepEqual(providers.map(p => [p.type, p.inputs.region ?? p.inputs.subscriptionId]).sort(),
        [["pulumi:providers:aws", "eu-west-1"], ["pulumi:providers:azure-native", "00000000-0000-0000-0000-000000000001"]]);
    fs.rmSync(artifacts, { recursive: true, force: true });
});

async function waitFor<T>(find: () => T | undefined): Promise<T> {
    for (let i = 0; i < 100; i++) {
        const found = find();
        if (found !== undefined) return found;
        await new Promise(r => setTimeout(r, 20));
    }
    throw new Error("not registered within 2 s");
}
