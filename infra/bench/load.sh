#!/usr/bin/env bash
# Load test (not part of the test suite): drives the local gateway on loopback with many
# concurrent clients, on a private table, queues and bucket, so that it can share an
# emulator with a running local stack. See load.py for the scenarios and invariants.
#
#   infra/bench/load.sh [mix|warm|lists]  mix (default): hardening, fails if an invariant breaks
#                                       warm: requests/s and latency at 1, 10 and 50 clients
#                                       lists: read cost and time of list pages (LOAD_KEYWORDS=10000)
#   LOAD_CLIENTS=50 LOAD_SECONDS=60 LOAD_ACCOUNTS=5 LOAD_DRAIN_SECONDS=60   (mix)
#   LOAD_SECONDS=10                                                         (warm, per row)
#   LOAD_RELEASE=1           a release build of the gateway (takes many minutes to build)
#   LOAD_BINARY=path         an igny8-local binary already built (no cargo run at all)
#
# The emulator is started here unless AWS_ENDPOINT_URL points at one.
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/emulator/lib.sh

scenario="${1:-mix}"
case "$scenario" in
  mix | warm | lists) ;;
  *) echo "usage: $0 [mix|warm|lists]" >&2; exit 2 ;;
esac

# Built before the emulator starts: nothing is left running if the build fails.
if [ -n "${LOAD_BINARY:-}" ]; then
  binary="$LOAD_BINARY"
elif [ "${LOAD_RELEASE:-0}" = 1 ]; then
  cargo build --quiet --release -p igny8-local
  binary="${CARGO_TARGET_DIR:-target}/release/igny8-local"
else
  cargo build --quiet -p igny8-local
  binary="${CARGO_TARGET_DIR:-target}/debug/igny8-local"
fi
[ -x "$binary" ] || { echo "no gateway binary at $binary" >&2; exit 1; }

start_emulator 0

run_id="load$$"
export TABLE_NAME="igny8-$run_id" AI_QUEUE_NAME="$run_id-ai" PUBLISH_QUEUE_NAME="$run_id-publish"
export AUTOMATION_QUEUE_NAME="$run_id-automation" SCHEDULE_GROUP="$run_id" MEDIA_BUCKET="$run_id-media"
# Logging every request at info would cost the gateway more than some of its requests.
export RUST_LOG="${RUST_LOG:-warn}"
export PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p .local/load
log=".local/load/server-$scenario.log"
"$binary" serve >"$log" 2>&1 &
server=$!
# Chained before start_emulator's EXIT trap, which it would otherwise replace: the
# gateway stops first, then the emulator.
previous="$(trap -p EXIT)"
eval "set -- $previous"
# shellcheck disable=SC2064  # expanded now on purpose
trap -- "kill $server 2>/dev/null || true${3:+; $3}" EXIT

processes="gateway=$server"
[ -n "${EMULATOR_PID:-}" ] && processes+=" emulator=$EMULATOR_PID"
echo "gateway ($binary) on port $PORT, log in $log"
status=0
LOAD_PROCESSES="$processes" python3 infra/bench/load.py "http://127.0.0.1:$PORT/api/v1" "$scenario" || status=$?
if grep -q "panicked" "$log"; then
  echo "the gateway panicked (see $log):" >&2
  grep -m 5 -A 3 "panicked" "$log" >&2
  status=1
fi
exit "$status"
