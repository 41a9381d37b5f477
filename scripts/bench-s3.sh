#!/usr/bin/env bash
# S3 object throughput and the emulator's peak memory: builds the emulator
# and cmd/s3bench, starts the emulator on a free loopback port with a new
# data file, PUTs and GETs objects of each size (1 MiB, 64 MiB, 1 GiB by
# default) and prints MB/s, then the emulator's peak resident set (VmHWM).
# A measurement, not a test: nothing here asserts a timing. It fails only
# if an object does not come back intact, or (MAX_RSS_MIB, default 64) if
# the peak resident set passes that bound.
#
#   scripts/bench-s3.sh                    # 1MiB,64MiB,1GiB
#   SIZES=1MiB,64MiB,1GiB,5GiB scripts/bench-s3.sh
#   SIZES=5GiB PART_SIZE=64MiB scripts/bench-s3.sh   # multipart, by the SDK's transfer manager
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=${SIZES:-1MiB,64MiB,1GiB}
PART_SIZE=${PART_SIZE:-}
MAX_RSS_MIB=${MAX_RSS_MIB:-64}
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$WORK/emulator" ./cmd/emulator && go build -o "$WORK/s3bench" ./cmd/s3bench)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$WORK/emulator" -addr "127.0.0.1:$PORT" -data "$WORK/emulator.db" -log-level warn >"$WORK/emulator.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/_emulator/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "emulator pid $PID, RSS at start $(awk '/VmRSS/ {print $2/1024 " MiB"}' "/proc/$PID/status")"
"$WORK/s3bench" -endpoint "http://127.0.0.1:$PORT" -sizes "$SIZES" -dir "$WORK" ${PART_SIZE:+-part-size "$PART_SIZE"}
PEAK=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$PID/status")
echo "emulator peak RSS (VmHWM): $PEAK MiB; data file $(du -m "$WORK/emulator.db" | cut -f1) MiB"
if [ "$PEAK" -gt "$MAX_RSS_MIB" ]; then
  echo "peak RSS $PEAK MiB is over $MAX_RSS_MIB MiB" >&2
  exit 1
fi
