# Shared by infra/run-local.sh and infra/test.sh (sourced, not run).
# Installs what the emulator needs and starts it unless AWS_ENDPOINT_URL is already set.

ensure_python_package() { # module pip-spec
  python3 -c "import $1" 2>/dev/null || python3 -m pip install --quiet "$2"
}

# start_emulator [port]  — port 0 (default) picks a free one. Exports AWS_ENDPOINT_URL
# and dummy credentials; the emulator stops when the calling script exits.
start_emulator() {
  local port="${1:-0}"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
    echo "using the emulator at $AWS_ENDPOINT_URL"
    return
  fi
  ensure_python_package "moto.server" "moto[server]"
  mkdir -p .local
  local port_file=".local/emulator.$$.port"
  rm -f "$port_file"
  python3 infra/emulator/serve.py --port "$port" --port-file "$port_file" >".local/emulator.log" 2>&1 &
  EMULATOR_PID=$!
  trap 'kill "$EMULATOR_PID" 2>/dev/null || true; rm -f "'"$port_file"'"' EXIT
  for _ in $(seq 1 150); do
    [ -s "$port_file" ] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat .local/emulator.log >&2; echo "the emulator failed to start" >&2; exit 1; }
    sleep 0.2
  done
  [ -s "$port_file" ] || { echo "the emulator did not start within 30 s" >&2; exit 1; }
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$port_file")"
  echo "emulator (moto) at $AWS_ENDPOINT_URL, log in .local/emulator.log"
}
