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

test("the example stack settings are valid as written", () => {
    // Pulumi hands structured values to the program as JSON text; plain values as strings.
    const config = Object.fromEntries(Object.entries(example.config).map(([k, v]) =>
        [k.replace(/^pimbridge:/, ""), typeof v === "string" ? v : JSON.stringify(v)]));
    const settings = readSettings(sourceOf(config, { graphClientState: "x" }));
    assert.equal(settings.mappings.length, 2);
    assert.deepEqual(settings.accounts, ["222233334444", "555566667777", "888899990000"]);
});
