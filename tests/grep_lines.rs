//! grep_transcripts on every line variant of Claude Code's transcripts, on synthetic fixtures: where text is
//! found, who it is attributed to, escapes, metadata, filters, order, caps and redaction.

use dream_mcp::transcripts::record::{Kind, Role};
use dream_mcp::transcripts::{GrepRequest, MAX_ANSWER_CHARS, Preset, RoleFilter};
use serde_json::json;

use crate::util::Env;
use crate::util::transcripts::*;

/// One session holding the word `zebra` in every place a transcript can hold text.
fn every_variant() -> Env {
    let t = Env::new();
    t.session(
        S1,
        &[
            summary("Session about the zebra parser"),
            user(S1, "u-string", T1, "please fix the zebra parser"),
            user_blocks(S1, "u-blocks", T1, &["first block", "zebra in a block"]),
            meta(S1, "u-meta", T1, "<command-name>zebra</command-name>"),
            compact_summary(S1, "u-compact", T1, "Earlier we discussed the zebra"),
            assistant(S1, "a-text", T2, "I will fix the zebra parser"),
            thinking(S1, "a-think", T2, "the zebra bug is in the lexer"),
            tool_use(S1, "a-tool", T2, "cargo test zebra"),
            tool_result(S1, "r-string", T2, json!("test zebra ... FAILED")),
            tool_result(
                S1,
                "r-blocks",
                T2,
                json!([{"type": "text", "text": "zebra output"}, {"type": "image", "source": {"data": "zebra"}}]),
            ),
            progress(S1, "hook zebra ran"),
        ],
    );
    t
}

fn found(t: &Env, req: GrepRequest) -> Vec<(String, Role, Kind)> {
    let mut v: Vec<(String, Role, Kind)> = t
        .grep(req)
        .hits
        .into_iter()
        .map(|h| (h.uuid.unwrap_or_else(|| "(none)".into()), h.role, h.kind))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn default_search_is_what_the_user_typed_and_the_assistant_text() {
    let t = every_variant();
    assert_eq!(
        found(&t, pattern("zebra")),
        vec![
            ("a-text".into(), Role::Assistant, Kind::Text),
            ("u-blocks".into(), Role::User, Kind::Text),
            ("u-string".into(), Role::User, Kind::Text),
        ]
    );
}

#[test]
fn role_user_excludes_meta_lines_tool_results_and_summaries() {
    let t = every_variant();
    let req = GrepRequest {
        role: Some(RoleFilter::User),
        include_tool_output: Some(true),
        ..pattern("zebra")
    };
    assert_eq!(
        found(&t, req),
        vec![
            ("u-blocks".into(), Role::User, Kind::Text),
            ("u-string".into(), Role::User, Kind::Text),
        ]
    );
}

#[test]
fn tool_use_and_tool_results_as_string_and_blocks_need_include_tool_output() {
    let t = every_variant();
    let req = GrepRequest {
        include_tool_output: Some(true),
        ..pattern("zebra")
    };
    assert_eq!(
        found(&t, req),
        vec![
            ("a-text".into(), Role::Assistant, Kind::Text),
            ("a-tool".into(), Role::Assistant, Kind::ToolUse),
            ("r-blocks".into(), Role::Tool, Kind::ToolResult),
            ("r-string".into(), Role::Tool, Kind::ToolResult),
            ("u-blocks".into(), Role::User, Kind::Text),
            ("u-string".into(), Role::User, Kind::Text),
        ]
    );
}

#[test]
fn role_any_adds_thinking_meta_and_summaries() {
    let t = every_variant();
    let req = GrepRequest {
        role: Some(RoleFilter::Any),
        ..pattern("zebra")
    };
    assert_eq!(
        found(&t, req),
        vec![
            ("(none)".into(), Role::System, Kind::Summary),
            ("a-text".into(), Role::Assistant, Kind::Text),
            ("a-think".into(), Role::Assistant, Kind::Thinking),
            ("u-blocks".into(), Role::User, Kind::Text),
            ("u-compact".into(), Role::System, Kind::Summary),
            ("u-meta".into(), Role::System, Kind::Text),
            ("u-string".into(), Role::User, Kind::Text),
        ]
    );
    let r = t.grep(GrepRequest {
        role: Some(RoleFilter::Any),
        ..pattern("zebra parser")
    });
    let summary = r
        .hits
        .iter()
        .find(|h| h.kind == Kind::Summary && h.uuid.is_none())
        .expect("summary hit");
    assert_eq!(
        summary.session_id.as_deref(),
        Some(S1),
        "session from the file name"
    );
    assert_eq!(summary.timestamp, None);
}

#[test]
fn subagent_briefings_are_not_the_user() {
    let t = Env::new();
    let mut briefing = user(S1, "sub-user", T1, "You are a zebra reviewer");
    briefing["isSidechain"] = json!(true);
    t.subagent(S1, "a1", &[briefing]);
    assert!(t.grep(pattern("zebra")).hits.is_empty());
    let r = t.grep(GrepRequest {
        role: Some(RoleFilter::Any),
        ..pattern("zebra")
    });
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].role, Role::Agent);
    assert_eq!(r.hits[0].file, format!("{S1}/subagents/agent-a1.jsonl"));
    assert_eq!(r.hits[0].session_id.as_deref(), Some(S1));
}

