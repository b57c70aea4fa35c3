//! Load: grep_transcripts on the built server while another process appends to a transcript (pausing in
//! the middle of lines) and creates new sessions.
//!
//! No search may fail; a hit is only ever a line that was completely written; the same file and line
//! always hold the same text; the count of matching lines never goes down; a half-written last line is
//! skipped and reported (and a session caught before its first byte, as an empty file); and once the
//! writer stops, the search finds every line.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::transcripts::{S1, user};
use crate::util::{Env, StdioServer};

const WRITE_FOR: Duration = Duration::from_secs(3);

fn session_id(n: u64) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// Writes `line` in two parts with a pause between, as a session being written does; the first part
/// already holds the needle, so a search meets a matching line that is not finished.
fn append_slowly(path: &Path, line: &str, pause: Duration) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open transcript");
    let (a, b) = line.split_at(line.find(" for later").expect("the needle's tail"));
    f.write_all(a.as_bytes()).expect("first half");
    f.flush().expect("flush");
    std::thread::sleep(pause);
    f.write_all(b.as_bytes()).expect("second half");
    f.write_all(b"\n").expect("newline");
}

/// Appends needles to one long session and starts a new session every few lines, until `stop`.
/// `written` counts lines completely written; returns every needle with the file it went to.
fn writer(dir: &Path, stop: &AtomicBool, written: &AtomicU64) -> BTreeMap<u64, String> {
    let mut placed = BTreeMap::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let (file, session) = if n % 5 == 4 {
            let s = session_id(n);
            (format!("{s}.jsonl"), s)
        } else {
            (format!("{S1}.jsonl"), S1.to_string())
        };
        let line = user(
            &session,
            &format!("u{n}"),
            &format!(
                "2026-11-20T{:02}:{:02}:{:02}.000Z",
                10 + n / 3600,
                n / 60 % 60,
                n % 60
            ),
            &format!("please remember needle-{n} for later"),
        )
        .to_string();
        append_slowly(&dir.join(&file), &line, Duration::from_millis(15));
        placed.insert(n, file);
        n += 1;
        written.store(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(5));
    }
    placed
}

/// The needle number in a hit's snippet.
fn needle(hit: &Value) -> u64 {
    let snippet = hit["snippet"].as_str().expect("snippet");
    let rest = snippet
        .split_once("needle-")
        .unwrap_or_else(|| panic!("hit without a needle: {snippet}"))
        .1;
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("cut needle in {snippet}"))
}

fn grep(server: &mut StdioServer, id: u64) -> Value {
    let resp = server.request(
        id,
        "tools/call",
        json!({"name": "grep_transcripts", "arguments": {
            "pattern": "needle-[0-9]+", "role": "any", "max_results": 200}}),
    );
    assert_ne!(
        resp["result"]["isError"],
        json!(true),
        "search {id} failed: {resp}"
    );
    resp["result"]["structuredContent"].clone()
}

#[test]
fn grep_transcripts_stays_consistent_while_transcripts_grow() {
    let env = Env::new();
    let dir = env.transcripts.clone();
    fs::create_dir_all(&dir).expect("transcripts dir");
    let mut server = env.server();

    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer_thread = {
        let (dir, stop, written) = (dir.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || writer(&dir, &stop, &written))
    };

    let started = Instant::now();
    let mut searches = 0u64;
    let mut incomplete_reported = 0;
    let mut last_matching = 0;
    let mut seen: BTreeMap<(String, u64), u64> = BTreeMap::new();
    while started.elapsed() < WRITE_FOR {
        let result = grep(&mut server, 10 + searches);
        let complete_after = written.load(Ordering::SeqCst);
        searches += 1;
        let stats = &result["stats"];
        let matching = stats["matching_lines"].as_u64().expect("matching_lines");
        assert!(
            matching >= last_matching,
            "matching lines went down: {last_matching} -> {matching}"
        );
        last_matching = matching;
        for hit in result["hits"].as_array().expect("hits") {
            let n = needle(hit);
            assert!(
                n < complete_after,
                "needle-{n} found before it was completely written ({complete_after} were)"
            );
            let at = (file_of(hit), hit["line"].as_u64().expect("line"));
            let earlier = seen.insert(at.clone(), n);
            assert!(
                earlier.is_none_or(|e| e == n),
                "{at:?} held needle-{earlier:?}, now needle-{n}"
            );
        }
        let warnings = stats["warnings"].as_array().map_or(&[][..], Vec::as_slice);
        // A session caught between its creation and its first bytes is an empty file.
        for w in warnings {
            assert!(
                w["kind"] == "incomplete_last_line" || w["kind"] == "empty",
                "unexpected warning while transcripts grow: {w}"
            );
        }
        incomplete_reported +=
            usize::from(warnings.iter().any(|w| w["kind"] == "incomplete_last_line"));
    }
    stop.store(true, Ordering::Relaxed);
    let placed = writer_thread.join().expect("writer");

    let last = grep(&mut server, 9);
    let total = placed.len() as u64;
    assert_eq!(last["stats"]["matching_lines"], json!(total), "{last}");
    assert_eq!(last["stats"].get("warnings"), None, "{last}");
    let mut found: Vec<u64> = last["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(needle)
        .collect();
    found.sort_unstable();
    let expected: Vec<u64> = placed.keys().rev().take(200).rev().copied().collect();
    assert_eq!(found, expected, "the newest lines, each once");
    for hit in last["hits"].as_array().expect("hits") {
        assert_eq!(
            Some(file_of(hit)),
            placed.get(&needle(hit)).cloned(),
            "{hit}"
        );
    }
    eprintln!(
        "{searches} searches while {total} lines were written to {} files; {incomplete_reported} reported a half-written line",
        fs::read_dir(&dir).expect("dir").count()
    );
    assert!(searches >= 5, "only {searches} searches ran");
    assert!(
        incomplete_reported > 0,
        "no search met a half-written line: the test did not test it"
    );
}

/// A hit's transcript file: `file` when given, else the session's own `<session>.jsonl`.
fn file_of(hit: &Value) -> String {
    match hit["file"].as_str() {
        Some(file) => file.to_string(),
        None => format!("{}.jsonl", hit["session"].as_str().expect("session")),
    }
}
