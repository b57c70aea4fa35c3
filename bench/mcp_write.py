#!/usr/bin/env python3
"""Time `write_memory_file` through the real MCP stdio protocol on a generated memory directory.

Reports, per write, the whole call's wall time as the client sees it and, when the binary logs it
(`DREAM_LOG=debug`, "directory lock released held_us=N"), how long the directory flock was held.

    bench/mcp_write.py [--binary target/release/dream-mcp] [--files 1000] [--writes 20]
    bench/mcp_write.py --from OUT [--writes 20]     # OUT made by `gen_memory OUT N`
    bench/mcp_write.py --orient 2 ...               # list_memory first, then the model's turn

With `--from`, the memory and project are copies of what `examples/gen_memory` made (Zipf-distributed
words, like real notes), and each write rewrites an existing topic file with one line added, so the
write repeats the facts of the file it replaces and of those that share them.
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WORDS = (
    "build cache redis postgres migration deploy staging token review pipeline worker queue index "
    "schema backend frontend release feature flag retry timeout config docker compose kubernetes "
    "service endpoint handler router test fixture benchmark latency memory session transcript"
).split()


def topic(rng: random.Random, n: int) -> str:
    lines = [
        "---",
        f"name: note-{n}",
        f"description: note {n} about {rng.choice(WORDS)} and {rng.choice(WORDS)}",
        "type: project",
        "---",
        "",
    ]
    for _ in range(rng.randint(4, 12)):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
        lines.append(f"- The {words}.")
    return "\n".join(lines) + "\n"


def generate(memory: str, files: int) -> None:
    rng = random.Random(7)
    index = []
    for n in range(files):
        name = f"note_{n:05}.md"
        with open(os.path.join(memory, name), "w") as f:
            f.write(topic(rng, n))
        if n < 150:
            index.append(f"- [Note {n}]({name}) — note {n}")
    with open(os.path.join(memory, "MEMORY.md"), "w") as f:
        f.write("\n".join(index) + "\n")


class Client:
    def __init__(self, argv, env):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self.next_id = 0
        self.held = []
        threading.Thread(target=self._stderr, daemon=True).start()

    def _stderr(self):
        for raw in self.proc.stderr:
            m = re.search(rb"held_us=(\d+)", raw)
            if m:
                self.held.append(int(m.group(1)))

    def send(self, msg):
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("server closed stdout")
            msg = json.loads(line)
            if msg.get("id") == self.next_id:
                return msg

    def cpu_ms(self):
        """The server's CPU time so far (user and system), from /proc: what the load of other processes
        on the machine changes least."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/dream-mcp")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--writes", type=int, default=20)
    ap.add_argument("--from", dest="source", help="a gen_memory output folder to copy")
    ap.add_argument("--orient", type=float, metavar="SECONDS",
                    help="call list_memory first, as a dream does, then wait SECONDS (the model's turn) "
                         "before the first write")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        memory = os.path.join(tmp, "memory")
        project = os.path.join(tmp, "project")
        if args.source:
            shutil.copytree(os.path.join(args.source, "memory"), memory)
            shutil.copytree(os.path.join(args.source, "project"), project)
            names = sorted(n for n in os.listdir(memory) if n.endswith(".md") and n != "MEMORY.md")
            args.files = len(names)
        else:
            os.makedirs(memory)
            generate(memory, args.files)
            # The project the memory describes: a small tree beside it (memory lives under ~/.claude,
            # not in the project), so the figure is the cost of the memory's size.
            os.makedirs(os.path.join(project, "src"))
            for n in range(20):
                with open(os.path.join(project, "src", f"mod_{n}.rs"), "w") as f:
                    f.write("// module\n")
        # Without change notifications, a file changed in the last 2 seconds is read again at every
        # write (its stamp may not yet tell a later write apart); a memory's files are older than that.
        time.sleep(2.5)
        env = dict(os.environ)
        env.update(
            HOME=tmp,
            DREAM_MEMORY_DIR=memory,
            DREAM_JOURNAL_DIR=os.path.join(tmp, "journal"),
            DREAM_TRANSCRIPTS_DIR=os.path.join(tmp, "transcripts"),
            CLAUDE_PROJECT_DIR=project,
            DREAM_LOG="dream_mcp=debug",
        )
        client = Client([args.binary, "serve"], env)
        client.request(
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
        )
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        if args.orient is not None:
            t0 = time.perf_counter()
            client.request("tools/call", {"name": "list_memory", "arguments": {}})
            listed = (time.perf_counter() - t0) * 1000
            time.sleep(args.orient)
        rng = random.Random(11)
        walls = []
        for n in range(args.writes + 1):
            if args.source:
                name = names[rng.randrange(len(names))]
                with open(os.path.join(memory, name)) as f:
                    content = f.read() + f"\n- Checked again in write {n} of the benchmark.\n"
                arguments = {"path": name, "content": content}
            else:
                arguments = {"path": f"bench_{n}.md", "content": topic(rng, n)}
            params = {"name": "write_memory_file", "arguments": arguments}
            t0 = time.perf_counter()
            reply = client.request("tools/call", params)
            walls.append((time.perf_counter() - t0) * 1000)
            if n == 0:
                first = walls.pop()
                cpu_start = client.cpu_ms()
            if reply.get("result", {}).get("isError") or "error" in reply:
                raise SystemExit(f"write failed: {reply}")
        cpu = (client.cpu_ms() - cpu_start) / max(args.writes, 1)
        client.close()
        time.sleep(0.1)

    def stats(xs):
        return f"median {statistics.median(xs):.2f} ms, min {min(xs):.2f}, max {max(xs):.2f}"

    if args.orient is not None:
        print(f"{args.files} files, list_memory: {listed:.2f} ms, then {args.orient:g} s")
        print(f"{args.files} files, first write after list_memory: {first:.2f} ms")
    else:
        print(f"{args.files} files, first write (reads the whole memory): {first:.2f} ms")
    print(f"{args.files} files, {args.writes} writes after it: call {stats(walls)}")
    print(f"  server CPU time (user + system) per write: {cpu:.2f} ms")
    if client.held:
        print(f"  directory lock held: {stats([h / 1000 for h in client.held])}")
    else:
        print("  (the binary does not log the lock hold time; the whole call ran under the lock)")


if __name__ == "__main__":
    sys.exit(main())
