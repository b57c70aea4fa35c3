#!/usr/bin/env python3
"""The findings a write reports, against what `check` says of the same file, on the shared real memories.

    bench/write_findings.py BINARY [--realmem ../shared/realmem]

Rebuilds each directory with its `make_tree.py` (as bench/precision.py does), runs `BINARY check --json`,
then starts `BINARY serve` on it and rewrites every topic file with its own content through
`write_memory_file` (real MCP stdio), one server for the whole directory, so every write after the first
uses the analysis kept between writes. Per kind it counts the findings each write reports for its file
(relative dates, stale paths, secrets, duplicates: the kinds a write reports) against those `check`
reports for that file, and the listed ones `check` does not have (a duplicate group of a write, which holds
the file's statements and what repeats them directly, is had when it is part of one of `check`'s groups).
A write's findings agree with `check`'s when both counts match and nothing is extra. `SHOW_EXTRA=1` prints
the extra ones. The real directories never enter this repository."""
import argparse, collections, hashlib, json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcp_write import Client  # noqa: E402

KINDS = ("relative_date", "stale_path", "secret", "duplicate")

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("binary")
ap.add_argument("--realmem", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "realmem"))
args = ap.parse_args()
binary = os.path.abspath(args.binary)
realmem = os.path.abspath(args.realmem)
if not os.path.isfile(os.path.join(realmem, "make_tree.py")):
    sys.exit(f"SKIPPED: no real memory directories at {realmem} (see shared/realmem/README.md)")
names = sorted(d for d in os.listdir(realmem) if os.path.isfile(os.path.join(realmem, d, "mtimes.json")))


def files_of(f):
    """The files a finding is about: its own, and for a duplicate every location's."""
    locs = (f.get("evidence") or {}).get("locations") or []
    return {f["file"]} | {l["file"] for l in locs}


def key(f, path):
    """What identifies a finding about `path`: kind and line, or for a duplicate the lines it pairs."""
    locs = (f.get("evidence") or {}).get("locations") or []
    if f["kind"] == "duplicate":
        return ("duplicate", frozenset((l["file"], l["line"]) for l in locs))
    return (f["kind"], f["line"])


check_n, write_n, extra = collections.Counter(), collections.Counter(), collections.Counter()
writes = 0
with tempfile.TemporaryDirectory() as tmp:
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    for name in names:
        out = os.path.join(tmp, name)
        subprocess.run([sys.executable, os.path.join(realmem, "make_tree.py"), name, out],
                       check=True, stdout=subprocess.DEVNULL)
        memory, project = os.path.join(out, "memory"), os.path.join(out, "project")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home}
        r = subprocess.run([binary, "check", memory, "--project-dir", project, "--json"],
                           capture_output=True, env=env)
        if r.returncode not in (0, 1):
            sys.exit(f"{name}: check exited {r.returncode}: {r.stderr.decode(errors='replace')}")
        checked = [f for f in json.loads(r.stdout)["findings"] if f["kind"] in KINDS]
        env.update(DREAM_MEMORY_DIR=memory, DREAM_JOURNAL_DIR=os.path.join(out, "journal"),
                   DREAM_TRANSCRIPTS_DIR=os.path.join(out, "transcripts"), CLAUDE_PROJECT_DIR=project)
        client = Client([binary, "serve"], env)
        client.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                      "clientInfo": {"name": "bench", "version": "0"}})
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        topics = sorted(n for n in os.listdir(memory) if n.endswith(".md") and n != "MEMORY.md")
        for path in topics:
            raw = open(os.path.join(memory, path), "rb").read()
            arguments = {"path": path, "content": raw.decode("utf-8", errors="replace"),
                         "expected_sha256": hashlib.sha256(raw).hexdigest()}
            reply = client.request("tools/call", {"name": "write_memory_file", "arguments": arguments})
            result = reply.get("result") or {}
            if result.get("isError") or "error" in reply:
                print(f"{name}/{path}: write refused: {reply}", file=sys.stderr)
                continue
            writes += 1
            brief = result["structuredContent"]
            mine = [f for f in checked if path in files_of(f)]
            mine_keys = {key(f, path) for f in mine}
            groups = [k[1] for k in mine_keys if k[0] == "duplicate"]

            def known(f):
                # A write's group holds its statements and what repeats them directly: a part of one
                # of check's groups, which also join what repeats those.
                k = key(f, path)
                return k in mine_keys or (k[0] == "duplicate" and any(k[1] <= g for g in groups))

            for kind in KINDS:
                check_n[kind] += sum(1 for f in mine if f["kind"] == kind)
                write_n[kind] += brief["findings_by_kind"].get(kind, 0)
            for f in brief["findings"]:
                if f["kind"] in KINDS and not known(f):
                    extra[f["kind"]] += 1
                    if os.environ.get("SHOW_EXTRA"):
                        print(f"{name}/{path}: {sorted(key(f, path)[1]) if f['kind'] == 'duplicate' else f}",
                              [sorted(key(g, path)[1]) for g in mine if g["kind"] == f["kind"]], file=sys.stderr)
        client.close()

print(f"{writes} writes over {len(names)} directories")
print("| kind | check: findings naming the file | write: findings reported | listed by the write, not by check |")
print("|---|---|---|---|")
for kind in KINDS:
    print(f"| {kind} | {check_n[kind]} | {write_n[kind]} | {extra[kind]} |")
