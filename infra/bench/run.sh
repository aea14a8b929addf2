#!/usr/bin/env bash
# Benchmarks (not tests): builds the release Lambda binaries with cargo-lambda and prints
# each function's init time and the warm time of GET /auth/me. See lambda_bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/emulator/lib.sh

ensure_python_package cargo_lambda cargo-lambda
cargo lambda build --release --bin auth --bin system --bin planner --bin writer
start_emulator 0
export TABLE_NAME="bench-$(date +%s)"
export MEDIA_BUCKET="${MEDIA_BUCKET:-igny8-media-local}"
export JWT_SECRET="${JWT_SECRET:-benchmark-secret-0123456789-abcdefghij}"
cargo run --quiet -p igny8-local -- bootstrap
python3 infra/bench/lambda_bench.py target/lambda events
echo
echo "In-memory half of a keyword list (criterion):"
cargo bench -p igny8-planner --bench keyword_list
