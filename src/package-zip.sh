#!/usr/bin/env bash
# Zips a folder's contents at the archive's root, keeping Unix mode bits, so that executables stay executable where
# the zip is run from: Lambda (bootstrap) and Azure Functions run-from-package (the custom handler). Deployment tools
# that zip a folder themselves (Pulumi's AssetArchive) drop the modes, so the packaging scripts zip here instead.
#
#   src/package-zip.sh <folder> <output.zip>        (uses zip, or python3 when zip is not installed)
set -euo pipefail
[ $# -eq 2 ] || { echo "package-zip: usage: package-zip.sh <folder> <output.zip>" >&2; exit 2; }
src="$(cd "$1" && pwd)"
mkdir -p "$(dirname "$2")"
dst="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
rm -f "$dst"
if command -v zip >/dev/null 2>&1; then
  (cd "$src" && zip -q -r -X "$dst" .)
elif command -v python3 >/dev/null 2>&1; then
  python3 - "$src" "$dst" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, _, files in os.walk(src):
        for name in sorted(files):
            full = os.path.join(folder, name)
            info = zipfile.ZipInfo.from_file(full, os.path.relpath(full, src))  # keeps the mode bits
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as f:
                z.writestr(info, f.read())
PY
else
  echo "package-zip: neither zip nor python3 is installed: install one (apt-get install zip) and re-run." >&2
  exit 1
fi
