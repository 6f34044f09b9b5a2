#!/usr/bin/env bash
# Builds the deployable Azure Functions app: PimBridge.Functions published framework-dependent for linux-x64 (the
# Function App's .NET isolated runtime stack supplies .NET), with host.json, functions.metadata and worker.config.json
# at the folder's root; and <folder>.zip, the same files, for run-from-package (the Pulumi program deploys this zip).
# The package holds no stack settings (the engine configuration arrives as PIMBRIDGE_CONFIG_JSON): one build serves
# every stack. Run with FUNCTIONS_WORKER_RUNTIME=dotnet-isolated.
#
#   src/PimBridge.Functions/publish-functions.sh [output folder]     (default: artifacts/functions and artifacts/functions.zip)
#
# PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH, when set, keeps every project's bin/obj there instead of in the source tree
# (the publish test uses it so its linux-x64 restore and publish never race a build of the working tree).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../artifacts/functions}"
out="${out%/}"
configuration="${CONFIGURATION:-Release}"

rm -rf "$out"
mkdir -p "$out"
publish_args=(-c "$configuration" -r linux-x64 --self-contained false -o "$out")
[ -n "${PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH:-}" ] && publish_args+=(--artifacts-path "$PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH")
dotnet publish "$here/PimBridge.Functions.csproj" "${publish_args[@]}"

# The Functions host reads these three from the folder's root: without them it finds no function to run.
for file in host.json functions.metadata worker.config.json; do
  [ -f "$out/$file" ] || { echo "publish-functions: $out/$file is missing" >&2; exit 1; }
done
"$here/../package-zip.sh" "$out" "$out.zip"
echo "publish-functions: $(cd "$out" && pwd) holds host.json, functions.metadata and worker.config.json; zipped to $out.zip"
