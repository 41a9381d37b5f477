#!/usr/bin/env bash
# The README test: run README.md's shell blocks, in order, in one bash shell,
# against a fresh emulator, so that the README cannot drift from the product.
#
#   scripts/readme-test.sh                      # AWS CLI v1 (`aws` on PATH)
#   AWS_CLI=/path/to/aws scripts/readme-test.sh # another CLI (the v2 wrapper from shared/tools)
#
# Which blocks run (the README's "About the shell blocks" says the same):
#   ```sh           run; must succeed (the shell has set -euo pipefail)
#   ```sh fails     run; must fail (one command whose error the README shows)
#   ```sh profile   run only if the CLI reads endpoint_url from its config
#                   (CLI v1 >= 1.29, v2 >= 2.13); skipped otherwise
#   ```sh skip      never run (a server in the foreground, the test suite)
#   ```text         right after a block that runs: its expected output,
#                   stdout and stderr together; blank lines do not count,
#                   and … matches any text within a line
# Other fences (go, json, console) are never run.
#
# What differs from a user's terminal: the emulator is a fresh one on a free
# port, and every 127.0.0.1:4580 in the blocks and expected outputs becomes
# 127.0.0.1:PORT; `aws` is $AWS_CLI; the blocks run in an empty directory
# with HOME, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE in a temporary
# directory, and no other AWS_* variable.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
README=${1:-$ROOT/README.md}
CLI=$(command -v "${AWS_CLI:-aws}") || { echo "readme-test: no AWS CLI '${AWS_CLI:-aws}'" >&2; exit 1; }
WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "readme-test: building the emulator"
(cd "$ROOT" && go build -o "$WORK/emulator" ./cmd/emulator)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$WORK/emulator" -addr "127.0.0.1:$PORT" -data "$WORK/emulator.db" >"$WORK/emulator.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/_emulator/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/_emulator/health" >/dev/null || { cat "$WORK/emulator.log"; echo "readme-test: the emulator did not start" >&2; exit 1; }

# Does this CLI read endpoint_url from its config (the `sh profile` blocks)?
cli_version=$("$CLI" --version 2>&1 | sed -n 's|^aws-cli/\([0-9]*\)\.\([0-9]*\).*|\1 \2|p' | head -n 1)
read -r major minor <<<"${cli_version:-0 0}"
profiles=0
if { [ "$major" = 1 ] && [ "$minor" -ge 29 ]; } || { [ "$major" = 2 ] && [ "$minor" -ge 13 ]; } || [ "$major" -gt 2 ]; then
  profiles=1
fi

mkdir -p "$WORK/blocks" "$WORK/bin" "$WORK/home/.aws" "$WORK/cwd"
python3 - "$README" "$WORK/blocks" "$PORT" <<'PY'
import pathlib, re, sys
readme, out, port = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
lines = readme.read_text().splitlines()
blocks, i = [], 0
while i < len(lines):
    m = re.match(r"^(`{3,})\s*([\w-]*)\s*(.*)$", lines[i])
    if not m:
        i += 1
        continue
    fence, lang, tags, start = m.group(1), m.group(2), m.group(3).split(), i + 1
    j = i + 1
    while j < len(lines) and not lines[j].startswith(fence):
        j += 1
    if j == len(lines):
        sys.exit(f"{readme}:{start}: unclosed code block")
    blocks.append((lang, tags, start, "\n".join(lines[i + 1:j]) + "\n"))
    i = j + 1
n, previous_runs = 0, False
for lang, tags, line, body in blocks:
    body = body.replace("127.0.0.1:4580", "127.0.0.1:" + port)
    if lang == "sh":
        mode = (tags or ["run"])[0]
        if mode not in ("run", "fails", "profile", "skip"):
            sys.exit(f"{readme}:{line}: unknown sh block tag {mode!r} (run, fails, profile or skip)")
        previous_runs = mode != "skip"
        if not previous_runs:
            continue
        n += 1
        (out / f"{n:03d}.sh").write_text(body)
        (out / f"{n:03d}.meta").write_text(f"{mode} {line}\n")
    elif lang == "text" and previous_runs:
        (out / f"{n:03d}.expected").write_text(body)
        previous_runs = False
    else:
        previous_runs = False
print(f"readme-test: {n} blocks to run from {readme.name}")
PY

cat >"$WORK/compare.py" <<'PY'
import re, sys
# Blank lines do not count (CLI v2 starts its errors with one); runs of
# white space are one space (text output separates with tabs).
def lines(path):
    return [" ".join(l.split()) for l in open(path).read().splitlines() if l.strip()]
want, got = lines(sys.argv[1]), lines(sys.argv[2])
def match(w, g):
    return re.fullmatch(".*".join(re.escape(p) for p in w.split("…")), g) is not None
if len(want) != len(got) or not all(match(w, g) for w, g in zip(want, got)):
    print("expected output:", *want, "got:", *got, sep="\n  ")
    sys.exit(1)
PY

printf '#!/bin/sh\nexec "%s" "$@"\n' "$CLI" >"$WORK/bin/aws"
chmod +x "$WORK/bin/aws"
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PATH=$WORK/bin:$PATH HOME=$WORK/home AWS_CONFIG_FILE=$WORK/home/.aws/config \
  AWS_SHARED_CREDENTIALS_FILE=$WORK/home/.aws/credentials AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
echo "readme-test: emulator on 127.0.0.1:$PORT, $("$CLI" --version 2>&1 | head -n 1)"

# The blocks run in this one shell, so that their variables carry over.
cd "$WORK/cwd"
current=
report() {
  local rc=$?
  if [ -n "$current" ]; then
    echo "readme-test: FAIL: the block at README.md:$current_line exited $rc:"
    sed 's/^/    | /' "$current.sh"
    echo "  its output:"
    sed 's/^/    > /' "$current.out" 2>/dev/null || true
    echo "  the emulator's log (last lines):"
    tail -n 20 "$WORK/emulator.log" | sed 's/^/    # /'
  fi
  cleanup
}
trap report EXIT
ran=0 skipped=0
for block in "$WORK"/blocks/*.sh; do
  block=${block%.sh}
  read -r mode line <"$block.meta"
  if [ "$mode" = profile ] && [ "$profiles" = 0 ]; then
    echo "  skip README.md:$line (this CLI does not read endpoint_url from its config)"
    skipped=$((skipped + 1))
    continue
  fi
  current=$block current_line=$line
  if [ "$mode" = fails ]; then
    if source "$block.sh" >"$block.out" 2>&1; then
      echo "readme-test: the block at README.md:$line should fail, and succeeded"
      exit 1
    fi
  else
    set -euo pipefail
    # shellcheck source=/dev/null
    source "$block.sh" >"$block.out" 2>&1
    set -euo pipefail
  fi
  if [ -f "$block.expected" ] && ! python3 "$WORK/compare.py" "$block.expected" "$block.out"; then
    echo "readme-test: the output of the block at README.md:$line is not what the README says"
    exit 1
  fi
  current=
  ran=$((ran + 1))
  echo "  ok   README.md:$line"
done
trap cleanup EXIT
echo "readme-test: $ran blocks ran, $skipped skipped"
