#!/usr/bin/env bash
# Runs the whole system locally: the emulator (moto; skipped if AWS_ENDPOINT_URL is set),
# the table/queues/bucket, every HTTP function on http://127.0.0.1:${PORT:-8000}/api/v1/,
# the AI worker on the job queue (offline AI provider unless an account configures
# OpenAI or Runware), the publisher on the publish queue, the automation runner on the
# automation queue, and fires the rules' schedules each minute.
#
#   infra/run-local.sh          serve until Ctrl-C
#   infra/run-local.sh --demo   serve, start a local WordPress (infra/wordpress/) and run the
#                               whole pipeline once, publishing to it (infra/demo/pipeline.py)
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/emulator/lib.sh
source infra/wordpress/lib.sh
# A signal ends the script through `exit`, so the EXIT traps below (gateway, WordPress,
# MariaDB, emulator) run whether it is Ctrl-C on the terminal or a kill of this script.
trap 'exit 130' INT
trap 'exit 143' TERM

# Publishing may reach loopback and private addresses only with ALLOW_PRIVATE_URLS=1: a
# local WordPress runs on 127.0.0.1. Lambda never sets it, so deployed functions refuse
# such addresses. Set to 0 here, it stays 0.
export ALLOW_PRIVATE_URLS="${ALLOW_PRIVATE_URLS:-1}"

start_emulator "${EMULATOR_PORT:-4566}"
export PORT="${PORT:-8000}"
if [ "${1:-}" != "--demo" ]; then
  exec cargo run --quiet -p igny8-local -- serve
fi

# After start_emulator: it replaces the EXIT trap, start_mariadb adds to it (stopping the
# site with the server when this script exits).
ensure_wordpress
start_mariadb
wordpress="$(infra/wordpress/site.sh start demo 0)"
# Its database and uploads go too (before MariaDB stops: the EXIT trap runs the newest first).
igny8_wp_on_exit "infra/wordpress/site.sh stop demo >/dev/null 2>&1 || true"
wordpress_url="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["url"])' "$wordpress")"
echo "WordPress at $wordpress_url"

cargo build --quiet -p igny8-local
"${CARGO_TARGET_DIR:-target}/debug/igny8-local" serve &
server=$!
# Added to the EXIT trap, like start_mariadb's: the gateway stops first, then WordPress
# and MariaDB, then the emulator. Bash runs the EXIT trap on Ctrl-C and kill as well.
igny8_wp_on_exit "kill $server 2>/dev/null || true"
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/system/status/", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
PY
IGNY8_DEMO_WORDPRESS="$wordpress" python3 infra/demo/pipeline.py "http://127.0.0.1:$PORT/api/v1"
echo "Still serving on http://127.0.0.1:$PORT/api/v1/, WordPress at $wordpress_url (Ctrl-C to stop)."
wait "$server"
