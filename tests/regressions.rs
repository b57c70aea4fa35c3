//! Regression tests, each named after the bug it pins down.

use std::time::{Duration, Instant};

use dream_mcp::journal::unified_diff;
use dream_mcp::memory_dir::MAX_FILE_BYTES;

/// Found by the crash test: `finish_dream`, `dream-mcp diff` and `dream-mcp undo` all render a unified
/// diff, and an unbounded line diff of two files at the size cap whose lines all differ took 100 s in a
/// release build (minutes in a debug one), stalling the server. The diff now stops searching for the
/// smallest edit script after a bound and stays correct.
#[test]
fn diff_of_two_files_at_the_size_cap_whose_lines_all_differ_does_not_hang() {
    let lines = MAX_FILE_BYTES / 2;
    let (old, new) = ("a\n".repeat(lines), "b\n".repeat(lines));
    let started = Instant::now();
    let diff = unified_diff("x.md", Some(old.as_bytes()), Some(new.as_bytes()));
    let took = started.elapsed();
    assert_eq!(diff.lines().filter(|l| *l == "-a").count(), lines);
    assert_eq!(diff.lines().filter(|l| *l == "+b").count(), lines);
    assert!(
        diff.starts_with("--- a/x.md\n+++ b/x.md\n"),
        "{}",
        &diff[..40]
    );
    // A hang guard, not a speed target: the unbounded search took minutes here.
    assert!(took < Duration::from_secs(30), "diff took {took:?}");
}
