#!/usr/bin/env python3
"""Characters a scripted dream returns to the model, through the dream tools and through the shell route.

Tools route (real MCP stdio), the calls the `dream` skill (skill/dream/SKILL.md) has the model make:
tools/list (the definitions every request carries), start_dream, list_memory, read_memory_file of
MEMORY.md, of every file with findings and of every file the index's entries link (in the example, all
twelve), grep_transcripts with each preset since the last dream (corrections, remember, decisions, errors)
and corrections grouped over all sessions, then abort_dream. Every answer with its defaults. Shell route:
`ls -la MEM`, `cat` of every file, and `grep -rn PATTERN TRANSCRIPTS --include='*.jsonl' | tail -50` for a
pattern per preset.

    bench/dream_chars.py --binary target/release/dream-mcp --memory examples/messy-memory \
        --transcripts examples/transcripts

With `--sessions N --transcripts DIR`, the transcripts are a corpus of N sessions made of copies of the
real transcripts under DIR (every UUID renamed per copy, so each copy is a session of its own).
"""

import argparse
import json
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcp_write import Client  # noqa: E402

PATTERNS = {
    "corrections": r"\b(no,|don't|do not|actually|instead|wrong)\b",
    "remember": r"\b(remember|note that|keep in mind)\b",
    "decisions": r"\b(decided|let's go with|we'll use|settled on)\b",
    "errors": r"\b(error|failed|exception|traceback)\b",
}


def text_of(reply) -> str:
    result = reply.get("result", reply.get("error", {}))
    return "".join(c.get("text", "") for c in result.get("content", [])) or json.dumps(result)


def tools_route(binary, memory, transcripts, tmp):
    env = dict(os.environ, HOME=tmp, DREAM_MEMORY_DIR=memory, DREAM_TRANSCRIPTS_DIR=transcripts,
               DREAM_JOURNAL_DIR=os.path.join(tmp, "journal"), CLAUDE_PROJECT_DIR=tmp)
    c = Client([binary, "serve"], env)
    c.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "bench", "version": "0"}})
    c.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    rows = [("tools/list", len(json.dumps(c.request("tools/list", {})["result"])))]

    def call(name, args):
        t = text_of(c.request("tools/call", {"name": name, "arguments": args}))
        rows.append((name, len(t)))
        return t

    call("start_dream", {"min_hours": 0, "min_sessions": 0})
    listed = json.loads(call("list_memory", {}))
    index = call("read_memory_file", {"path": "MEMORY.md"})
    flagged = {f if isinstance(f, str) else f[0] for f in listed.get("files_with_findings", [])}
    for f in sorted(os.listdir(memory)):
        if f.endswith(".md") and f != "MEMORY.md" and (f in flagged or f"({f})" in index or f'"{f}"' in index):
            call("read_memory_file", {"path": f})
    for preset in PATTERNS:
        call("grep_transcripts", {"preset": preset, "since_last_dream": True})
    call("grep_transcripts", {"preset": "corrections", "group": True})
    call("abort_dream", {"reason": "benchmark"})
    c.close()
    return rows


def shell_route(memory, transcripts):
    rows = []

    def sh(label, cmd):
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, errors="replace").stdout
        rows.append((label, len(out)))

    sh("ls", f"ls -la '{memory}'")
    for f in sorted(os.listdir(memory)):
        if f.endswith(".md"):
            sh("cat", f"cat '{memory}/{f}'")
    for p in PATTERNS.values():
        sh("grep | tail -50", f"grep -rnE '{p}' '{transcripts}' --include='*.jsonl' | tail -50")
    return rows


def corpus(source, sessions, out):
    """N session transcripts in `out`, copies of the real ones under `source` with fresh UUIDs."""
    files = sorted(glob.glob(os.path.join(source, "**", "*.jsonl"), recursive=True))
    if not files:
        sys.exit(f"no transcripts under {source}")
    uuid_re = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    for n in range(sessions):
        copy = n // len(files)
        with open(files[n % len(files)], "rb") as f:
            data = f.read()
        data = uuid_re.sub(
            lambda m: str(uuid.uuid5(uuid.NAMESPACE_OID, f"{copy}:{m.group(0).decode()}")).encode(), data)
        with open(os.path.join(out, f"{uuid.UUID(int=n + 1)}.jsonl"), "wb") as f:
            f.write(data)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", action="append", required=True)
    ap.add_argument("--memory", required=True)
    ap.add_argument("--transcripts", required=True)
    ap.add_argument("--sessions", type=int, help="build a corpus of this many sessions from --transcripts")
    a = ap.parse_args()
    if a.sessions:
        built = tempfile.mkdtemp(prefix="dream-corpus-")
        a.transcripts = corpus(a.transcripts, a.sessions, built)
        print(f"corpus: {a.sessions} sessions, {sum(os.path.getsize(os.path.join(built, f)) for f in os.listdir(built)):,} bytes")
    shell = shell_route(a.memory, a.transcripts)
    shell_total = sum(n for _, n in shell)
    print(f"shell route: {shell_total:,} chars ({len(shell)} commands)")
    for binary in a.binary:
        with tempfile.TemporaryDirectory() as tmp:
            mem = os.path.join(tmp, "memory")
            shutil.copytree(a.memory, mem)
            rows = tools_route(os.path.abspath(binary), mem, os.path.abspath(a.transcripts), tmp)
        by = {}
        for k, n in rows:
            by[k] = by.get(k, 0) + n
        total = sum(by.values())
        detail = ", ".join(f"{k} {n:,}" for k, n in by.items())
        print(f"{binary}: {total:,} chars = {total / shell_total:.2f}x the shell route ({detail})")
        shell_grep = sum(n for k, n in shell if k.startswith("grep"))
        tools_grep = by.get("grep_transcripts", 0)
        print(f"  transcript searches alone: {tools_grep:,} vs {shell_grep:,} chars = {tools_grep / shell_grep:.3f}x")
    if a.sessions:
        shutil.rmtree(a.transcripts)


if __name__ == "__main__":
    main()
