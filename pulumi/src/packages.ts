import * as fs from "fs";
import * as path from "path";
import { PimBridgeSettings, StackSettingsError, configNamespace } from "./settings";

/**
 * Checks that the two build outputs the program deploys exist before anything is planned, so a forgotten build is one
 * clear message instead of a provider error halfway through `pulumi up`.
 */
export function checkPackages(settings: PimBridgeSettings, baseDir: string, exists: (p: string) => boolean = fs.existsSync): void {
    const problems: string[] = [];
    const watcher = path.resolve(baseDir, settings.watcher.packagePath);
    if (!exists(watcher))
        problems.push(`${configNamespace}:watcherPackage: ${watcher} does not exist; build it with src/PimBridge.Lambda/build-lambda.sh `
            + `(it writes artifacts/pimbridge-watcher.zip), or point the setting at the zip with \`pulumi config set ${configNamespace}:watcherPackage <path>\``);
    const functions = path.resolve(baseDir, settings.azure.functionsPackagePath);
    if (!exists(functions))
        problems.push(`${configNamespace}:functionsPackage: ${functions} does not exist; build it with src/PimBridge.Functions/publish-functions.sh `
            + `(it writes artifacts/functions.zip), or point the setting at the zip with \`pulumi config set ${configNamespace}:functionsPackage <path>\``);
    if (problems.length > 0) throw new StackSettingsError(problems);
}
