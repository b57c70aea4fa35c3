//! The journal: every successful change is its own run, recorded outside the memory directory with the
//! exact before-image of what it touched; reads and refusals leave nothing behind.

use dream_mcp::{Journal, RunKind, RunRecord, RunStatus, sha256_hex};
use serde_json::json;

use crate::util::{Env, topic};

/// Asserts `run` is a finished single change named `summary` that touched only `path`, whose before-image
/// is `before` (`None`: the file did not exist).
fn assert_run(env: &Env, run: &RunRecord, summary: &str, path: &str, before: Option<&[u8]>) {
    assert_eq!(run.kind, RunKind::Single);
    assert_eq!(run.status, RunStatus::Finished);
    assert_eq!(run.summary, summary);
    assert_eq!(run.pid, std::process::id());
    assert!(chrono::DateTime::parse_from_rfc3339(&run.started).is_ok());
    assert!(
        run.ended
            .as_deref()
            .is_some_and(|e| chrono::DateTime::parse_from_rfc3339(e).is_ok())
    );
    assert_eq!(run.touched.len(), 1, "{run:?}");
    let t = &run.touched[0];
    assert_eq!(t.path, path);
    assert_eq!(t.before.sha256, before.map(sha256_hex));
    let image = Journal::new(&env.journal)
        .image(&run.id, &t.before)
        .expect("before image");
    assert_eq!(image.as_deref(), before, "before-image of {path}");
    if let Some(blob) = &t.before.blob {
        let file = blob.split_once('@').map_or(blob.as_str(), |(f, _)| f);
        let stored = env.journal.join("runs").join(&run.id).join(file);
        assert!(stored.is_file(), "{} missing", stored.display());
    }
}

#[tokio::test]
async fn every_change_is_a_run_with_its_before_image_outside_the_memory_directory() {
    let env = Env::new();
    let old = topic("a", "old");
    env.put("a.md", &old);
    env.put("MEMORY.md", "- [A](a.md) — a\n");
    let client = env.client().await;

    client
        .ok(
            "write_memory_file",
            json!({"path": "a.md", "content": topic("a", "new")}),
        )
        .await;
    client
        .ok(
            "write_memory_file",
            json!({"path": "team/b.md", "content": topic("b", "b")}),
        )
        .await;
    client
        .ok(
            "rewrite_index",
            json!({"content": "- [A](a.md) — a\n- [B](team/b.md) — b\n"}),
        )
        .await;
    client
        .ok("delete_memory_file", json!({"path": "team/b.md"}))
        .await;

    let runs = env.runs();
    assert_eq!(runs.len(), 4, "{runs:#?}");
    assert_run(&env, &runs[0], "write a.md", "a.md", Some(old.as_bytes()));
    assert_run(&env, &runs[1], "write team/b.md", "team/b.md", None);
    assert_run(
        &env,
        &runs[2],
        "rewrite MEMORY.md",
        "MEMORY.md",
        Some("- [A](a.md) — a\n".as_bytes()),
    );
    assert_run(
        &env,
        &runs[3],
        "delete team/b.md",
        "team/b.md",
        Some(topic("b", "b").as_bytes()),
    );
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "run ids are unique and sort by time");

    assert!(!env.journal.starts_with(&env.memory));
    let listed = client.ok("list_memory", json!({})).await;
    assert_eq!(
        listed["skipped"],
        json!([]),
        "the journal leaks into the memory dir"
    );
    let mut names: Vec<String> = std::fs::read_dir(&env.memory)
        .expect("read memory dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["MEMORY.md", "a.md", "team"]);
}

#[tokio::test]
async fn reads_and_refusals_leave_no_run() {
    let env = Env::new();
    env.put("a.md", topic("a", "a"));
    env.put("MEMORY.md", "- [A](a.md) — a\n");
    let client = env.client().await;
    client.ok("list_memory", json!({})).await;
    client.read("a.md").await;
    client.read("MEMORY.md").await;
    let refusals = [
        (
            "write_memory_file",
            json!({"path": "../x.md", "content": "x"}),
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": "x", "expected_sha256": "0"}),
        ),
        ("delete_memory_file", json!({"path": "missing.md"})),
        ("delete_memory_file", json!({"path": "MEMORY.md"})),
        ("rewrite_index", json!({"content": "- [X](x.md) — dead\n"})),
        (
            "rewrite_index",
            json!({"content": "# ok\n", "expected_sha256": "0"}),
        ),
    ];
    for (tool, args) in refusals {
        client.refused(tool, args).await;
    }
    assert!(env.run_dirs().is_empty(), "{:?}", env.run_dirs());
    assert!(env.runs().is_empty());
}
