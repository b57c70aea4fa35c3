//! grep_transcripts on real Claude Code transcripts (public test data kept outside this repository, in
//! `../shared/fixtures/transcripts`). Every test skips, saying so, when that folder is absent.

use std::path::{Path, PathBuf};

use dream_mcp::transcripts::record::Role;
use dream_mcp::transcripts::{self, GrepRequest, GrepResult, RoleFilter};

use crate::util::transcripts::{pattern, search};
use crate::util::{Env, repo, skip};

/// The real transcripts, or `None` after saying that `test` is skipped without them.
fn fixtures(test: &str) -> Option<PathBuf> {
    let dir = repo().join("../shared/fixtures/transcripts");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(
            test,
            &format!(
                "real transcripts not found at {} (they are not part of this repository)",
                dir.display()
            ),
        );
        None
    }
}

/// Searches `dir` with a memory directory that has no lock.
fn grep(dir: &Path, req: GrepRequest) -> GrepResult {
    search(dir, &Env::new().query(&req))
}

/// (transcripts directory under the fixtures, phrase the user typed, session, uuid, timestamp, file, line)
const KNOWN: [(&str, &str, &str, &str, &str, &str, u64); 4] = [
    (
        "marot__spotter",
        "Work on bead spotter-dov",
        "4d5611e5-241a-462a-8d15-5122611a9569",
        "daa5a4bb-530c-4055-b20c-bde38255c99e",
        "2026-02-12T16:02:25.284Z",
        "4d5611e5-241a-462a-8d15-5122611a9569.jsonl",
        7,
    ),
    (
        "daaain__claude-code-log/real_projects/-experiments-worktrees",
        "subagents seem to be either stuck",
        "ef958aa1-0e93-49f0-bb71-150f63befcd1",
        "8f6efec7-4885-413a-98dd-21e0b2110c49",
        "2026-04-18T13:45:02.540Z",
        "ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl",
        117,
    ),
    (
        "daaain__claude-code-log/real_projects/-Users-dain-workspace-claude-code-log-sample",
        "does it only run on main",
        "fe869ecb-c176-478f-9734-7e4b8ef12cff",
        "c2495f08-6529-400c-b936-f4b76ce3d504",
        "2025-06-14T23:52:26.516Z",
        "fe869ecb-c176-478f-9734-7e4b8ef12cff.jsonl",
        48,
    ),
    (
        "simonw__claude-code-transcripts",
        "Now add a goodbye function",
        "test-session-id",
        "msg-006",
        "2025-12-24T10:01:00.000Z",
        "sample_session.jsonl",
        7,
    ),
];

#[test]
fn known_phrases_are_found_with_their_session_and_timestamp() {
    let Some(root) =
        fixtures("grep_real::known_phrases_are_found_with_their_session_and_timestamp")
    else {
        return;
    };
    for (dir, phrase, session, uuid, ts, file, line) in KNOWN {
        let r = grep(
            &root.join(dir),
            GrepRequest {
                role: Some(RoleFilter::User),
                ..pattern(phrase)
            },
        );
        assert_eq!(r.hits.len(), 1, "{phrase}: {:?}", r.hits);
        let h = &r.hits[0];
        assert_eq!(h.session_id.as_deref(), Some(session), "{phrase}");
        assert_eq!(h.uuid.as_deref(), Some(uuid), "{phrase}");
        assert_eq!(h.timestamp.as_deref(), Some(ts), "{phrase}");
        assert_eq!(h.date.as_deref(), ts.get(..10), "{phrase}");
        assert_eq!(h.role, Role::User, "{phrase}");
        assert_eq!((h.file.as_str(), h.line), (file, line), "{phrase}");
        assert!(h.snippet.contains(&format!("«{phrase}»")), "{}", h.snippet);
    }
}

#[test]
fn subagent_briefings_in_real_transcripts_are_attributed_to_the_agent() {
    let Some(root) =
        fixtures("grep_real::subagent_briefings_in_real_transcripts_are_attributed_to_the_agent")
    else {
        return;
    };
    let dir = root.join("daaain__claude-code-log/real_projects/-experiments-worktrees");
    let r = grep(&dir, pattern(r"You are \*\*alice\*\*"));
    assert!(r.hits.is_empty(), "a subagent briefing counted as the user");
    let r = grep(
        &dir,
        GrepRequest {
            role: Some(RoleFilter::Any),
            ..pattern(r"You are \*\*alice\*\*")
        },
    );
    assert!(!r.hits.is_empty());
    assert!(r.hits.iter().all(|h| h.role == Role::Agent
        && h.file.contains("/subagents/")
        && h.session_id.as_deref() == Some("ef958aa1-0e93-49f0-bb71-150f63befcd1")));
}

#[test]
fn every_real_transcript_parses_and_presets_run() {
    let Some(root) = fixtures("grep_real::every_real_transcript_parses_and_presets_run") else {
        return;
    };
    for dir in [
        "marot__spotter",
        "DRMacIver__claude-reliability",
        "simonw__claude-code-transcripts",
        "daaain__claude-code-log/real_projects/-src-deep-manifest",
        "daaain__claude-code-log/real_projects/-experiments-worktrees",
    ] {
        // `.` matches every line, so every line is decoded.
        let r = grep(
            &root.join(dir),
            GrepRequest {
                role: Some(RoleFilter::Any),
                include_tool_output: Some(true),
                ..pattern(".")
            },
        );
        assert!(r.stats.files_searched > 0, "{dir}");
        assert_eq!(r.stats.warnings, [], "{dir}");
        assert!(r.stats.raw_line_matches > 0, "{dir}");
        for preset in transcripts::Preset::ALL {
            let r = grep(
                &root.join(dir),
                GrepRequest {
                    preset: Some(preset),
                    ..GrepRequest::default()
                },
            );
            assert_eq!(r.stats.warnings, [], "{dir} {}", preset.name());
            let times: Vec<&str> = r
                .hits
                .iter()
                .filter_map(|h| h.timestamp.as_deref())
                .collect();
            let sorted = {
                let mut t = times.clone();
                t.sort_by(|a, b| b.cmp(a));
                t
            };
            assert_eq!(times, sorted, "{dir} {}: not newest first", preset.name());
        }
    }
}
