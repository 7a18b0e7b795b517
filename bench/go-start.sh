#!/usr/bin/env bash
# Start the Go bench stack in the background; print its PID once it listens.
# usage: bench/go-start.sh PORT   (BIN=path to a built bench/stack binary)
set -euo pipefail
PORT=${1:?usage: go-start.sh PORT}
BIN=${BIN:-/tmp/hookstack-benchstack}
LOG=${LOG:-/dev/null}
PORT=$PORT SYSTEM_TOKEN=${SYSTEM_TOKEN:-bench-token} setsid "$BIN" >"$LOG" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthCheck"; then echo "$pid"; exit 0; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
echo "go-start.sh: stack did not start" >&2; kill "$pid" 2>/dev/null || true; exit 1
