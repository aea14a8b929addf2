#!/usr/bin/env bash
# Publishing benchmark (not a test): 50 articles with 3 images each, published in one bulk
# job to a real local WordPress (infra/wordpress/) through the local gateway (debug build)
# on a private emulator. Prints articles per minute, the time WordPress took and ours.
# See publish.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/emulator/lib.sh
source infra/wordpress/lib.sh

start_emulator 0
# After start_emulator: it replaces the EXIT trap, start_mariadb adds to it.
ensure_wordpress
start_mariadb
wordpress="$(infra/wordpress/site.sh start bench 0)"
# Its database and uploads go too (before MariaDB stops: the EXIT trap runs the newest first).
igny8_wp_on_exit "infra/wordpress/site.sh stop bench >/dev/null 2>&1 || true"

# Names of its own, so that it does not clash with a local stack on the same emulator
# (AWS_ENDPOINT_URL set) or its port.
stamp="bench-$(date +%s)"
export TABLE_NAME="igny8-$stamp" AI_QUEUE_NAME="igny8-ai-$stamp"
export PUBLISH_QUEUE_NAME="igny8-publish-$stamp" MEDIA_BUCKET="igny8-media-$stamp"
export ALLOW_PRIVATE_URLS=1 # the WordPress runs on 127.0.0.1
export PORT="${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

cargo build --quiet -p igny8-local
mkdir -p .local
"${CARGO_TARGET_DIR:-target}/debug/igny8-local" serve >.local/bench-publish.log 2>&1 &
server=$!
igny8_wp_on_exit "kill $server 2>/dev/null || true"
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/system/status/", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("the local gateway did not start (log: .local/bench-publish.log)")
PY
wp() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$wordpress" "$1"; }
echo "WordPress (PHP's built-in server, ${IGNY8_WP_WORKERS:-4} workers) at $(wp url); gateway log: .local/bench-publish.log"
# Whose CPU time to show (a negative pid: the process group of php -S and its workers).
processes="gateway=$server wordpress=-$(wp pid)"
[ -n "${EMULATOR_PID:-}" ] && processes+=" emulator=$EMULATOR_PID"
mariadb_pid="$(dirname "$IGNY8_WP_MYSQL_SOCKET")/mysqld.pid"
[ -s "$mariadb_pid" ] && processes+=" mariadb=$(cat "$mariadb_pid")"
IGNY8_BENCH_WORDPRESS="$wordpress" IGNY8_BENCH_PROCESSES="$processes" \
  python3 infra/bench/publish.py "http://127.0.0.1:$PORT/api/v1"
