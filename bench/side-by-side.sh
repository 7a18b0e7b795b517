#!/usr/bin/env bash
# Side-by-side benchmark: the Node original (../shared/bench/node-stack) and
# the Go stack (bench/stack), measured by ../shared/bench/run.sh in one run on
# this machine, one server at a time, a fresh server per group (START_CMD).
#
# usage: bench/side-by-side.sh            (from the project root)
# env:   OUT=dir (default bench/results/<date>), ROUNDS (default 1; >1 alternates
#        node,go,node,go… so drift hits both), and run.sh's DURATION, FUNCS,
#        SIZES, CONCS, PING_CONCS, UNAUTH_CONCS, REPEAT.
# Needs: wrk, curl, node/npm (the reference stack installs its packages once).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
OUT=${OUT:-$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S)}
ROUNDS=${ROUNDS:-1}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # absolute: the response check below runs from another directory
export DURATION=${DURATION:-5} SIZES=${SIZES-"1 100 1000"} CONCS=${CONCS-"8 64"} FUNCS=${FUNCS-"preSavePage preMap postMap"}
export MAX_TOTAL=${MAX_TOTAL:-1200}

command -v wrk >/dev/null || { echo "side-by-side: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
BIN=/tmp/hookstack-benchstack
(cd "$ROOT" && go build -o "$BIN" ./bench/stack)

{ echo "host: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(go version); node $(node --version)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "env: DURATION=$DURATION SIZES=$SIZES CONCS=$CONCS FUNCS=$FUNCS ROUNDS=$ROUNDS"; } > "$OUT/README.txt"

for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r: node" >&2
  START_CMD="$SHARED/node-stack/start.sh 7101" CSV="$OUT/node.csv" RAW_DIR="$OUT/raw-node" \
    "$SHARED/run.sh" http://127.0.0.1:7101 bench-token >> "$OUT/node.md"
  echo "== round $r: go" >&2
  START_CMD="BIN=$BIN $ROOT/bench/go-start.sh 7102" CSV="$OUT/go.csv" RAW_DIR="$OUT/raw-go" \
    "$SHARED/run.sh" http://127.0.0.1:7102 bench-token >> "$OUT/go.md"
done

for m in rps p99_ms srv_cpu_ms_per_req peak_rss_mib; do
  echo "### $m"; python3 "$SHARED/compare.py" --metric "$m" node="$OUT/node.csv" go="$OUT/go.csv"; echo
done | tee "$OUT/compare.md"
# Responses must be byte-identical to Node's.
(cd "$OUT/raw-go" && for f in resp-*.json; do
   n="$OUT/raw-node/$f"; [ -f "$n" ] && { cmp -s "$f" "$n" && echo "same $f" || echo "DIFFERENT $f"; }
 done) | tee "$OUT/responses.txt"
echo "results in $OUT" >&2
