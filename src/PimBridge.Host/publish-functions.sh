#!/usr/bin/env bash
# Builds one deployable Azure Functions folder: the custom handler (self-contained, linux-x64), host.json, and one
# folder per function with its function.json; and <folder>.zip, the same files with their Unix modes kept, so the
# handler stays executable when the Function App runs from the package (the Pulumi program deploys this zip). The
# package holds no stack settings (the engine configuration arrives as PIMBRIDGE_CONFIG_JSON): one build serves every
# stack. Run with FUNCTIONS_WORKER_RUNTIME=custom.
#
#   src/PimBridge.Host/publish-functions.sh [output folder]     (default: artifacts/functions and artifacts/functions.zip)
#
# PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH, when set, keeps every project's bin/obj there instead of in the source tree
# (the package test uses it so its linux-x64 restore and publish never race a build of the working tree).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../artifacts/functions}"
out="${out%/}"
configuration="${CONFIGURATION:-Release}"

rm -rf "$out"
mkdir -p "$out"
publish_args=(-c "$configuration" -r linux-x64 --self-contained true -o "$out" -p:UseAppHost=true)
[ -n "${PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH:-}" ] && publish_args+=(--artifacts-path "$PIMBRIDGE_FUNCTIONS_ARTIFACTS_PATH")
dotnet publish "$here/PimBridge.Host.csproj" "${publish_args[@]}"
cp "$here/functions/host.json" "$out/host.json"
for function in "$here"/functions/*/; do
  name="$(basename "$function")"
  mkdir -p "$out/$name"
  cp "$function/function.json" "$out/$name/function.json"
done

# The host starts the executable host.json names, from the folder's root: it must be there and runnable.
executable="$(sed -n 's/.*"defaultExecutablePath": *"\([^"]*\)".*/\1/p' "$out/host.json")"
[ -x "$out/$executable" ] || { echo "publish-functions: $out/$executable (host.json's defaultExecutablePath) is missing or not executable" >&2; exit 1; }
"$here/../package-zip.sh" "$out" "$out.zip"
echo "publish-functions: $(cd "$out" && pwd) holds host.json, $(ls -d "$out"/*/ | wc -l) functions and $executable; zipped to $out.zip"
