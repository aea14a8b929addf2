#!/usr/bin/env bash
# Automation benchmark (not a test): the runner's time per stage transition and the
# local firing loop with 1 000 rules due in the same minute, against a private emulator.
# Debug build, as the local stack runs; the figures are in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/emulator/lib.sh
start_emulator 0
cargo run --quiet -p igny8-local --example automation_bench
