//! `expected_sha256`: a change based on a stale read is refused with the current hash in the message and
//! leaves the file alone; a change based on the current content goes through. This is what keeps a dream
//! from losing a memory Claude Code's auto-memory wrote in the meantime.

use dream_mcp::sha256_hex;
use serde_json::json;

use crate::util::{Env, topic};

/// Asserts `msg` is a conflict on `path` naming the `stale` hash and the `current` one.
fn assert_conflict(msg: &str, path: &str, stale: &str, current: &str) {
    assert!(
        msg.contains(&format!("conflict on {path:?}")),
        "no path: {msg}"
    );
    assert!(msg.contains(stale), "no expected hash: {msg}");
    assert!(
        msg.contains(&format!("the file is now {current}")),
        "no current hash: {msg}"
    );
}

#[tokio::test]
async fn a_write_after_a_concurrent_change_is_refused_then_succeeds_with_the_current_hash() {
    let env = Env::new();
    env.put("build.md", topic("build", "v1"));
    let client = env.client().await;
    let (_, read_hash) = client.read("build.md").await;

    let theirs = topic("build", "v1 plus a note auto-memory just saved");
    env.put("build.md", &theirs);
    let before = env.tree();
    let msg = client
        .refused(
            "write_memory_file",
            json!({"path": "build.md", "content": topic("build", "merged"), "expected_sha256": read_hash}),
        )
        .await;
    let current = sha256_hex(theirs.as_bytes());
    assert_conflict(&msg, "build.md", &read_hash, &current);
    before.assert_unchanged(&env.tree(), "stale write");
    assert!(env.run_dirs().is_empty(), "a refused write left a run");

    let merged = topic("build", "v1 plus the note, merged");
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "build.md", "content": merged, "expected_sha256": current}),
        )
        .await;
    assert_eq!(v["previous_sha256"], current);
    assert_eq!(env.get("build.md").as_deref(), Some(merged.as_bytes()));
}

#[tokio::test]
async fn a_hash_for_a_file_that_does_not_exist_is_a_conflict_with_absent() {
    let env = Env::new();
    let client = env.client().await;
    let stale = sha256_hex(b"something");
    let msg = client
        .refused(
            "write_memory_file",
            json!({"path": "new.md", "content": "x", "expected_sha256": stale}),
        )
        .await;
    assert_conflict(&msg, "new.md", &stale, "absent");
    assert!(env.get("new.md").is_none());
}

#[tokio::test]
async fn the_hash_is_compared_case_insensitively_and_ignoring_surrounding_space() {
    let env = Env::new();
    let body = topic("a", "a");
    env.put("a.md", &body);
    let client = env.client().await;
    let hash = format!(" {} ", sha256_hex(body.as_bytes()).to_uppercase());
    client
        .ok(
            "write_memory_file",
            json!({"path": "a.md", "content": topic("a", "b"), "expected_sha256": hash}),
        )
        .await;
    assert_eq!(env.get("a.md").as_deref(), Some(topic("a", "b").as_bytes()));
}

#[tokio::test]
async fn a_stale_delete_is_refused_and_a_current_one_succeeds() {
    let env = Env::new();
    env.put("old.md", topic("old", "v1"));
    let client = env.client().await;
    let (_, read_hash) = client.read("old.md").await;
    let theirs = topic("old", "v2, still needed");
    env.put("old.md", &theirs);
    let before = env.tree();
    let msg = client
        .refused(
            "delete_memory_file",
            json!({"path": "old.md", "expected_sha256": read_hash}),
        )
        .await;
    let current = sha256_hex(theirs.as_bytes());
    assert_conflict(&msg, "old.md", &read_hash, &current);
    before.assert_unchanged(&env.tree(), "stale delete");
    assert!(env.run_dirs().is_empty(), "a refused delete left a run");

    client
        .ok(
            "delete_memory_file",
            json!({"path": "old.md", "expected_sha256": current}),
        )
        .await;
    assert!(env.get("old.md").is_none());
}

#[tokio::test]
async fn a_stale_index_rewrite_is_refused_and_a_current_one_succeeds() {
    let env = Env::new();
    env.put("a.md", topic("a", "a"));
    env.put("b.md", topic("b", "b"));
    env.put("MEMORY.md", "- [A](a.md) — a\n");
    let client = env.client().await;
    let listed = client.ok("list_memory", json!({})).await;
    let read_hash = listed["index"]["sha256"]
        .as_str()
        .expect("index hash")
        .to_string();
    let theirs = "- [A](a.md) — a\n- [B](b.md) — added by auto-memory\n";
    env.put("MEMORY.md", theirs);
    let before = env.tree();
    let ours = "- [A](a.md) — a, reworded\n";
    let msg = client
        .refused(
            "rewrite_index",
            json!({"content": ours, "expected_sha256": read_hash}),
        )
        .await;
    let current = sha256_hex(theirs.as_bytes());
    assert_conflict(&msg, "MEMORY.md", &read_hash, &current);
    before.assert_unchanged(&env.tree(), "stale rewrite");
    assert!(env.run_dirs().is_empty(), "a refused rewrite left a run");

    let merged = "- [A](a.md) — a, reworded\n- [B](b.md) — added by auto-memory\n";
    client
        .ok(
            "rewrite_index",
            json!({"content": merged, "expected_sha256": current}),
        )
        .await;
    assert_eq!(env.get("MEMORY.md").as_deref(), Some(merged.as_bytes()));
}
