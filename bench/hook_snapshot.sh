#!/usr/bin/env bash
# The SessionStart hook with the safety net on a 1,000-file / 5 MB memory: nothing changed, and after a
# dream outside dream-mcp changed 100 files (and moved the lock). Compared with `status --json` (the gate
# alone, what the hook did before the safety net). Usage: bench/hook_snapshot.sh [RUNS]
set -euo pipefail
runs=${1:-20}
bin=target/release/dream-mcp
gen=target/release/examples/gen_memory
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
"$gen" "$w" >/dev/null
mkdir -p "$w/home" "$w/tr"
args=(--memory-dir "$w/memory" --journal-dir "$w/journal" --transcripts-dir "$w/tr" --project-dir "$w/project")
export HOME="$w/home"
ms() { python3 -c "import sys;print(f'{(int(sys.argv[2])-int(sys.argv[1]))/1e6:.1f}')" "$1" "$2"; }
time_one() { local t0 t1; t0=$(date +%s%N); "$@" </dev/null >/dev/null; t1=$(date +%s%N); ms "$t0" "$t1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
touch "$w/memory/.consolidate-lock"
echo "first look (baseline of every file): $(time_one "$bin" "${args[@]}" status --hook) ms"
echo "gate only (status --json), median of $runs: $(for _ in $(seq "$runs"); do time_one "$bin" "${args[@]}" status --json; done | median) ms"
echo "hook, nothing changed, median of $runs: $(for _ in $(seq "$runs"); do time_one "$bin" "${args[@]}" status --hook; done | median) ms"
changed=()
for _ in $(seq "$runs"); do
  i=0
  for f in "$w"/memory/*.md; do
    [ "$(basename "$f")" = MEMORY.md ] && continue
    i=$((i+1)); [ $i -gt 100 ] && break
    if [ $((i % 10)) -eq 0 ]; then rm "$f"; else sed -i '$d' "$f"; fi
  done
  touch "$w/memory/.consolidate-lock"
  changed+=("$(time_one "$bin" "${args[@]}" status --hook)")
  "$bin" "${args[@]}" undo >/dev/null 2>&1
  "$bin" "${args[@]}" status --hook </dev/null >/dev/null
done
echo "hook, a dream changed 100 files (10 deleted), median of $runs: $(printf '%s\n' "${changed[@]}" | median) ms"
"$bin" "${args[@]}" history | tail -3 | cut -c1-200
