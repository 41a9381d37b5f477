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

readme_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readme_doc=${1:-$readme_root/README.md}
readme_name=$(basename "$readme_doc")
readme_cli=$(command -v "${AWS_CLI:-aws}") || { echo "readme-test: no AWS CLI '${AWS_CLI:-aws}'" >&2; exit 1; }
readme_work=$(mktemp -d)
readme_pid=
readme_cleanup() {
  if [ -n "$readme_pid" ]; then kill "$readme_pid" 2>/dev/null || true; wait "$readme_pid" 2>/dev/null || true; fi
  rm -rf "$readme_work"
}
trap readme_cleanup EXIT

echo "readme-test: building the emulator"
(cd "$readme_root" && go build -o "$readme_work/emulator" ./cmd/emulator)
readme_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$readme_work/emulator" -addr "127.0.0.1:$readme_port" -data "$readme_work/emulator.db" >"$readme_work/emulator.log" 2>&1 &
readme_pid=$!
for _ in $(seq 300); do
  curl -fs "http://127.0.0.1:$readme_port/_emulator/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$readme_port/_emulator/health" >/dev/null || { cat "$readme_work/emulator.log"; echo "readme-test: the emulator did not start" >&2; exit 1; }

# Does this CLI read endpoint_url from its config (the `sh profile` blocks)?
cli_version=$("$readme_cli" --version 2>&1 | sed -n 's|^aws-cli/\([0-9]*\)\.\([0-9]*\).*|\1 \2|p' | head -n 1)
read -r major minor <<<"${cli_version:-0 0}"
readme_profiles=0
if { [ "$major" = 1 ] && [ "$minor" -ge 29 ]; } || { [ "$major" = 2 ] && [ "$minor" -ge 13 ]; } || [ "$major" -gt 2 ]; then
  readme_profiles=1
fi

mkdir -p "$readme_work/blocks" "$readme_work/bin" "$readme_work/home/.aws" "$readme_work/cwd"
python3 - "$readme_doc" "$readme_work/blocks" "$readme_port" <<'PY'
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
    # As in CommonMark, only a bare fence closes a block: a fence with an
    # info string (```sh) inside one means the block above was left open.
    j = i + 1
    while j < len(lines) and not re.match(re.escape(fence) + r"`*\s*$", lines[j]):
        if re.match(re.escape(fence) + r"\s*\w", lines[j]):
            sys.exit(f"{readme}:{j + 1}: a fence with an info string inside the block opened at line {start}: close that block first")
        j += 1
    if j == len(lines):
        sys.exit(f"{readme}:{start}: unclosed code block")
    # Expected output must follow its block with nothing but blank lines between.
    adjacent = bool(blocks) and all(not l.strip() for l in lines[blocks[-1][4]:i])
    blocks.append((lang, tags, start, "\n".join(lines[i + 1:j]) + "\n", j + 1, adjacent))
    i = j + 1
n, previous_runs = 0, False
for lang, tags, line, body, _, adjacent in blocks:
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
    elif lang == "text" and previous_runs and adjacent:
        (out / f"{n:03d}.expected").write_text(body)
        previous_runs = False
    else:
        previous_runs = False
print(f"readme-test: {n} blocks to run from {readme.name}")
PY

cat >"$readme_work/compare.py" <<'PY'
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

printf '#!/bin/sh\nexec "%s" "$@"\n' "$readme_cli" >"$readme_work/bin/aws"
chmod +x "$readme_work/bin/aws"
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PATH=$readme_work/bin:$PATH HOME=$readme_work/home AWS_CONFIG_FILE=$readme_work/home/.aws/config \
  AWS_SHARED_CREDENTIALS_FILE=$readme_work/home/.aws/credentials AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
echo "readme-test: emulator on 127.0.0.1:$readme_port, $("$readme_cli" --version 2>&1 | head -n 1)"

# The blocks run in this one shell, so that their variables carry over;
# the runner's own variables are readme_* so that no block clobbers them.
cd "$readme_work/cwd"
readme_block= readme_line=
readme_report() {
  local rc=$?
  if [ -n "$readme_block" ]; then
    echo "readme-test: FAIL: the block at $readme_name:$readme_line (exit status $rc):"
    sed 's/^/    | /' "$readme_block.sh"
    echo "  its output:"
    sed 's/^/    > /' "$readme_block.out" 2>/dev/null || true
    echo "  the emulator's log (last lines):"
    tail -n 20 "$readme_work/emulator.log" | sed 's/^/    # /'
  fi
  readme_cleanup
}
trap readme_report EXIT
readme_ran=0 readme_skipped=0
for readme_file in "$readme_work"/blocks/*.sh; do
  readme_block=${readme_file%.sh}
  read -r readme_mode readme_line <"$readme_block.meta"
  if [ "$readme_mode" = profile ] && [ "$readme_profiles" = 0 ]; then
    echo "  skip $readme_name:$readme_line (this CLI does not read endpoint_url from its config)"
    readme_skipped=$((readme_skipped + 1))
    readme_block=
    continue
  fi
  if [ "$readme_mode" = fails ]; then
    # shellcheck source=/dev/null
    if source "$readme_block.sh" >"$readme_block.out" 2>&1; then
      echo "readme-test: the block at $readme_name:$readme_line should fail, and succeeded"
      exit 1
    fi
  else
    # shellcheck source=/dev/null
    source "$readme_block.sh" >"$readme_block.out" 2>&1
  fi
  set -euo pipefail # in case a block changed the shell's options
  if [ -f "$readme_block.expected" ] && ! python3 "$readme_work/compare.py" "$readme_block.expected" "$readme_block.out"; then
    echo "readme-test: the output of the block at $readme_name:$readme_line is not what the README says"
    exit 1
  fi
  readme_ran=$((readme_ran + 1))
  echo "  ok   $readme_name:$readme_line"
  readme_block=
done
trap readme_cleanup EXIT
echo "readme-test: $readme_ran blocks ran, $readme_skipped skipped"
