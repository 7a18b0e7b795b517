#!/usr/bin/env bash
# API benchmark: stack reads (GET /v1/stacks/{id}) and writes (POST /v1/stacks)
# through a real `hookstack up`, rate limiting off, wrk with one thread.
# usage: bench/api.sh            (SQLite in a temporary data directory)
#        DATABASE_URL=postgres://127.0.0.1:5432/test?search_path=apibench bench/api.sh
# env:   DURATION (5), CONCS ("1 8 64"), PORT (7201). Loopback only.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-5}; CONCS=${CONCS:-"1 8 64"}; PORT=${PORT:-7201}
TOKEN=0123456789abcdef0123456789abcdef
DATA=$(mktemp -d /tmp/hookstack-apibench.XXXXXX)
BIN=$DATA/hookstack
(cd "$ROOT" && go build -o "$BIN" ./cmd/hookstack)
HOOKSTACK_BOOTSTRAP_TOKEN=$TOKEN HOOKSTACK_DATABASE_URL=${DATABASE_URL:-} setsid "$BIN" up --data "$DATA" \
  --addr 127.0.0.1:$PORT --rate-per-second=-1 >"$DATA/up.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/v1/tokenInfo && break; sleep 0.1; done
BODY=$DATA/stack.json
echo '{"name":"bench","type":"server","framework":"twoDotZero","server":{"hostURI":"https://ext.example.com","ipRanges":["203.0.113.0/24"]}}' > "$BODY"
ID=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$BODY" \
  http://127.0.0.1:$PORT/v1/stacks | sed -E 's/.*"_id":"([0-9a-f]{24})".*/\1/')
echo "| operation | c | requests/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|"
run() { # label script url
  for c in $CONCS; do
    out=$(BODY_FILE=$BODY TOKEN=$TOKEN wrk -t1 -c"$c" -d"${DURATION}s" -s "$ROOT/bench/wrk/$2" "$3" | grep WRKRESULT)
    echo "$out" | awk -v l="$1" -v c="$c" '{for(i=2;i<=NF;i++){split($i,p,"="); v[p[1]]=p[2]}
      printf "| %s | %d | %.0f | %.2f | %.2f | %d |\n", l, c, v["requests"]/(v["duration_us"]/1e6), v["p50_us"]/1000, v["p99_us"]/1000, v["non2xx"]}'
  done
}
run "GET /v1/stacks/{id}" get.lua "http://127.0.0.1:$PORT/v1/stacks/$ID"
run "POST /v1/stacks" post.lua "http://127.0.0.1:$PORT/v1/stacks"
