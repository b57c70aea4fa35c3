#!/usr/bin/env bash
# Usage: bench/findings.sh [NEW_BINARY] [OLD_BINARY]
# Times `dream-mcp check` (wall, peak RSS via /usr/bin/time -v) at 100 / 1,000 / 10,000 / 100,000 topic
# files (examples/gen_memory.rs, 2,000 bytes each), on two pathological 256 KiB files (one short line
# repeated; short lines differing in a number), and the session-start hook at 50,000 sessions (not due by
# hours; due), for both binaries in one run. The old binary gets at most $OLD_TIMEOUT seconds per case.
set -uo pipefail
NEW=$(readlink -f "${1:-target/release/dream-mcp}")
OLD=$(readlink -f "${2:-/work/before-target/release/dream-mcp}")
OLD_TIMEOUT=${OLD_TIMEOUT:-120}
SIZES=${SIZES:-"100 1000 10000 100000"}
DATA=${DATA:-/tmp/dream-bench}
GEN=${GEN:-target/release/examples/gen_memory}
mkdir -p "$DATA"; HOME_DIR=$(mktemp -d); trap 'rm -rf "$HOME_DIR"' EXIT
export HOME="$HOME_DIR" XDG_CONFIG_HOME="$HOME_DIR/.config" CLAUDE_CONFIG_DIR="$HOME_DIR/.claude"

measure() { # label timeout binary args...
  local label=$1 limit=$2; shift 2
  local out; out=$(mktemp)
  timeout "$limit" /usr/bin/time -v "$@" >/dev/null 2>"$out"; local rc=$?
  local wall rss
  wall=$(grep "Elapsed (wall" "$out" | awk '{print $NF}')
  rss=$(grep "Maximum resident" "$out" | awk '{print $NF}')
  if [ "$rc" = 124 ]; then wall=">${limit}s"; fi
  printf '| %s | %s | %s MiB | rc %s |\n' "$label" "$wall" "$(( ${rss:-0} / 1024 ))" "$rc"
  rm -f "$out"
}

echo "| case | wall | peak RSS | exit |"
echo "|---|---|---|---|"
for n in $SIZES; do
  d="$DATA/mem-$n"
  [ -d "$d/memory" ] || "$GEN" "$d" "$n" 2000 >/dev/null
  measure "check, $n files, new" 600 "$NEW" check "$d/memory" --project-dir "$d/project" --json
  measure "check, $n files, old" "$OLD_TIMEOUT" "$OLD" check "$d/memory" --project-dir "$d/project" --json
done

p="$DATA/patho"; mkdir -p "$p/same" "$p/numbered" "$p/project"
python3 - "$p" <<'PY'
import sys
p = sys.argv[1]
line = "- retry the flaky upload job again\n"
open(f"{p}/same/big.md", "w").write("---\nname: big\ndescription: big\n---\n" + line * ((256 * 1024 - 64) // len(line)))
rows, n = [], 0
while sum(map(len, rows)) < 256 * 1024 - 200:
    rows.append(f"- upload job {n} failed on runner {n % 97}\n"); n += 1
open(f"{p}/numbered/big.md", "w").write("---\nname: big\ndescription: big\n---\n" + "".join(rows))
PY
for k in same numbered; do
  measure "256 KiB file, $k lines, new" 600 "$NEW" check "$p/$k" --project-dir "$p/project" --json
  measure "256 KiB file, $k lines, old" "$OLD_TIMEOUT" "$OLD" check "$p/$k" --project-dir "$p/project" --json
done

h="$DATA/hook"; mkdir -p "$h/memory" "$h/transcripts"
if [ "$(ls "$h/transcripts" | wc -l)" -lt 50000 ]; then
  python3 - "$h/transcripts" <<'PY'
import sys, uuid, os
d = sys.argv[1]
for i in range(50000):
    open(os.path.join(d, f"{uuid.UUID(int=i + 1)}.jsonl"), "w").close()
PY
fi
hook() { # label binary
  local label=$1 bin=$2
  local t0 t1 best=999999
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    DREAM_MEMORY_DIR="$h/memory" DREAM_TRANSCRIPTS_DIR="$h/transcripts" "$bin" status --hook </dev/null >/dev/null 2>&1
    t1=$(date +%s%N); local ms=$(( (t1 - t0) / 1000 ))
    [ "$ms" -lt "$best" ] && best=$ms
  done
  printf '| %s | %s ms (best of 5) | | |\n' "$label" "$(awk "BEGIN{printf \"%.1f\", $best/1000}")"
}
touch "$h/memory/.consolidate-lock"                      # consolidated just now: not due by hours
hook "hook, 50,000 sessions, not due by hours, new" "$NEW"
hook "hook, 50,000 sessions, not due by hours, old" "$OLD"
touch -d '3 days ago' "$h/memory/.consolidate-lock"      # due
find "$h/transcripts" -name '*.jsonl' -newer "$h/memory/.consolidate-lock" | head -1 >/dev/null
hook "hook, 50,000 sessions, due, new" "$NEW"
hook "hook, 50,000 sessions, due, old" "$OLD"
