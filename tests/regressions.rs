//! Regression tests: each pins a bug that was fixed, is named `r_<the bug>`, and says in one line what
//! broke.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dream_mcp::transcripts::record::{self, Wanted};
use dream_mcp::{GateConfig, MAX_FILE_BYTES, lock, sha256_hex, unified_diff};
use serde_json::json;

use crate::util::{Env, dead_pid, mtime, topic, write_lock};

// Broke: diffing two all-different files at the size cap took minutes, stalling finish_dream and undo.
/// Found by the crash test: `finish_dream`, `dream-mcp diff` and `dream-mcp undo` all render a unified
/// diff, and an unbounded line diff of two files at the size cap whose lines all differ took 100 s in a
/// release build (minutes in a debug one), stalling the server. The diff now stops searching for the
/// smallest edit script after a bound and stays correct.
#[test]
fn r_diff_hang_at_size_cap() {
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

// Broke: since_last_dream found nothing during a dream: start_dream had just set the lock mtime to now.
#[test]
fn r_since_last_dream_empty_during_a_dream() {
    let f = Env::new();
    f.healthy();
    write_lock(&f.memory, dead_pid(), Duration::from_secs(48 * 3600));
    let before = mtime(&lock::lock_path(&f.memory));
    let d = f.dreamer();
    assert_eq!(d.last_consolidation(), Some(before));
    d.start(GateConfig::default()).unwrap();
    assert!(
        mtime(&lock::lock_path(&f.memory)) > before,
        "the lock marks the dream"
    );
    assert_eq!(d.last_consolidation(), Some(before));
    d.finish("done", &[]).unwrap();
    assert!(d.last_consolidation() > Some(before));
}

// Broke: the fuzz oracle, on a lone surrogate escape serde_json rejects in a field the decoder skips.
/// Found by fuzzing (`transcript_line`): a lone UTF-16 surrogate escape (JavaScript's `JSON.stringify`
/// writes one for an emoji cut in half) in a field the decoder skips does not stop the line decoding,
/// though serde_json rejects the line as a whole; in the message text it makes the line unreadable, which
/// the search counts as a warning. Neither panics.
#[test]
fn r_lone_surrogate_escape() {
    let skipped_field = r#"{"type":"user","uuid":"u1","extra":"x \ud83d\u2e00"}"#;
    assert!(serde_json::from_str::<serde_json::Value>(skipped_field).is_err());
    let rec = record::parse(skipped_field, Wanted::ALL).expect("decodes");
    assert_eq!(rec.uuid.as_deref(), Some("u1"));
    let in_text =
        r#"{"type":"user","uuid":"u2","message":{"role":"user","content":"cut \ud83d here"}}"#;
    assert!(record::parse(in_text, Wanted::ALL).is_err());
}

// Broke: list_memory gave a symlinked team folder the reason "only Markdown files are allowed".
#[tokio::test]
async fn r_symlinked_team_folder_skipped_for_the_wrong_reason() {
    let env = Env::new();
    env.put_outside("team/secret.md", topic("secret", "outside"));
    env.put_outside("secret.md", topic("secret", "outside"));
    std::os::unix::fs::symlink(env.outside.join("team"), env.memory.join("team")).expect("symlink");
    std::os::unix::fs::symlink(env.outside.join("secret.md"), env.memory.join("link.md"))
        .expect("symlink");
    let client = env.client().await;
    let v = client.ok("list_memory", json!({})).await;
    assert_eq!(v["files"], json!([]));
    let skipped = v["skipped"].as_array().expect("skipped");
    let paths: Vec<&str> = skipped
        .iter()
        .map(|s| s["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["link.md", "team"]);
    for s in skipped {
        assert!(
            s["reason"].as_str().is_some_and(|r| r.contains("symlink")),
            "{s}"
        );
    }
}

// Broke: changes ran in parallel, so several writes with the same expected_sha256 all passed the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_lost_update_with_the_same_expected_hash() {
    let env = Env::new();
    let base = topic("a", "base");
    env.put("a.md", &base);
    let hash = sha256_hex(base.as_bytes());
    let client = Arc::new(env.client().await);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            let hash = hash.clone();
            tokio::spawn(async move {
                let content = topic("a", &format!("writer {i}"));
                let args = json!({"path": "a.md", "content": content, "expected_sha256": hash});
                (content, client.call("write_memory_file", args).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (content, result) = task.await.expect("task");
        match result {
            Ok(_) => winners.push(content),
            Err(msg) => assert!(msg.contains("conflict on \"a.md\""), "{msg}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "lost updates: {} writers won",
        winners.len()
    );
    assert_eq!(env.get("a.md").as_deref(), Some(winners[0].as_bytes()));
    assert_eq!(env.runs().len(), 1);
}

// Broke: a 10 MB finish_dream summary went into the journal and history instead of being refused.
#[tokio::test]
async fn r_oversized_summary_closed_the_dream() {
    let env = Env::new();
    env.healthy();
    let client = env.client().await;
    client.ok("start_dream", json!({})).await;
    client
        .ok(
            "write_memory_file",
            json!({"path": "n.md", "content": topic("n", "new")}),
        )
        .await;
    let msg = client
        .refused("finish_dream", json!({"summary": "s".repeat(5_000)}))
        .await;
    assert!(msg.contains("summary"), "{msg}");
    let msg = client
        .refused("abort_dream", json!({"reason": "r".repeat(5_000)}))
        .await;
    assert!(msg.contains("reason"), "{msg}");
    assert!(
        env.get("n.md").is_some(),
        "the refused abort restored nothing"
    );
    let report = client
        .ok("finish_dream", json!({"summary": "added n"}))
        .await;
    assert_eq!(report["summary"], "added n");
    assert_eq!(report["created"][0]["path"], "n.md");
}

// `check` run from a subfolder reported every path relative to the project root as stale.
#[test]
fn r_stale_paths_from_a_subfolder() {
    let env = Env::new();
    for f in [".git/HEAD", "src/app.ts", "docs/guide.md"] {
        let p = env.project.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, "").expect("write");
    }
    env.put(
        "notes.md",
        topic(
            "notes",
            "- Entry in `src/app.ts`, guide in `docs/guide.md`, old one in `src/gone.ts`.",
        ),
    );
    let sub = env.project.join("docs");
    let o = env.cli(&[
        "check",
        "--json",
        "--project-dir",
        sub.to_str().expect("utf-8"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let stale: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "stale_path")
        .filter_map(|f| f["evidence"]["path"].as_str())
        .collect();
    assert_eq!(stale, ["src/gone.ts"], "{v:#}");
}

// With no project (no git root, no manifest) every path a memory named was reported stale.
#[test]
fn r_stale_paths_without_a_project() {
    let env = Env::new();
    env.put("notes.md", topic("notes", "- Entry in `src/app.ts`."));
    let o = env.cli(&["check", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(!kinds.contains(&"stale_path"), "{kinds:?}");
}

// `check --json | head` must end quietly when the reader goes away, not panic on the broken pipe.
#[test]
fn r_check_json_into_a_closed_pipe() {
    let env = Env::new();
    for i in 0..50 {
        env.put(
            &format!("n{i}.md"),
            topic("n", "- fixed yesterday, see `src/x.ts`"),
        );
    }
    let mut child = env
        .command_on_dirs()
        .args(["check", "--json"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

// Broke: `"autoMemoryDirectory": "."` in settings.local.json made every `.md` of the source tree writable.
#[test]
fn r_dot_memory_directory_served_the_source_tree() {
    let env = Env::new();
    std::fs::create_dir_all(env.project.join(".claude")).expect("mkdir");
    std::fs::write(env.project.join("README.md"), "# keep\n").expect("readme");
    std::fs::write(
        env.project.join(".claude/settings.local.json"),
        r#"{"autoMemoryDirectory": "."}"#,
    )
    .expect("settings");
    let o = env
        .command()
        .args(["where", "--json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    // Untrusted here, so refused naming the file; trusted, Claude Code's default (tests/memory_location.rs).
    assert!(
        v["memory_refused"]
            .as_str()
            .is_some_and(|r| r.contains("settings.local.json")),
        "{v}"
    );
    assert_ne!(v["memory_dir"], env.project.to_string_lossy().as_ref());
    let o = env.command().args(["check"]).output().expect("run");
    assert_ne!(o.status.code(), Some(0), "check must refuse the folder");
    assert_eq!(
        std::fs::read_to_string(env.project.join("README.md")).expect("readme"),
        "# keep\n"
    );
}

// Broke: grep_transcripts matched inside redacted tokens, so a token could be rebuilt character by character.
#[test]
fn r_grep_was_an_oracle_on_redacted_tokens() {
    use crate::util::transcripts::{S1, pattern, user};
    let t = Env::new();
    let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    t.session(
        S1,
        &[user(
            S1,
            "u1",
            "2026-01-01T00:00:00Z",
            &format!("token {token}"),
        )],
    );
    let right = t.grep(pattern("ghp_AbC"));
    let wrong = t.grep(pattern("ghp_AbX"));
    assert!(right.hits.is_empty() && wrong.hits.is_empty());
    assert_eq!(right.stats.raw_line_matches, wrong.stats.raw_line_matches);
}
