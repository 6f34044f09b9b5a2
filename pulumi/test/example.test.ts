import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { readSettings } from "../src/settings";
import { sourceOf } from "./mocks";

const example = yaml.load(fs.readFileSync(path.resolve(__dirname, "../Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
const settingsSource = fs.readFileSync(path.resolve(__dirname, "../src/settings.ts"), "utf8");
/** Every key the program reads, from settings.ts itself. */
const keysRead = [...settingsSource.matchAll(/(?:get|getSecret|required|optional|integer|json<[^>]*>|stringList)\("([A-Za-z]+)"/g)].map(m => m[1]);
const secretKeys = [...settingsSource.matchAll(/getSecret\("([A-Za-z]+)"\)/g)].map(m => m[1]);

test("Pulumi.example.yaml documents every stack setting", () => {
    assert.ok(keysRead.length >= 25, `only ${keysRead.length} keys found in settings.ts`);
    const text = fs.readFileSync(path.resolve(__dirname, "../Pulumi.example.yaml"), "utf8");
    for (const key of new Set(keysRead)) {
        if (secretKeys.includes(key)) assert.match(text, new RegExp(`pulumi config set --secret pimbridge:${key} `), `secret ${key} is not documented`);
        else assert.ok(`pimbridge:${key}` in example.config, `pimbridge:${key} is not in Pulumi.example.yaml`);
    }
    for (const key of Object.keys(example.config)) assert.ok(keysRead.includes(key.replace(/^pimbridge:/, "")), `${key} is documented but never read`);
});

// Pulumi hands structured values to the program as JSON text; plain values as strings.
const exampleConfig: Record<string, string | undefined> = Object.fromEntries(Object.entries(example.config).map(([k, v]) =>
    [k.replace(/^pimbridge:/, ""), typeof v === "string" ? v : JSON.stringify(v)]));

test("the example stack settings are valid as written", () => {
    const settings = readSettings(sourceOf(exampleConfig, { graphClientState: "x", eventDeliverySecret: "x".repeat(16) }));
    assert.equal(settings.mappings.length, 2);
    assert.deepEqual(settings.accounts, ["222233334444", "555566667777", "888899990000"]);
    assert.equal(settings.gapSource.type, "lookup-events");
});

test("the example's s3 gap source settings are valid once gapsSource is s3", () => {
    // The StackSet's organizational units belong to lookup-events and are refused with s3 (the example says so).
    const settings = readSettings(sourceOf({ ...exampleConfig, gapsSource: "s3", auditRoleOrganizationalUnitIds: undefined }, { graphClientState: "x", eventDeliverySecret: "x".repeat(16) }));
    assert.deepEqual(settings.gapSource, {
        type: "s3", bucket: "org-cloudtrail-logs", prefix: "cloudtrail", organizationId: "o-a1b2c3d4e5",
        kmsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    });
});
