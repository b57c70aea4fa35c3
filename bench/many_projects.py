#!/usr/bin/env python3
# Usage: bench/many_projects.py DIR. A config with 100 projects (6 sessions, 5-file memory each), agent stores in project scope (every
# 4th), local scope (every 5th) and one in user scope, as tests/util/stores.rs lays them out.
import json, os, sys
root = os.path.abspath(sys.argv[1]); cfg = f"{root}/home/.claude"
def store(d, n):
    os.makedirs(d, exist_ok=True)
    idx = ""
    for i in range(n):
        open(f"{d}/note{i}.md", "w").write(f"---\nname: note{i}\ndescription: notes about note{i}\ntype: project\n---\nFact number {i} about the build.\n")
        idx += f"- [Note {i}](note{i}.md) — fact {i}\n"
    open(f"{d}/MEMORY.md", "w").write(idx)
for i in range(100):
    co = f"{root}/src/p{i:03}"; os.makedirs(co, exist_ok=True)
    folder = f"{cfg}/projects/-src-p{i:03}"; os.makedirs(folder, exist_ok=True)
    for n in range(6):
        sid = f"{n:08x}-0000-4000-8000-{n:012x}"
        open(f"{folder}/{sid}.jsonl", "w").write(json.dumps({"type": "user", "sessionId": sid, "cwd": co, "timestamp": "2026-11-01T10:00:00.000Z", "message": {"role": "user", "content": "hello"}}) + "\n")
    store(f"{folder}/memory", 5)
    if i % 4 == 0: store(f"{co}/.claude/agent-memory/reviewer", 2)
    if i % 5 == 0: store(f"{co}/.claude/agent-memory-local/tester", 1)
store(f"{cfg}/agent-memory/helper", 3)
