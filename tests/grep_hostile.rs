//! grep_transcripts on hostile and broken input: huge patterns, newlines in patterns, symlinks out of the
//! transcripts directory, half-written, non-JSON, invalid UTF-8, empty, unreadable and oversized lines or
//! files, cancellation and progress. None of it aborts a search.

use std::os::unix::fs::PermissionsExt;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use dream_mcp::transcripts::{self, GrepRequest, MAX_LINE_BYTES, Progress, WarningKind};
use dream_mcp::{Control, Query, grep_transcripts};

use crate::util::transcripts::*;
use crate::util::{Env, skip};

fn kinds(r: &transcripts::GrepResult) -> Vec<WarningKind> {
    r.stats.warnings.iter().map(|w| w.kind).collect()
}

#[test]
fn a_regex_that_is_too_large_is_refused_clearly() {
    let err = Query::new(&pattern(r"\w{1000}{1000}"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains(r"\w{1000}{1000}"), "{err}");
    assert!(err.contains("too large") && err.contains("limit"), "{err}");
}

#[test]
fn a_pattern_holding_a_real_newline_matches_across_lines_of_a_message() {
    let t = Env::new();
    t.session(S1, &[user(S1, "multi", T1, "first line\nsecond line")]);
    assert_eq!(uuids(&t.grep(pattern("first line\nsecond"))), ["multi"]);
    assert!(t.grep(pattern("first line\nthird")).hits.is_empty());
}

#[test]
fn symlinks_pointing_outside_are_not_followed() {
    let t = Env::new();
    let outside = t.outside.clone();
    std::fs::create_dir_all(outside.join("subagents")).unwrap();
    let secret = jsonl(&[user(S2, "outside", T1, "exfiltrate me")]);
    std::fs::write(outside.join("other.jsonl"), &secret).unwrap();
    std::fs::write(outside.join("subagents/agent-x.jsonl"), &secret).unwrap();
    t.session(S1, &[user(S1, "inside", T1, "exfiltrate nothing")]);
    std::fs::create_dir_all(t.transcripts.join(S1)).unwrap();
    std::os::unix::fs::symlink(
        outside.join("other.jsonl"),
        t.transcripts.join(format!("{S3}.jsonl")),
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, t.transcripts.join(S2)).unwrap();
    std::os::unix::fs::symlink(
        outside.join("subagents"),
        t.transcripts.join(S1).join("subagents"),
    )
    .unwrap();
    let r = t.grep(pattern("exfiltrate"));
    assert_eq!(uuids(&r), ["inside"]);
    assert_eq!(r.stats.files_searched, 1);
    let links: Vec<&str> = r
        .stats
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::Symlink)
        .map(|w| w.file.as_str())
        .collect();
    assert_eq!(
        links,
        [
            S1.to_string() + "/subagents",
            S2.to_string(),
            format!("{S3}.jsonl")
        ]
    );
}

#[test]
fn a_half_written_last_line_is_a_warning() {
    let t = Env::new();
    let whole = jsonl(&[user(S1, "done", T1, "deploy now")]);
    let half = r#"{"type":"user","sessionId":"x","message":{"content":"deploy la"#;
    t.transcript(&format!("{S1}.jsonl"), format!("{whole}{half}").as_bytes());
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["done"]);
    assert_eq!(kinds(&r), [WarningKind::IncompleteLastLine]);
    assert_eq!(r.stats.warnings[0].line, Some(2));
    assert_eq!(r.stats.raw_line_matches, 2);
}

#[test]
fn non_json_lines_are_warnings_and_the_rest_is_searched() {
    let t = Env::new();
    let body = format!(
        "deploy is not json\n{}[\"deploy\"]\n",
        jsonl(&[user(S1, "ok", T1, "deploy")])
    );
    t.transcript(&format!("{S1}.jsonl"), body.as_bytes());
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["ok"]);
    assert_eq!(kinds(&r), [WarningKind::NotJson, WarningKind::NotJson]);
    let lines: Vec<Option<u64>> = r.stats.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [Some(1), Some(3)]);
}

