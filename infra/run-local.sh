#!/usr/bin/env bash
# Runs the whole system locally: the emulator (moto; skipped if AWS_ENDPOINT_URL is set),
# the table/queues/bucket, every HTTP function on http://127.0.0.1:${PORT:-8000}/api/v1/,
# and the AI worker on the job queue (offline AI provider unless an account configures
# OpenAI or Runware).
#
#   infra/run-local.sh          serve until Ctrl-C
#   infra/run-local.sh --demo   serve, and run the whole pipeline once (infra/demo/pipeline.py)
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/emulator/lib.sh

start_emulator "${EMULATOR_PORT:-4566}"
export PORT="${PORT:-8000}"
if [ "${1:-}" != "--demo" ]; then
  exec cargo run --quiet -p igny8-local -- serve
fi

cargo build --quiet -p igny8-local
"${CARGO_TARGET_DIR:-target}/debug/igny8-local" serve &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/system/status/", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
PY
python3 infra/demo/pipeline.py "http://127.0.0.1:$PORT/api/v1"
echo "Still serving on http://127.0.0.1:$PORT/api/v1/ (Ctrl-C to stop)."
wait "$server"
