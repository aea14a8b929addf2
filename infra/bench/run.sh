#!/usr/bin/env bash
# Benchmarks (not tests): builds the release Lambda binaries with cargo-lambda and prints
# each function's init time and the warm time of GET /auth/me. See lambda_bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/emulator/lib.sh

ensure_python_package cargo_lambda cargo-lambda
cargo lambda build --release --bin auth --bin system --bin planner --bin writer --bin billing --bin ai-worker
start_emulator 0
export TABLE_NAME="bench-$(date +%s)"
export MEDIA_BUCKET="${MEDIA_BUCKET:-igny8-media-local}"
export JWT_SECRET="${JWT_SECRET:-benchmark-secret-0123456789-abcdefghij}"
export SECRETS_KEY="${SECRETS_KEY:-$(printf '0%.0s' {1..64})}"
# Read at start only; init does not reach the queue.
export AI_QUEUE_URL="${AI_QUEUE_URL:-http://localhost/queue/igny8-ai-jobs}"
export PUBLISH_QUEUE_URL="${PUBLISH_QUEUE_URL:-http://localhost/queue/igny8-publish-jobs}"
cargo run --quiet -p igny8-local -- bootstrap
python3 infra/bench/lambda_bench.py target/lambda events
echo
echo "In-memory half of a keyword list (criterion):"
cargo bench -p igny8-planner --bench keyword_list
echo
echo "Built-in clustering of 10 000 keywords (criterion):"
cargo bench -p igny8-ai --bench clustering
