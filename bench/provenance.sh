#!/usr/bin/env bash
# Benchmark of the provenance index (`dream-mcp blame`) on a generated transcripts corpus, cold (no cache)
# and cached, against one `rg` pass over the same bytes, in one run.
#
#   bench/provenance.sh [CORPUS_DIR] [SIZE_MB]
#
# CORPUS_DIR (default /work/bench-data/corpus-1g) is made by examples/gen_corpus.rs when missing; the
# bundled example's transcripts (which hold the Write/Edit calls that wrote its memory) are copied in, so
# the index has real writes to find among a gigabyte of other sessions. Needs ripgrep, hyperfine, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-/work/bench-data/corpus-1g}
SIZE_MB=${2:-1024}
RUNS=${RUNS:-5}
for tool in rg hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install ripgrep hyperfine time)" >&2; exit 2; }
done
cargo build --release --quiet --bin dream-mcp --example gen_corpus
TARGET=$(readlink -f "${CARGO_TARGET_DIR:-target}")
BIN=$TARGET/release/dream-mcp
[ -d "$CORPUS" ] || "$TARGET"/release/examples/gen_corpus "$CORPUS" "$SIZE_MB"
cp -r examples/transcripts/. "$CORPUS/"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r examples/messy-memory "$WORK/memory"
BLAME="$BIN --memory-dir $WORK/memory --journal-dir $WORK/journal --transcripts-dir $CORPUS \
 --project-dir examples/messy-project blame build-commands.md --json"
export DREAM_CACHE_DIR=$WORK/cache

echo "== corpus: $(find "$CORPUS" -name '*.jsonl' | wc -l) files, $(du -sm "$CORPUS" | cut -f1) MB; $(nproc) cores"
rg -c zzzz-not-there "$CORPUS" >/dev/null || true
# Every file of the example, through the cache the first call builds.
for f in $(cd "$WORK/memory" && find . -name '*.md' | sed 's|^\./||' | sort); do
    "$BIN" --memory-dir "$WORK/memory" --journal-dir "$WORK/journal" --transcripts-dir "$CORPUS" \
        --project-dir examples/messy-project blame "$f" --json
    echo
done | python3 -c '
import json, sys
a = n = 0
for block in sys.stdin.read().split("\n}\n"):
    if block.strip():
        v = json.loads(block + "\n}")
        a, n = a + v["attributed"], n + v["lines"]
print(f"== attributed lines of the example: {a} of {n} ({100 * a / max(n, 1):.0f}%)")'
# One --prepare per command (a single one would apply to every command).
hyperfine --warmup 1 --runs "$RUNS" --style basic --ignore-failure --output=pipe \
    --prepare "rm -rf $WORK/cache" --prepare true --prepare true --prepare true --prepare true \
    -n "blame, cold (no cache)" "$BLAME" \
    -n "blame, cached" "$BLAME" \
    -n "rg -c '\"tool_use\"' (one pass)" "rg -c '\"tool_use\"' $CORPUS" \
    -n "rg -c file_path (one pass)" "rg -c file_path $CORPUS" \
    -n "rg -c -F, the prefilter's four strings" \
    "rg -c -F -e /memory/ -e '\\/memory\\/' -e 'write_memory_file\"' -e 'rewrite_index\"' $CORPUS"
rss() {
    /usr/bin/time -v -o "$WORK/time.txt" "$@" | cat >/dev/null || true
    awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.txt"
}
rm -rf "$WORK/cache"
echo "== peak RSS (KB): blame cold $(rss $BLAME), cached $(rss $BLAME), rg $(rss rg -c file_path "$CORPUS")"
