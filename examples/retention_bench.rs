//! The specifics and retention-audit benchmark in BENCHMARKS.md, and a look at what is extracted.
//!
//!     cargo run --release --example retention_bench -- print FILE...
//!     cargo run --release --example retention_bench -- bench MEMORY_DIR [RUNS]
//!
//! `print` lists each file's specifics (kind, line, text). `bench` reads every `.md` file of the
//! directory, then times, best of RUNS (default 10): extracting the specifics of every file; the
//! retention audit of a simulated dream that rewrote 100 files, each losing its last line, against the
//! whole memory; and, for comparison, the obvious alternative (extract every file before and after, and
//! take the set difference).

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use dream_mcp::retention::{Touched, audit};
use dream_mcp::specifics::{self, extract};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("print") => args[1..].iter().for_each(|f| print(Path::new(f))),
        Some("bench") if args.len() >= 2 => {
            let runs = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(10);
            bench(Path::new(&args[1]), runs);
        }
        _ => eprintln!("usage: retention_bench print FILE... | bench MEMORY_DIR [RUNS]"),
    }
}

fn print(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    println!("== {}", file.display());
    for s in extract(&text) {
        println!("{:>4} {:<10} {}", s.line, format!("{:?}", s.kind), s.text);
    }
}

/// The best of `runs` timings of `f`.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.unwrap_or_else(|| unreachable!("runs >= 1")))
}

fn bench(dir: &Path, runs: usize) {
    let runs = runs.max(1);
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".md"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    println!("{} files, {} bytes", files.len(), bytes);

    let (t, count) = best(runs, || {
        files.iter().map(|(_, t)| extract(t).len()).sum::<usize>()
    });
    println!("extract all: {count} specifics in {:.1} ms", ms(t));

    // A dream that rewrote 100 files, each losing its last non-empty line.
    let changed: Vec<(String, String, String)> = files
        .iter()
        .take(100)
        .map(|(p, t)| {
            let mut lines: Vec<&str> = t.lines().collect();
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            lines.pop();
            (p.clone(), t.clone(), lines.join("\n"))
        })
        .collect();
    let after: Vec<String> = changed
        .iter()
        .map(|(_, _, a)| a.clone())
        .chain(files.iter().skip(100).map(|(_, t)| t.clone()))
        .collect();
    let touched: Vec<Touched<'_>> = changed
        .iter()
        .map(|(p, b, a)| Touched {
            path: p,
            before: Some(b),
            after: Some(a),
        })
        .collect();
    let (t, r) = best(runs, || audit(&touched, || after.clone(), |_| None));
    println!(
        "audit of a 100-file dream: {} ({} forgotten) in {:.1} ms",
        r.figure(),
        r.forgotten.len(),
        ms(t)
    );
    let (t, lost) = best(runs, || {
        let keys = |texts: &mut dyn Iterator<Item = &str>| -> HashSet<String> {
            texts
                .flat_map(extract)
                .map(|s| specifics::key(&s.text))
                .collect()
        };
        let before = keys(&mut files.iter().map(|(_, t)| t.as_str()));
        let now = keys(&mut after.iter().map(String::as_str));
        before.difference(&now).count()
    });
    println!(
        "alternative (extract all before and after, set difference): {lost} lost in {:.1} ms",
        ms(t)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
