#!/usr/bin/env bash
# Runs the whole system locally: the emulator (moto; skipped if AWS_ENDPOINT_URL is set),
# the table/queues/bucket, and every HTTP function on http://127.0.0.1:${PORT:-8000}/api/v1/.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/emulator/lib.sh

start_emulator "${EMULATOR_PORT:-4566}"
export PORT="${PORT:-8000}"
cargo run --quiet -p igny8-local -- serve
