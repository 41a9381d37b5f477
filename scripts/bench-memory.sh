#!/usr/bin/env bash
# Memory under a flood of large unauthenticated bodies (issue 11, item 8):
# 32 concurrent 20 MB POSTs, for each kind of Authorization header, against
# a freshly built emulator; prints its resident memory before, its peak, and
# after. A measurement, not a test: nothing here passes or fails on a
# figure. docs/performance.md records the results.
#
#   scripts/bench-memory.sh            # a random port on 127.0.0.1
#   PORT=4600 scripts/bench-memory.sh
#   EMULATOR_BIN=/tmp/old-emulator scripts/bench-memory.sh   # another build
set -euo pipefail

cd "$(dirname "$0")/.."
port="${PORT:-$((20000 + RANDOM % 30000))}"
parallel="${PARALLEL:-32}"
size="${SIZE:-20000000}"
work="$(mktemp -d)"
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${EMULATOR_BIN:-}" ]]; then
	cp "$EMULATOR_BIN" "$work/emulator"
else
	go build -o "$work/emulator" ./cmd/emulator
fi
head -c "$size" /dev/zero >"$work/body"

# rss KEY: the emulator's VmRSS (now) or VmHWM (peak since start), in MiB.
rss() { awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

# flood NAME AUTHORIZATION [HEADER…]: one fresh emulator, then the POSTs.
flood() {
	local name="$1" auth="$2"
	shift 2
	rm -f "$work/data.db"
	"$work/emulator" -addr "127.0.0.1:$port" -data "$work/data.db" >"$work/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		curl -fsS "http://127.0.0.1:$port/_emulator/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	local before
	before="$(rss VmRSS)"
	local args=(-s -o /dev/null -w '%{http_code}\n' -X POST --data-binary "@$work/body")
	[[ -n "$auth" ]] && args+=(-H "Authorization: $auth")
	for h in "$@"; do args+=(-H "$h"); done
	for _ in $(seq "$parallel"); do
		curl "${args[@]}" "http://127.0.0.1:$port/" >>"$work/codes" 2>/dev/null || echo "error" >>"$work/codes" &
	done
	wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
	sleep 1
	printf '%-34s before %4s MiB  peak %4s MiB  after %4s MiB  answers: %s\n' "$name" "$before" "$(rss VmHWM)" "$(rss VmRSS)" \
		"$(sort "$work/codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
	rm -f "$work/codes"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
}

echo "$parallel concurrent POSTs of $size bytes each:"
flood "garbage Authorization" "AWS4-HMAC-SHA256 garbage"
flood "no Authorization" ""
flood "well-formed, scope sts (1 MiB)" "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00" \
	"Content-Type: application/x-www-form-urlencoded"
flood "well-formed, scope s3 (16 MiB)" "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
# Without a Content-Length the size is only known by reading: a form is
# read up to its service's limit (1 MiB) before its signature can be
# checked; an S3 request declares its payload hash, so its signature (here
# an unknown key) is checked before any of the body is read.
flood "well-formed, scope sts, chunked" "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00" \
	"Content-Type: application/x-www-form-urlencoded" "Transfer-Encoding: chunked"
flood "well-formed, scope s3, chunked" "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00" \
	"X-Amz-Content-Sha256: UNSIGNED-PAYLOAD" "Transfer-Encoding: chunked"
