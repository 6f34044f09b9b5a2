#!/usr/bin/env bash
# Builds the PimBridge watcher's Lambda package for the provided.al2023 runtime (x86_64):
# a self-contained linux-x64 publish whose executable is named bootstrap, zipped at the package root into
# artifacts/pimbridge-watcher.zip. Usage: src/PimBridge.Lambda/build-lambda.sh [output.zip]
# Optionally packages a pimbridge.json beside bootstrap: PIMBRIDGE_LAMBDA_CONFIG=path/to/pimbridge.json (docs/lambda.md).
# PIMBRIDGE_LAMBDA_ARTIFACTS_PATH, when set, keeps every project's bin/obj there instead of in the source tree
# (the package test uses it so it never races a build of the working tree).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
zip_path="${1:-$root/artifacts/pimbridge-watcher.zip}"

command -v dotnet >/dev/null 2>&1 || { echo "build-lambda: the .NET 10 SDK is missing: install it (https://dot.net) and re-run." >&2; exit 1; }

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
publish_args=(-c Release -r linux-x64 --self-contained -p:PublishSingleFile=false -o "$staging" --nologo)
[ -n "${PIMBRIDGE_LAMBDA_ARTIFACTS_PATH:-}" ] && publish_args+=(--artifacts-path "$PIMBRIDGE_LAMBDA_ARTIFACTS_PATH")
dotnet publish "$here/PimBridge.Lambda.csproj" "${publish_args[@]}"
[ -x "$staging/bootstrap" ] || { echo "build-lambda: the publish has no executable bootstrap in $staging" >&2; exit 1; }
if [ -n "${PIMBRIDGE_LAMBDA_CONFIG:-}" ]; then
  [ -f "$PIMBRIDGE_LAMBDA_CONFIG" ] || { echo "build-lambda: PIMBRIDGE_LAMBDA_CONFIG=$PIMBRIDGE_LAMBDA_CONFIG is not a file: point it at the engine configuration or unset it." >&2; exit 1; }
  cp "$PIMBRIDGE_LAMBDA_CONFIG" "$staging/pimbridge.json"
fi

"$root/src/package-zip.sh" "$staging" "$zip_path"
echo "build-lambda: wrote $zip_path"
