#!/usr/bin/env bash
# Fuzzes the running API against its own document (docs/api-contract.md): schemathesis,
# pinned, generates requests from /api/v1/schema and checks every answer against it —
# no server error, no undocumented status, header, content type or body. It runs twice,
# as a signed-in owner and as a site's API key, on a private table, queues and bucket of
# the emulator at AWS_ENDPOINT_URL (infra/test.sh starts one), and fails unless both
# runs pass and together made at least FUZZ_MIN_CASES requests.
#
#   infra/contract/fuzz.sh              (AWS_ENDPOINT_URL must point at an emulator)
#   FUZZ_EXAMPLES=30 infra/contract/fuzz.sh   more cases per operation
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/emulator/lib.sh

SCHEMATHESIS_VERSION=4.32.5
examples="${FUZZ_EXAMPLES:-12}"
min_cases="${FUZZ_MIN_CASES:-2000}"

[ -n "${AWS_ENDPOINT_URL:-}" ] || { echo "AWS_ENDPOINT_URL must point at the emulator" >&2; exit 1; }
python3 -c "import schemathesis, sys; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION')" 2>/dev/null \
  || python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"

run_id="fuzz$$"
export TABLE_NAME="igny8-$run_id" AI_QUEUE_NAME="$run_id-ai" PUBLISH_QUEUE_NAME="$run_id-publish"
export AUTOMATION_QUEUE_NAME="$run_id-automation" SCHEDULE_GROUP="$run_id" MEDIA_BUCKET="$run_id-media"
export ALLOW_PRIVATE_URLS="${ALLOW_PRIVATE_URLS:-1}"
export RUST_LOG="${RUST_LOG:-warn}"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PORT="$port"
base="http://127.0.0.1:$port"
mkdir -p .local/fuzz
report=".local/fuzz"

cargo build --quiet -p igny8-local
"${CARGO_TARGET_DIR:-target}/debug/igny8-local" serve >"$report/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT

# The callers: an owner with a site and a sector, and that site's API key.
credentials="$(python3 infra/contract/callers.py "$base")"
token="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["token"])' "$credentials")"
api_key="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["api_key"])' "$credentials")"

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
total=0
status=0
# One worker: with two, schemathesis's coverage phase now and then hits a race in
# CPython 3.11's AST compiler ("SystemError: AST constructor recursion depth mismatch")
# that reports a runtime error without any request going wrong.
for caller in owner site_key; do
  if [ "$caller" = owner ]; then header="Authorization: Bearer $token"; else header="x-igny8-api-key: $api_key"; fi
  echo "== schemathesis as the $caller ($examples examples per operation)"
  if ! st run "$base/api/v1/schema" --url "$base" -H "$header" --checks "$checks" \
      --max-examples "$examples" --seed 8 --workers 1 --no-color --phases examples,coverage,fuzzing \
      --suppress-health-check all --warnings off --generation-database none \
      --report ndjson --report-ndjson-path "$report/$caller.ndjson" >"$report/$caller.log" 2>&1; then
    status=1
  fi
  tail -n 25 "$report/$caller.log"
  cases="$(python3 infra/contract/count.py "$report/$caller.ndjson")"
  echo "$caller: $cases requests"
  total=$((total + cases))
done
echo "== $total requests in all (at least $min_cases wanted); reports in $report/"
if [ "$total" -lt "$min_cases" ]; then
  echo "too few cases" >&2
  status=1
fi
exit "$status"
