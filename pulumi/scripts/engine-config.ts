/**
 * Prints the engine configuration (docs/configuration.md) a stack's settings give one host, exactly as `pulumi up`
 * deploys it as PIMBRIDGE_CONFIG_JSON to the watcher or the Function App. Use it to review a change
 * before deploying it; the .NET tests load its output through the engine's own configuration checks.
 *
 *   npm run --silent engine-config -- <Pulumi.<stack>.yaml> <watcher|function>
 *
 * The engine file holds no secrets (they reach the hosts as PIMBRIDGE_ variables), so encrypted values in the stack
 * file are never decrypted: each stands in as set.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { configNamespace, readSettings, SettingsSource, StackSettingsError } from "../src/settings";
import { EngineHost, engineConfigJson } from "../src/engineConfig";

const usage = "usage: npm run --silent engine-config -- <Pulumi.<stack>.yaml> <watcher|function>";
const hosts: readonly EngineHost[] = ["watcher", "function"];

function fail(message: string): never {
    process.stderr.write(`engine-config: ${message}\n`);
    process.exit(message === usage ? 2 : 1);
}

/** A stack file's settings as Pulumi hands them to the program: structured values as JSON text. */
function stackFileSource(text: string): SettingsSource {
    const document = yaml.load(text) as { config?: Record<string, unknown> } | undefined;
    const values = new Map<string, unknown>();
    for (const [key, value] of Object.entries(document?.config ?? {}))
        if (key.startsWith(`${configNamespace}:`)) values.set(key.slice(configNamespace.length + 1), value);
    const isEncrypted = (value: unknown) => typeof value === "object" && value !== null && "secure" in value;
    const plain = (value: unknown) => value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
    return {
        get: key => isEncrypted(values.get(key)) ? undefined : plain(values.get(key)),
        // Secrets are checked here only for being set; an encrypted one is set. A JSON secret (alertSinkUrls) only
        // feeds variables, so an encrypted one is left out rather than replaced by a value it would fail to parse.
        getSecret: key => {
            const value = values.get(key);
            if (!isEncrypted(value)) return plain(value);
            // A placeholder long enough for the length checks (eventDeliverySecret's 16 characters); never printed.
            return key === "alertSinkUrls" ? undefined : "(encrypted value)";
        },
    };
}

if (require.main === module) {
    const [file, host] = process.argv.slice(2);
    if (file === undefined || !hosts.includes(host as EngineHost)) fail(usage);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        fail(`${file} cannot be read (${(e as Error).message}); give the path of a Pulumi.<stack>.yaml file.`);
    }
    try {
        process.stdout.write(engineConfigJson(readSettings(stackFileSource(text)), host as EngineHost) + "\n");
    } catch (e) {
        if (e instanceof StackSettingsError || e instanceof yaml.YAMLException) fail(`${file}: ${(e as Error).message}`);
        throw e;
    }
}
