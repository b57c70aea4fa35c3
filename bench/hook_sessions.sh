#!/usr/bin/env bash
# The SessionStart hook (`status --hook`) with 50,000 session transcripts: when the last consolidation is
# an hour old (not due by hours: the hook must not list the folder) and a day old (due: the count stops at
# the threshold), against `status --json` (the full gate) and `ls | wc -l` of the same folder.
# Usage: bench/hook_sessions.sh [SESSIONS] [BIN]
set -euo pipefail
n=${1:-50000}
bin=${2:-target/release/dream-mcp}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/memory" "$w/tr" "$w/home" "$w/project"
printf -- '- [a](a.md) — a\n' >"$w/memory/MEMORY.md"
printf -- '# a\n' >"$w/memory/a.md"
python3 - "$w/tr" "$n" <<'PY'
import os, sys, uuid, time
d, n = sys.argv[1], int(sys.argv[2])
old = time.time() - 3 * 86400
for i in range(n):
    p = os.path.join(d, f"{uuid.UUID(int=i + 1)}.jsonl")
    with open(p, "w") as f:
        f.write('{"type":"user","timestamp":"2026-11-01T00:00:00Z"}\n')
    t = old + i  # one session a second, all after the lock of the "due" case
    os.utime(p, (t, t))
PY
export HOME="$w/home"
args=(--memory-dir "$w/memory" --journal-dir "$w/journal" --transcripts-dir "$w/tr" --project-dir "$w/project")
"$bin" "${args[@]}" status --hook </dev/null >/dev/null # the safety net's first look
hf=(hyperfine -N --warmup 5 --runs 50 --style basic)
echo "== $n sessions, last consolidation 1 hour ago (not due by hours)"
touch -d '1 hour ago' "$w/memory/.consolidate-lock"
"${hf[@]}" --export-markdown "$w/a.md" \
  -n 'status --hook' "$bin ${args[*]} status --hook" \
  -n 'status --json (full gate)' "$bin ${args[*]} status --json" \
  -n 'ls | wc -l' "sh -c 'ls -f $w/tr | wc -l'" >/dev/null
cat "$w/a.md"
echo "== $n sessions, last consolidation 4 days ago (due: hours met, count stops at 5)"
touch -d '4 days ago' "$w/memory/.consolidate-lock"
out=$("$bin" "${args[@]}" status --hook </dev/null)
case "$out" in *additionalContext*) echo "(hook printed its context: due)";; *) echo "hook printed nothing: NOT due?"; exit 1;; esac
"${hf[@]}" --export-markdown "$w/b.md" \
  -n 'status --hook' "$bin ${args[*]} status --hook" \
  -n 'status --json (full gate)' "$bin ${args[*]} status --json" \
  -n 'ls | wc -l' "sh -c 'ls -f $w/tr | wc -l'" >/dev/null
cat "$w/b.md"