#[test]
fn matches_inside_escaped_json_are_found_on_the_decoded_text() {
    let t = Env::new();
    let escaped_by_python = format!(
        r#"{{"type":"user","sessionId":"{S1}","uuid":"u-u","timestamp":"{T1}","message":{{"role":"user","content":"un caf\u00e9 cr\u00e8me"}}}}"#
    );
    t.transcript(
        &format!("{S1}.jsonl"),
        format!(
            "{}{}{}{escaped_by_python}\n",
            jsonl(&[user(S1, "u-quote", T1, r#"he said "use pnpm" twice"#)]),
            jsonl(&[user(S1, "u-newline", T1, "line one\nline two")]),
            jsonl(&[user(S1, "u-backslash", T1, r"path C:\Users\dev")]),
        )
        .as_bytes(),
    );
    assert_eq!(uuids(&t.grep(pattern(r#"said "use pnpm""#))), ["u-quote"]);
    assert_eq!(uuids(&t.grep(pattern(r"one\nline two"))), ["u-newline"]);
    assert_eq!(uuids(&t.grep(pattern(r"^line two$"))), Vec::<String>::new());
    assert_eq!(uuids(&t.grep(pattern(r"(?m)^line two$"))), ["u-newline"]);
    assert_eq!(uuids(&t.grep(pattern(r"C:\\Users"))), ["u-backslash"]);
    assert_eq!(uuids(&t.grep(pattern("café crème"))), ["u-u"]);
    // The raw escapes themselves are not text: `\n` and `u00e9` do not match the decoded message.
    assert!(t.grep(pattern(r"one\\nline")).hits.is_empty());
    assert!(t.grep(pattern("u00e9")).hits.is_empty());
    let snip = &t.grep(pattern("pnpm")).hits[0].snippet;
    assert_eq!(snip, r#"he said "use «pnpm»" twice"#);
}

#[test]
fn matches_only_in_metadata_fields_are_not_reported() {
    let t = every_variant();
    for word in [
        "metadata-only-word",
        "u-string",
        S1,
        "external",
        "2.1.39",
        "toolu_1",
        "hook zebra",
    ] {
        let r = t.grep(GrepRequest {
            role: Some(RoleFilter::Any),
            include_tool_output: Some(true),
            ..pattern(&regex::escape(word))
        });
        assert!(r.hits.is_empty(), "{word} matched {:?}", r.hits);
        assert!(
            r.stats.raw_line_matches > 0,
            "{word} never reached the decoder"
        );
        assert_eq!(r.stats.matching_lines, 0);
    }
}

#[test]
fn hits_are_newest_first_across_sessions_and_carry_their_session_and_date() {
    let t = Env::new();
    t.session(
        S1,
        &[
            user(S1, "s1-old", T1, "deploy one"),
            user(S1, "s1-new", T3, "deploy two"),
        ],
    );
    t.session(
        S2,
        &[
            user(S2, "s2-mid", T2, "deploy three"),
            user(S2, "s2-newest", T4, "deploy four"),
        ],
    );
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["s2-newest", "s1-new", "s2-mid", "s1-old"]);
    let h = &r.hits[0];
    assert_eq!(h.session_id.as_deref(), Some(S2));
    assert_eq!(h.timestamp.as_deref(), Some(T4));
    assert_eq!(h.date.as_deref(), Some("2026-03-04"));
    assert_eq!(h.file, format!("{S2}.jsonl"));
    assert_eq!(h.line, 2);
}

#[test]
fn since_filters_records_and_skips_older_files_unread() {
    let t = Env::new();
    let old = t.session(S1, &[user(S1, "old", T1, "deploy")]);
    touch(&old, 1_772_000_000); // 2026-02-25, before every `since` below
    t.session(
        S2,
        &[
            user(S2, "mid", T2, "deploy mid"),
            user(S2, "new", T4, "deploy new"),
        ],
    );
    let since = |s: &str| {
        t.grep(GrepRequest {
            since: Some(s.to_string()),
            ..pattern("deploy")
        })
    };
    let r = since("2026-03-03");
    assert_eq!(uuids(&r), ["new"]);
    assert_eq!(r.stats.files_skipped, 1);
    assert_eq!(r.stats.files_searched, 1);
    assert_eq!(uuids(&since("2026-03-02T09:00:00Z")), ["new", "mid"]);
    assert_eq!(uuids(&since("2026-03-02T09:00:00.001+00:00")), ["new"]);
}

#[test]
fn sessions_filter_keeps_their_subagents() {
    let t = Env::new();
    t.session(S1, &[user(S1, "one", T1, "deploy")]);
    t.session(S2, &[user(S2, "two", T2, "deploy")]);
    t.subagent(S1, "x", &[assistant(S1, "one-sub", T3, "deploy done")]);
    t.subagent(S2, "y", &[assistant(S2, "two-sub", T3, "deploy done")]);
    let r = t.grep(GrepRequest {
        sessions: vec![S1.to_string()],
        ..pattern("deploy")
    });
    assert_eq!(uuids(&r), ["one-sub", "one"]);
    assert_eq!(r.stats.files_skipped, 2);
}

#[test]
fn old_style_agent_files_are_attributed_by_their_lines() {
    let t = Env::new();
    t.transcript(
        "agent-old.jsonl",
        jsonl(&[assistant(S2, "agent-line", T1, "deploy from an agent")]).as_bytes(),
    );
    let r = t.grep(GrepRequest {
        sessions: vec![S2.to_string()],
        ..pattern("deploy")
    });
    assert_eq!(uuids(&r), ["agent-line"]);
    let r = t.grep(GrepRequest {
        sessions: vec![S1.to_string()],
        ..pattern("deploy")
    });
    assert!(r.hits.is_empty());
}

#[test]
fn since_last_dream_uses_the_lock_mtime() {
    let t = Env::new();
    let memory = t.memory.clone();
    std::fs::create_dir_all(&memory).unwrap();
    let before = t.session(S1, &[user(S1, "before", T1, "deploy before")]);
    let after = t.session(S2, &[user(S2, "after", T2, "deploy after")]);
    touch(&before, 1_000);
    touch(&after, 3_000);
    let req = GrepRequest {
        since_last_dream: true,
        ..pattern("deploy")
    };
    let r = t.grep(req.clone());
    assert_eq!(uuids(&r), ["after", "before"], "no lock: every session");
    assert_eq!(r.stats.last_dream, Some(None));
    let lock = memory.join(".consolidate-lock");
    std::fs::write(&lock, "4242").unwrap();
    touch(&lock, 2_000);
    let r = t.grep(req);
    assert_eq!(uuids(&r), ["after"]);
    assert_eq!(r.stats.files_skipped, 1);
    assert_eq!(
        r.stats.last_dream,
        Some(Some("1970-01-01T00:33:20+00:00".to_string()))
    );
}

#[test]
fn max_results_caps_hits_and_says_truncated() {
    let t = Env::new();
    let lines: Vec<_> = (0..30)
        .map(|i| {
            user(
                S1,
                &format!("u{i:02}"),
                &format!("2026-03-01T09:00:{i:02}.000Z"),
                &format!("deploy {i}"),
            )
        })
        .collect();
    t.session(S1, &lines);
    let r = t.grep(GrepRequest {
        max_results: Some(3),
        ..pattern("deploy")
    });
    assert_eq!(uuids(&r), ["u29", "u28", "u27"]);
    assert_eq!(r.stats.matching_lines, 30);
    assert_eq!(r.stats.hits_returned, 3);
    assert!(r.stats.truncated);
    let all = t.grep(GrepRequest {
        max_results: Some(30),
        ..pattern("deploy")
    });
    assert_eq!(all.hits.len(), 30);
    assert!(!all.stats.truncated);
    // By default the newest 10, saying more matched.
    let default = t.grep(pattern("deploy"));
    assert_eq!(default.hits.len(), 10);
    assert_eq!(uuids(&default)[0], "u29");
    assert!(default.stats.truncated);
}

#[test]
fn a_snippet_said_again_is_one_hit_counting_the_repeats() {
    let t = Env::new();
    t.session(
        S1,
        &[
            user(S1, "first", T1, "use pnpm to deploy"),
            user(S1, "other", T2, "deploy on Fridays"),
        ],
    );
    t.session(
        S2,
        &[
            user(S2, "again", T3, "use pnpm to deploy"),
            user(S2, "newest", T4, "use pnpm to deploy"),
        ],
    );
    let r = t.grep(pattern("deploy"));
    assert_eq!(uuids(&r), ["newest", "other"]);
    assert_eq!((r.hits[0].repeats, r.hits[1].repeats), (2, 0));
    assert_eq!(r.stats.matching_lines, 4);
    assert!(!r.stats.truncated, "every line is shown or counted");
}

#[test]
fn the_answer_size_cap_holds_with_the_largest_limits() {
    let t = Env::new();
    let (x, y) = ("x ".repeat(2000), "y ".repeat(2000));
    let lines: Vec<_> = (0..200)
        .map(|i| user(S1, &format!("u{i}"), T1, &format!("{x} deploy{i} {y}")))
        .collect();
    t.session(S1, &lines);
    let r = t.grep(GrepRequest {
        max_results: Some(1000),
        context_chars: Some(5000),
        ..pattern("deploy")
    });
    let size = serde_json::to_string(&r).unwrap().len();
    assert!(size <= MAX_ANSWER_CHARS, "{size}");
    assert!(r.stats.truncated);
    assert!(r.hits.len() < 200 && !r.hits.is_empty());
    // Context is cut at 1000 characters of `x ` pairs: 499 of them, then the space before the match.
    assert_eq!(r.hits[0].snippet.chars().filter(|&c| c == 'x').count(), 499);
}

#[test]
fn snippets_redact_credentials() {
    let t = Env::new();
    let key = format!("sk-ant-api03-{}", "A1b2C3d4".repeat(6));
    let gh = format!("ghp_{}", "Z9y8X7w6".repeat(5));
    t.session(
        S1,
        &[user(
            S1,
            "leak",
            T1,
            &format!("deploy with ANTHROPIC_API_KEY={key} and token {gh} please"),
        )],
    );
    let r = t.grep(pattern("deploy"));
    let s = &r.hits[0].snippet;
    assert!(!s.contains(&key) && !s.contains("A1b2C3d4"), "{s}");
    assert!(!s.contains(&gh), "{s}");
    assert!(s.contains("[REDACTED"), "{s}");
    // Searching for the secret itself finds nothing: patterns match the redacted text only.
    let r = t.grep(pattern("sk-ant-api03"));
    assert_eq!(r.hits.len(), 0);
    assert_eq!(r.stats.raw_line_matches, 0);
}

#[test]
fn presets_find_their_signals() {
    let t = Env::new();
    t.session(
        S1,
        &[
            user(S1, "corr", T1, "No, use the staging database instead"),
            user(S1, "rem", T2, "Remember that CI runs on ARM"),
            assistant(S1, "dec", T3, "Agreed: we decided to keep SQLite"),
            tool_result(S1, "err", T4, json!("error[E0308]: mismatched types")),
            assistant(S1, "plain", T4, "Here is the summary you asked for"),
        ],
    );
    let preset = |p| {
        uuids(&t.grep(GrepRequest {
            preset: Some(p),
            ..GrepRequest::default()
        }))
    };
    assert_eq!(preset(Preset::Corrections), ["corr"]);
    assert_eq!(preset(Preset::Remember), ["rem"]);
    assert_eq!(preset(Preset::Decisions), ["dec"]);
    assert_eq!(preset(Preset::Errors), ["err"]);
}

#[test]
fn case_insensitive_matches_any_case() {
    let t = Env::new();
    t.session(S1, &[user(S1, "u", T1, "Use PNPM here")]);
    assert!(t.grep(pattern("pnpm")).hits.is_empty());
    let r = t.grep(GrepRequest {
        case_insensitive: true,
        ..pattern("pnpm")
    });
    assert_eq!(uuids(&r), ["u"]);
}
