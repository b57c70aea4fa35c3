#!/usr/bin/env bash
# Benchmark of `dream-mcp grep` against `rg -n` and `grep -rn`, on one generated corpus, in one run.
#
#   bench/grep.sh [CORPUS_DIR] [SIZE_MB]
#
# CORPUS_DIR (default /work/bench-data/corpus-1g) is generated once by examples/gen_corpus.rs when it does
# not exist (SIZE_MB, default 1024). Needs ripgrep, hyperfine and GNU time (Debian: ripgrep hyperfine time).
# Prints wall times (hyperfine, page cache warm), output sizes, and peak RSS; results go to
# target/bench-grep/.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-/work/bench-data/corpus-1g}
SIZE_MB=${2:-1024}
OUT=target/bench-grep
SELECTIVE=quokka-migration
COMMON=error
RUNS=${RUNS:-15}

for tool in rg hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install ripgrep hyperfine time)" >&2; exit 2; }
done

cargo build --release --quiet --bin dream-mcp --example gen_corpus
BIN=$PWD/target/release/dream-mcp
if [ ! -d "$CORPUS" ]; then
    target/release/examples/gen_corpus "$CORPUS" "$SIZE_MB"
fi
mkdir -p "$OUT"
# No lock in this memory directory, and nothing resolved from the real ~/.claude.
EMPTY_MEMORY=$(mktemp -d)
trap 'rm -rf "$EMPTY_MEMORY"' EXIT
DREAM="$BIN --transcripts-dir $CORPUS --memory-dir $EMPTY_MEMORY grep --json"

echo "== corpus"
echo "$(find "$CORPUS" -name '*.jsonl' | wc -l) files, $(du -sm "$CORPUS" | cut -f1) MB in $CORPUS"
echo "machine: $(nproc) cores; $(rg --version | head -1); $(grep --version | head -1)"
# Warm the page cache.
rg -c zzzz-not-there "$CORPUS" >/dev/null || true
rg -c zzzz-not-there "$CORPUS" >/dev/null || true

for pat in "$SELECTIVE" "$COMMON"; do
    echo
    echo "== time: $pat"
    # --output=pipe: GNU grep stops at the first match when its output is /dev/null.
    hyperfine --warmup 2 --runs "$RUNS" --style basic --ignore-failure --output=pipe \
        --export-json "$OUT/time-$pat.json" \
        -n "dream-mcp grep" "$DREAM $pat" \
        -n "dream-mcp grep --role any --tool-output" "$DREAM --role any --tool-output $pat" \
        -n "rg -n" "rg -n $pat $CORPUS" \
        -n "grep -rn" "grep -rn $pat $CORPUS --include='*.jsonl'"
    echo
    echo "== output bytes: $pat"
    ours=$($DREAM "$pat" | wc -c)
    ours_any=$($DREAM --role any --tool-output "$pat" | wc -c)
    tail50=$(grep -rn "$pat" "$CORPUS" --include='*.jsonl' | tail -50 | wc -c)
    rg_all=$(rg -n "$pat" "$CORPUS" | wc -c || true)
    echo "dream-mcp grep --json (the MCP answer, 50 hits max): $ours"
    echo "dream-mcp grep --json --role any --tool-output:      $ours_any"
    echo "grep -rn ... | tail -50:                             $tail50"
    echo "rg -n (all matches):                                 $rg_all"
    echo "grep -rn | tail -50 over ours:                       $(python3 -c "print(round($tail50 / $ours, 1))")x"
    $DREAM "$pat" > "$OUT/answer-$pat.json"
    $DREAM --role any --tool-output "$pat" > "$OUT/answer-any-$pat.json"
    python3 - "$OUT/answer-$pat.json" "$OUT/answer-any-$pat.json" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    s = json.load(open(path))["stats"]
    print(f"{path}: hits {s['hits_returned']} of {s['matching_lines']} matching lines, "
          f"{s['raw_line_matches']} raw candidates, {s['elapsed_ms']} ms, "
          f"warnings {[w['kind'] for w in s['warnings']]}")
EOF
done

echo
echo "== ratios (from the hyperfine means; from the fastest runs in brackets)"
python3 - "$OUT" "$SELECTIVE" "$COMMON" <<'EOF'
import json, sys
out = sys.argv[1]
for pat in sys.argv[2:]:
    r = {x["command"]: x for x in json.load(open(f"{out}/time-{pat}.json"))["results"]}
    ours, rg, grep = r["dream-mcp grep"], r["rg -n"], r["grep -rn"]
    print(f"{pat}: ours/rg {ours['mean']/rg['mean']:.2f} [{ours['min']/rg['min']:.2f}], "
          f"grep/ours {grep['mean']/ours['mean']:.2f} [{grep['min']/ours['min']:.2f}]; "
          f"means ms: ours {ours['mean']*1e3:.0f}, rg {rg['mean']*1e3:.0f}, grep {grep['mean']*1e3:.0f}")
EOF

echo
echo "== peak RSS (KB, /usr/bin/time -v)"
# Output goes through a pipe, not to /dev/null (see above).
rss() {
    /usr/bin/time -v -o "$OUT/time.txt" "$@" | cat >/dev/null || true
    awk -F': ' '/Maximum resident/ {print $2}' "$OUT/time.txt"
}
for pat in "$SELECTIVE" "$COMMON"; do
    echo "dream-mcp grep $pat:                          $(rss $DREAM "$pat")"
    echo "dream-mcp grep --role any --tool-output $pat: $(rss $DREAM --role any --tool-output "$pat")"
    echo "rg -n $pat:                                   $(rss rg -n "$pat" "$CORPUS")"
    echo "grep -rn $pat:                                $(rss grep -rn "$pat" "$CORPUS" --include='*.jsonl')"
done
