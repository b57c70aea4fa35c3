#!/usr/bin/env python3
"""Findings on the shared real memory directories, for hand grading.

    bench/precision.py BINARY [--realmem ../shared/realmem] [--out DIR] [--grades FILE]

Rebuilds each directory with its `make_tree.py` (memory with its original modification times, the project
as empty files in a fresh git repository), runs `BINARY check MEM --project-dir PROJ --json` with HOME set
to an empty folder, and prints the findings per kind and directory. With `--out` every finding is written
to DIR/findings.tsv (directory, kind, file:line, message), one a line, ready to grade. With `--grades` (a TSV
of directory, kind, file:line, grade with grade TP, LV or FP) it prints TP/LV/FP and precision per kind;
findings not in the file are counted as ungraded. The real directories never enter this repository."""
import argparse, collections, json, os, subprocess, sys, tempfile

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("binary")
ap.add_argument("--realmem", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "realmem"))
ap.add_argument("--out")
ap.add_argument("--grades")
args = ap.parse_args()

realmem = os.path.abspath(args.realmem)
if not os.path.isfile(os.path.join(realmem, "make_tree.py")):
    sys.exit(f"SKIPPED: no real memory directories at {realmem} (see shared/realmem/README.md)")
names = sorted(d for d in os.listdir(realmem) if os.path.isfile(os.path.join(realmem, d, "mtimes.json")))


def where(f):
    loc = (f.get("evidence") or {}).get("locations") or []
    first = loc[0] if loc else {}
    return f"{f.get('file') or first.get('file', '')}:{f.get('line') or first.get('line', '')}"


rows = []
with tempfile.TemporaryDirectory() as tmp:
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    for name in names:
        out = os.path.join(tmp, name)
        subprocess.run([sys.executable, os.path.join(realmem, "make_tree.py"), name, out],
                       check=True, stdout=subprocess.DEVNULL)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home}
        r = subprocess.run([args.binary, "check", os.path.join(out, "memory"), "--project-dir",
                            os.path.join(out, "project"), "--json"], capture_output=True, env=env)
        if r.returncode not in (0, 1):
            sys.exit(f"{name}: check exited {r.returncode}: {r.stderr.decode(errors='replace')}")
        for f in json.loads(r.stdout)["findings"]:
            rows.append((name, f["kind"], where(f), " ".join(f.get("message", "").split())))

grades = {}
if args.grades:
    for line in open(args.grades, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 4 and parts[3] in ("TP", "LV", "FP"):
            grades[tuple(parts[:3])] = parts[3]

if args.out:
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "findings.tsv"), "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write("\t".join(row) + "\n")

per = collections.defaultdict(collections.Counter)
for name, kind, loc, _ in rows:
    per[kind][grades.get((name, kind, loc), "ungraded")] += 1
    per[kind]["n"] += 1
print("| kind | findings | TP | LV | FP | ungraded | precision (TP / graded) |")
print("|---|---|---|---|---|---|---|")
total = collections.Counter()
for kind in sorted(per, key=lambda k: -per[k]["n"]) + ["all"]:
    c = total if kind == "all" else per[kind]
    if kind != "all":
        total.update(c)
    graded = c["TP"] + c["LV"] + c["FP"]
    prec = f"{100 * c['TP'] / graded:.0f}%" if graded else "-"
    print(f"| {kind} | {c['n']} | {c['TP']} | {c['LV']} | {c['FP']} | {c['ungraded']} | {prec} |")
by_dir = collections.Counter(r[0] for r in rows)
print("\nper directory: " + ", ".join(f"{d} {by_dir[d]}" for d in names))
