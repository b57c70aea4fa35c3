#!/usr/bin/env python3
"""Time `dream-mcp undo` of a run that changed 1,000 files (3.4 MB) against `cp -a` of the same files
followed by `sync`, in one run, and print the ratio.

The run to undo is written straight into the journal in the plain layout every version reads
(`run.json` plus `before/<n>` and `after/<n>`), so the same input serves any binary:

    bench/undo.py --binary target/release/dream-mcp [--binary /path/to/other/dream-mcp] \
        [--files 1000] [--bytes 3400] [--repeat 5]

Each repetition builds a fresh memory directory and journal in a temporary folder on the same
filesystem as the copy, so both sides pay the same disk.
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def content(n: int, size: int, tag: str) -> bytes:
    head = f"---\nname: note-{n}\ndescription: note {n} ({tag})\ntype: project\n---\n\n".encode()
    line = f"- {tag} fact number {n}: the build cache lives in redis and staging deploys at noon.\n"
    body = (line * (size // len(line) + 1)).encode()
    return (head + body)[:size]


def setup(root: str, files: int, size: int) -> tuple[str, str, str, str]:
    memory, journal, original = (os.path.join(root, d) for d in ("memory", "journal", "original"))
    run_id = "20260101T000000.000000Z-1"
    run = os.path.join(journal, "runs", run_id)
    for d in (memory, original, os.path.join(run, "before"), os.path.join(run, "after")):
        os.makedirs(d)
    touched = []
    for n in range(files):
        name = f"note_{n:05}.md"
        before, after = content(n, size, "before"), content(n, size, "after")
        for path, data in (
            (os.path.join(original, name), before),
            (os.path.join(run, "before", str(n)), before),
            (os.path.join(run, "after", str(n)), after),
            (os.path.join(memory, name), after),
        ):
            with open(path, "wb") as f:
                f.write(data)
        touched.append(
            {
                "path": name,
                "before": {"sha256": hashlib.sha256(before).hexdigest(), "blob": f"before/{n}"},
                "after": {"sha256": hashlib.sha256(after).hexdigest(), "blob": f"after/{n}"},
            }
        )
    record = {
        "id": run_id,
        "kind": "dream",
        "status": "finished",
        "started": "2026-01-01T00:00:00.000Z",
        "ended": "2026-01-01T00:10:00.000Z",
        "pid": 1,
        "summary": "bench",
        "undoes": None,
        "touched": touched,
    }
    with open(os.path.join(run, "run.json"), "w") as f:
        json.dump(record, f)
    subprocess.run(["sync"], check=True)
    return memory, journal, original, run_id


def timed(argv, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", action="append", required=True)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--bytes", type=int, default=3400)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where to make the temporary folders")
    args = ap.parse_args()
    results = {b: [] for b in args.binary}
    copies = []
    for _ in range(args.repeat):
        for binary in args.binary:
            with tempfile.TemporaryDirectory(dir=args.dir) as root:
                memory, journal, original, run_id = setup(root, args.files, args.bytes)
                env = dict(os.environ, HOME=root)
                argv = [binary, "--memory-dir", memory, "--journal-dir", journal, "undo", run_id]
                results[binary].append(timed(argv, env))
                for name in os.listdir(original):
                    with open(os.path.join(original, name), "rb") as a, open(
                        os.path.join(memory, name), "rb"
                    ) as b:
                        assert a.read() == b.read(), f"undo did not restore {name}"
        with tempfile.TemporaryDirectory(dir=args.dir) as root:
            _, _, original, _ = setup(root, args.files, args.bytes)
            copy = os.path.join(root, "copy")
            copies.append(timed(["sh", "-c", f"cp -a '{original}' '{copy}' && sync"]))
            shutil.rmtree(copy)
    base = statistics.median(copies)
    mb = args.files * args.bytes / 1e6
    print(f"{args.files} files, {mb:.1f} MB, median of {args.repeat}")
    print(f"  cp -a + sync: {base:.3f} s")
    for binary, times in results.items():
        t = statistics.median(times)
        print(f"  {binary} undo: {t:.3f} s  ({t / base:.2f}x cp -a + sync)")


if __name__ == "__main__":
    main()
