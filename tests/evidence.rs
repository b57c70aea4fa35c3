//! Evidence recorded with changes: the transcript messages a write, delete or index rewrite rests on,
//! journaled with the run and shown by `history`, `diff` and `blame`, months later.

use std::fs;

use serde_json::json;

use crate::util::{Env, text, topic};

const SESSION: &str = "6f1c2a9e-1b7d-4c3e-9a51-2d0f8e7b6c41";
const FIRST: &str = "0b7e4c1d-5a2f-4e8b-9c3d-7f6a1e2b3c4d";
const SECOND: &str = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

/// A dream on the healthy fixture that rewrites `a.md`, deletes `team/b.md` and rewrites the index,
/// each citing transcript messages. Returns the run id.
async fn dream_with_evidence(env: &Env) -> String {
    let client = env.client().await;
    client
        .ok("start_dream", json!({"min_hours": 0, "min_sessions": 0}))
        .await;
    let cite = |uuid: &str| json!([{"session": SESSION, "uuid": uuid}]);
    client
        .ok(
            "write_memory_file",
            json!({"path": "a.md", "content": topic("a", "first, dated 2026-11-30"),
                   "evidence": cite(FIRST)}),
        )
        .await;
    client
        .ok(
            "delete_memory_file",
            json!({"path": "team/b.md",
                   "evidence": [{"session": SESSION, "uuid": FIRST}, {"session": SESSION, "uuid": SECOND}]}),
        )
        .await;
    client
        .ok(
            "rewrite_index",
            json!({"content": "- [A](a.md) — a\n", "evidence": cite(SECOND)}),
        )
        .await;
    let done = client
        .ok(
            "finish_dream",
            json!({"summary": "dated a, dropped b",
                   "forgotten": [{"specific": "team/b.md", "reason": "the user said b is obsolete"}]}),
        )
        .await;
    done["run_id"].as_str().expect("run id").to_string()
}

#[tokio::test]
async fn evidence_given_with_changes_is_journaled_and_shown_by_history_diff_and_blame() {
    let env = Env::new();
    env.healthy();
    let run = dream_with_evidence(&env).await;

    let record = env.runs().into_iter().find(|r| r.id == run).expect("run");
    let of = |path: &str| {
        record
            .touched
            .iter()
            .find(|t| t.path == path)
            .map(|t| {
                t.evidence
                    .iter()
                    .map(|c| c.uuid.as_str())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    assert_eq!(of("a.md"), [FIRST]);
    assert_eq!(of("team/b.md"), [FIRST, SECOND]);
    assert_eq!(of("MEMORY.md"), [SECOND]);

    let history = env.cli(&["history"]);
    let history = text(&history.stdout);
    assert!(
        history.contains(&format!(
            "team/b.md: evidence session {SESSION} message {FIRST}"
        )),
        "{history}"
    );

    let diff = text(&env.cli(&["diff", &run]).stdout);
    let note = format!("# evidence for a.md: session {SESSION} message {FIRST}\n--- a/a.md");
    assert!(
        diff.contains(&note),
        "the evidence heads its file's diff: {diff}"
    );

    let blame = env.cli(&["blame", "a.md"]);
    assert!(blame.status.success(), "{}", text(&blame.stderr));
    let blame = text(&blame.stdout);
    assert!(
        blame.contains("evidence recorded with changes to a.md"),
        "{blame}"
    );
    assert!(blame.contains(FIRST) && !blame.contains(SECOND), "{blame}");

    // Why a deleted file is gone.
    let gone = env.cli(&["blame", "team/b.md"]);
    assert!(gone.status.success(), "{}", text(&gone.stderr));
    let gone = text(&gone.stdout);
    assert!(
        gone.contains("does not exist") && gone.contains("deleted it"),
        "{gone}"
    );
    assert!(
        gone.contains("dated a, dropped b") && gone.contains(SECOND),
        "{gone}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&env.cli(&["blame", "team/b.md", "--json"]).stdout).expect("json");
    assert_eq!(json[0]["deleted"], true, "{json}");
    assert_eq!(json[0]["evidence"][1]["uuid"], SECOND, "{json}");

    // A file never changed on evidence and never there is still an error.
    let missing = env.cli(&["blame", "never.md"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stdout));
}

#[tokio::test]
async fn evidence_that_is_not_an_id_is_refused_naming_it_and_changes_nothing() {
    let env = Env::new();
    env.healthy();
    let before = env.tree();
    let client = env.client().await;
    let many: Vec<_> = (0..21)
        .map(|i| json!({"session": SESSION, "uuid": format!("u{i}")}))
        .collect();
    for evidence in [
        json!([{"session": "\u{1b}[31mred", "uuid": FIRST}]),
        json!([{"session": SESSION, "uuid": "x".repeat(65)}]),
        json!([{"session": SESSION, "uuid": ""}]),
        json!(many),
    ] {
        let e = client
            .refused(
                "write_memory_file",
                json!({"path": "a.md", "content": topic("a", "changed"), "evidence": evidence}),
            )
            .await;
        assert!(e.contains("evidence"), "{e}");
        let e = client
            .refused(
                "delete_memory_file",
                json!({"path": "a.md", "evidence": evidence}),
            )
            .await;
        assert!(e.contains("evidence"), "{e}");
        let e = client
            .refused(
                "rewrite_index",
                json!({"content": "- [A](a.md) — a\n- [B](team/b.md) — b\n", "evidence": evidence}),
            )
            .await;
        assert!(e.contains("evidence"), "{e}");
    }
    assert_eq!(env.tree(), before, "nothing changed");
    assert!(env.runs().is_empty(), "no run recorded");
}

#[tokio::test]
async fn a_journal_edited_to_hold_terminal_escapes_as_evidence_is_not_shown() {
    let env = Env::new();
    env.healthy();
    let run = dream_with_evidence(&env).await;
    let record = env.journal.join("runs").join(&run).join("run.json");
    let edited = fs::read_to_string(&record)
        .expect("run.json")
        .replace(FIRST, "\\u001b]0;owned\\u0007");
    fs::write(&record, edited).expect("edit run.json");
    let out = env.cli(&["history"]);
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    let out = env.cli(&["blame", "team/b.md"]);
    assert!(!text(&out.stdout).contains('\u{1b}'));
}
