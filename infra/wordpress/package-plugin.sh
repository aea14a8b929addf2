#!/usr/bin/env bash
# Builds target/igny8-bridge-<version>.zip from wordpress/igny8-bridge/ (the zip holds the
# igny8-bridge/ folder, as WordPress's plugin upload expects) and prints its path.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/wordpress"
main="$src/igny8-bridge/igny8-bridge.php"

version="$(sed -n 's/^[[:space:]]*\*[[:space:]]*Version:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$main" | head -n 1)"
if [[ -z "$version" ]]; then
  echo "package-plugin: no Version: in $main" >&2
  exit 1
fi

mkdir -p "$root/target"
out="$root/target/igny8-bridge-$version.zip"
rm -f "$out"

if command -v zip >/dev/null 2>&1; then
  (cd "$src" && zip -q -r -X "$out" igny8-bridge -x '*/.*' -x '.*')
else
  python3 - "$src" "$out" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirnames, filenames in os.walk(os.path.join(src, "igny8-bridge")):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            z.write(path, os.path.relpath(path, src))
PY
fi

echo "$out"