#[test]
fn invalid_utf8_is_replaced_and_still_searched() {
    let t = Env::new();
    let mut bytes = br#"{"type":"user","uuid":"bad","timestamp":"2026-03-01T09:00:00.000Z","message":{"content":"deploy "#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b" done\"}}\n");
    t.transcript(&format!("{S1}.jsonl"), &bytes);
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["bad"]);
    assert!(
        r.hits[0].snippet.contains('\u{fffd}'),
        "{}",
        r.hits[0].snippet
    );
    assert_eq!(kinds(&r), [WarningKind::InvalidUtf8]);
}

#[test]
fn empty_files_are_counted_as_warnings() {
    let t = Env::new();
    t.transcript(&format!("{S1}.jsonl"), b"");
    t.session(S2, &[user(S2, "x", T1, "deploy")]);
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["x"]);
    assert_eq!(kinds(&r), [WarningKind::Empty]);
    assert_eq!(r.stats.warnings[0].file, format!("{S1}.jsonl"));
}

#[test]
fn unreadable_files_are_warnings() {
    let t = Env::new();
    let locked = t.session(S1, &[user(S1, "hidden", T1, "deploy")]);
    t.session(S2, &[user(S2, "open", T2, "deploy")]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&locked).is_ok() {
        skip(
            "grep_hostile::unreadable_files_are_warnings",
            "running as a user who can read a mode-000 file (root), so nothing is unreadable",
        );
        return;
    }
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["open"]);
    assert_eq!(kinds(&r), [WarningKind::Unreadable]);
}

#[test]
fn a_line_over_the_limit_is_skipped_and_the_lines_after_it_still_found() {
    let t = Env::new();
    let huge = tool_result(
        S1,
        "huge",
        T1,
        serde_json::json!(format!("deploy {}", "x".repeat(MAX_LINE_BYTES + 1000))),
    );
    let huge_len = huge.to_string().len() as u64;
    let first = jsonl(&[user(S1, "before", T1, "deploy one")]);
    t.session(
        S1,
        &[
            user(S1, "before", T1, "deploy one"),
            huge,
            user(S1, "after", T2, "deploy two"),
        ],
    );
    let r = t.grep(GrepRequest {
        include_tool_output: Some(true),
        ..pattern("deploy")
    });
    assert_eq!(uuids(&r), ["after", "before"]);
    assert_eq!(
        r.hits[0].line, 3,
        "line numbers stay right after a cut line"
    );
    assert_eq!(kinds(&r), [WarningKind::OversizedLine]);
    let msg = &r.stats.warnings[0].message;
    assert!(
        msg.contains(&format!("{huge_len} bytes"))
            && msg.contains(&format!("offset {}", first.len())),
        "{msg}"
    );
}

#[test]
fn cancellation_stops_the_search_and_says_so() {
    let t = Env::new();
    t.session(S1, &[user(S1, "x", T1, "deploy")]);
    let q = t.query(&pattern("deploy"));
    let cancel = AtomicBool::new(true);
    let control = Control {
        cancel: Some(&cancel),
        ..Control::default()
    };
    let r = grep_transcripts(&t.transcripts, &q, &control).unwrap();
    assert!(r.stats.cancelled && r.stats.truncated);
    assert!(r.hits.is_empty());
    assert_eq!(r.stats.files_searched, 0);
}

#[test]
fn progress_is_reported_while_searching() {
    let t = Env::new();
    for (i, id) in [S1, S2, S3].iter().enumerate() {
        t.session(
            id,
            &[user(id, &format!("u{i}"), T1, &format!("deploy {i}"))],
        );
    }
    let q = t.query(&pattern("deploy"));
    let seen = Mutex::new(Vec::new());
    let report = |p: Progress| seen.lock().unwrap().push(p);
    let control = Control {
        progress: Some(&report),
        ..Control::default()
    };
    let r = grep_transcripts(&t.transcripts, &q, &control).unwrap();
    assert_eq!(r.hits.len(), 3);
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty(), "no progress reported");
    assert!(seen.iter().all(|p| p.files <= 3));
}

#[test]
fn a_missing_transcripts_directory_is_an_error_naming_it() {
    let t = Env::new();
    let q = t.query(&pattern("deploy"));
    let missing = t.root().join("no-such-project");
    let err = grep_transcripts(&missing, &q, &Control::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-project"), "{err}");
}
