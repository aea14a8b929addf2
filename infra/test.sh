#!/usr/bin/env bash
# Runs every test on a fresh machine: starts a private emulator (unless AWS_ENDPOINT_URL
# is set) and a MariaDB for the tests' WordPress sites, lints template.yaml, runs unit
# and end-to-end tests, then fuzzes the API against its OpenAPI document. Each
# end-to-end test makes its own table, so tests run in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/emulator/lib.sh
source infra/wordpress/lib.sh

ensure_python_package cfnlint cfn-lint
echo "== cfn-lint template.yaml"
cfn-lint template.yaml
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

start_emulator 0
# After start_emulator: it replaces the EXIT trap, start_mariadb adds to it.
echo "== WordPress (Debian's package, PHP's built-in server, a private MariaDB)"
ensure_wordpress
start_mariadb
echo "== the emulator's fault injection and index cache (infra/emulator/test_*.py)"
python3 infra/emulator/test_faults.py 2>&1 | tail -n 3
python3 infra/emulator/test_indexes.py 2>&1 | tail -n 3
echo "== php -l wordpress/ (the bridge plugin)"
find wordpress -name '*.php' -print0 | xargs -0 -n1 php -l >/dev/null
export ALLOW_PRIVATE_URLS="${ALLOW_PRIVATE_URLS:-1}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"

echo "== tests"
# The 100 000-keyword test keeps a core busy for minutes (on an emulator of its own): it
# runs alone after the others, whose sign-in throttling checks count real seconds.
alone='test(/a_hundred_thousand_keywords/)'
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo test --workspace --no-fail-fast "$@"
elif [ "$#" -gt 0 ]; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo nextest run --workspace --no-fail-fast -E "not $alone"
  cargo nextest run --workspace --no-fail-fast -E "$alone"
fi

# Documentation examples; the store's include the checks that ids of different kinds
# cannot be swapped (they must fail to compile).
if [ "$#" -eq 0 ]; then
  echo "== doc tests"
  cargo test --doc --workspace --quiet
fi

# The API against its own document (docs/api-contract.md). Skipped when the tests were
# narrowed with arguments.
if [ "$#" -eq 0 ]; then
  echo "== the API against its document (schemathesis)"
  infra/contract/fuzz.sh
fi
