//! The adversarial input suite, beyond the path table in `adversarial_paths.rs`: sizes, encodings, hash
//! parameters, dream-state abuse, and hostile or broken environments (a memory directory that is missing,
//! a file, or read-only; a journal that is a file; a lock file that is a symlink or a folder).
//!
//! Every refusal must carry a clear message (the phrases listed per case) and leave the temporary tree
//! byte-identical (the memory directory, the outside folder, the fake home; times and inodes included)
//! with no run in the journal. JSON type confusion and the CLI are in `adversarial_protocol.rs`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use dream_mcp::{MAX_FILE_BYTES, RunStatus, sha256_hex};
use serde_json::{Value, json};

use crate::util::{Env, Tree, skip, topic};

/// Everything in the temporary root but the journal: the memory directory (or whatever stands in its
/// place), the outside folder, the fake home and the project. The journal is checked by its runs.
fn snapshot(env: &Env) -> Tree {
    let mut dirs: Vec<&Path> = vec![&env.outside, &env.home, &env.project];
    if fs::symlink_metadata(&env.memory).is_ok() {
        dirs.push(&env.memory);
    }
    Tree::of(env.root(), &dirs)
}

/// Asserts the refusal changed nothing: the same tree, the memory directory still present or absent, and
/// no run in the journal.
fn assert_unchanged(env: &Env, before: &Tree, memory_existed: bool, context: &str) {
    before.assert_unchanged(&snapshot(env), context);
    assert_eq!(
        fs::symlink_metadata(&env.memory).is_ok(),
        memory_existed,
        "{context}: the memory directory appeared or vanished"
    );
    assert!(
        env.run_dirs().is_empty(),
        "{context}: a refusal left a journal run: {:?}",
        env.run_dirs()
    );
}

/// A small, healthy memory directory.
fn healthy(env: &Env) {
    env.healthy();
}

/// A healthy memory directory and a transcripts directory with one session that mentions `x`.
fn transcripts(env: &Env) {
    healthy(env);
    let line = json!({"type": "user", "sessionId": "11111111-1111-4111-8111-111111111111",
        "timestamp": "2026-11-20T10:00:00.000Z", "message": {"role": "user", "content": "x marks it"}});
    env.session("11111111-1111-4111-8111-111111111111", &[line]);
}

struct Case {
    name: &'static str,
    setup: fn(&Env),
    tool: &'static str,
    args: fn(&Env) -> Value,
    /// Phrases the refusal must contain.
    phrases: &'static [&'static str],
}

const fn case(
    name: &'static str,
    setup: fn(&Env),
    tool: &'static str,
    args: fn(&Env) -> Value,
    phrases: &'static [&'static str],
) -> Case {
    Case {
        name,
        setup,
        tool,
        args,
        phrases,
    }
}

fn sha_of(env: &Env, rel: &str) -> String {
    sha256_hex(&env.get(rel).expect("fixture file"))
}

fn cases() -> Vec<Case> {
    vec![
        // Sizes.
        case(
            "content one byte over the cap",
            healthy,
            "write_memory_file",
            |_| json!({"path": "a.md", "content": "x".repeat(MAX_FILE_BYTES + 1)}),
            &["\"a.md\"", "cap"],
        ),
        case(
            "a 10 MB single-line write",
            healthy,
            "write_memory_file",
            |_| json!({"path": "new.md", "content": "y".repeat(10 << 20)}),
            &["\"new.md\"", "cap"],
        ),
        case(
            "a 10 MB single-line index",
            healthy,
            "rewrite_index",
            |_| json!({"content": format!("- [A](a.md) {}\n", "z".repeat(10 << 20))}),
            &["MEMORY.md not written", "bytes", "line 1"],
        ),
        case(
            "a 10 MB path",
            healthy,
            "read_memory_file",
            |_| json!({"path": format!("{}.md", "p".repeat(10 << 20))}),
            &["bytes long", "(10485763 bytes)"],
        ),
        case(
            "reading a file over the cap put there by hand",
            |e| {
                healthy(e);
                e.put("big.md", "b".repeat(MAX_FILE_BYTES + 10));
            },
            "read_memory_file",
            |_| json!({"path": "big.md"}),
            &["\"big.md\"", "bytes"],
        ),
        case(
            "reading a 10 MB single-line file",
            |e| {
                healthy(e);
                e.put("line.md", "l".repeat(10 << 20));
            },
            "read_memory_file",
            |_| json!({"path": "line.md"}),
            &["\"line.md\"", "bytes"],
        ),
        case(
            "replacing a file over the cap (its before-image could not be kept)",
            |e| {
                healthy(e);
                e.put("big.md", "b".repeat(MAX_FILE_BYTES + 10));
            },
            "write_memory_file",
            |_| json!({"path": "big.md", "content": topic("big", "small now")}),
            &["\"big.md\"", "bytes"],
        ),
        case(
            "deleting a file over the cap",
            |e| {
                healthy(e);
                e.put("big.md", "b".repeat(MAX_FILE_BYTES + 10));
            },
            "delete_memory_file",
            |_| json!({"path": "big.md"}),
            &["\"big.md\"", "bytes"],
        ),
        case(
            "replacing a MEMORY.md grown past the cap",
            |e| {
                healthy(e);
                e.put("MEMORY.md", "- [A](a.md) — a\n".repeat(20_000));
            },
            "rewrite_index",
            |_| json!({"content": "- [A](a.md) — a\n"}),
            &["\"MEMORY.md\"", "bytes"],
        ),
        case(
            "a NUL byte in the content",
            healthy,
            "write_memory_file",
            |_| json!({"path": "a.md", "content": "---\nname: a\n---\nbefore\0after\n"}),
            &["\"a.md\"", "NUL"],
        ),
        case(
            "a NUL byte in an index",
            healthy,
            "rewrite_index",
            |_| json!({"content": "- [A](a.md) — a\0\n"}),
            &["MEMORY.md", "NUL"],
        ),
        // Encodings in an index.
        case(
            "an index with a BOM before its frontmatter",
            healthy,
            "rewrite_index",
            |_| json!({"content": "\u{feff}---\nname: index\n---\n- [A](a.md) — a\n"}),
            &["line 1", "frontmatter"],
        ),
        case(
            "a CRLF index with a dead link on line 2",
            healthy,
            "rewrite_index",
            |_| json!({"content": "- [A](a.md) — a\r\n- [Gone](gone.md) — gone\r\n"}),
            &["line 2", "gone.md", "does not exist"],
        ),
        case(
            "an index link with a control character",
            healthy,
            "rewrite_index",
            |_| json!({"content": "- [A](a\u{1b}.md) — a\n"}),
            &["line 1", "control"],
        ),
        case(
            "an index link percent-encoding '..'",
            healthy,
            "rewrite_index",
            |_| json!({"content": "- [S](%2e%2e/outside/secret.md) — s\n"}),
            &["line 1", "allowed"],
        ),
        case(
            "an index link to a non-ASCII look-alike of a real file",
            healthy,
            "rewrite_index",
            |_| json!({"content": "- [A](\u{430}.md) — Cyrillic a\n"}),
            &["line 1", "non-ASCII"],
        ),
        // Hash parameters.
        case(
            "expected_sha256 that is not hex",
            healthy,
            "write_memory_file",
            |_| json!({"path": "a.md", "content": topic("a", "x"), "expected_sha256": "not-a-hash"}),
            &["expected_sha256", "SHA-256"],
        ),
        case(
            "expected_sha256 of 10 MB",
            healthy,
            "write_memory_file",
            |_| json!({"path": "a.md", "content": topic("a", "x"), "expected_sha256": "f".repeat(10 << 20)}),
            &["expected_sha256", "SHA-256", "..."],
        ),
        case(
            "\"\" (create only) as expected_sha256 of an existing file",
            healthy,
            "delete_memory_file",
            |_| json!({"path": "a.md", "expected_sha256": ""}),
            &["conflict", "\"a.md\""],
        ),
        case(
            "a stale expected_sha256 on delete",
            healthy,
            "delete_memory_file",
            |_| json!({"path": "a.md", "expected_sha256": sha256_hex(b"old")}),
            &["conflict", "\"a.md\""],
        ),
        case(
            "expected_sha256 for a file that does not exist yet",
            healthy,
            "write_memory_file",
            |_| json!({"path": "new.md", "content": topic("n", "n"), "expected_sha256": sha256_hex(b"x")}),
            &["conflict", "absent"],
        ),
        case(
            "the hash of another file",
            healthy,
            "rewrite_index",
            |e| json!({"content": "- [A](a.md) — a\n", "expected_sha256": sha_of(e, "a.md")}),
            &["conflict", "MEMORY.md"],
        ),
        // Dream state.
        case(
            "finish_dream with no dream open",
            healthy,
            "finish_dream",
            |_| json!({"summary": "nothing"}),
            &["no dream is open", "start_dream"],
        ),
        case(
            "abort_dream with no dream open",
            healthy,
            "abort_dream",
            |_| json!({"reason": "nothing"}),
            &["no dream is open"],
        ),
        case(
            "a 10 MB finish_dream summary",
            healthy,
            "finish_dream",
            |_| json!({"summary": "s".repeat(10 << 20)}),
            &["summary", "characters", "nothing was closed"],
        ),
        case(
            "a 10 MB abort_dream reason",
            healthy,
            "abort_dream",
            |_| json!({"reason": "r".repeat(10 << 20)}),
            &["reason", "characters", "nothing was closed"],
        ),
        // A missing memory directory: nothing may be created, not even the journal.
        case(
            "list_memory on a memory directory that does not exist",
            |e| fs::remove_dir(&e.memory).expect("rmdir"),
            "list_memory",
            |_| json!({}),
            &["does not exist"],
        ),
        case(
            "read_memory_file on a missing memory directory",
            |e| fs::remove_dir(&e.memory).expect("rmdir"),
            "read_memory_file",
            |_| json!({"path": "a.md"}),
            &["does not exist"],
        ),
        case(
            "write_memory_file on a missing memory directory",
            |e| fs::remove_dir(&e.memory).expect("rmdir"),
            "write_memory_file",
            |_| json!({"path": "a.md", "content": topic("a", "a")}),
            &["does not exist"],
        ),
        case(
            "delete_memory_file on a missing memory directory",
            |e| fs::remove_dir(&e.memory).expect("rmdir"),
            "delete_memory_file",
            |_| json!({"path": "a.md"}),
            &["does not exist"],
        ),
        case(
            "rewrite_index on a missing memory directory",
            |e| fs::remove_dir(&e.memory).expect("rmdir"),
            "rewrite_index",
            |_| json!({"content": ""}),
            &["does not exist"],
        ),
        case(
            "start_dream on a missing memory directory",
            |e| fs::remove_dir(&e.memory).expect("rmdir"),
            "start_dream",
            |_| json!({}),
            &["does not exist"],
        ),
        // The memory directory is a file.
        case(
            "list_memory when the memory directory is a file",
            |e| {
                fs::remove_dir(&e.memory).expect("rmdir");
                fs::write(&e.memory, "a file").expect("file");
            },
            "list_memory",
            |_| json!({}),
            &["not a directory"],
        ),
        case(
            "write_memory_file when the memory directory is a file",
            |e| {
                fs::remove_dir(&e.memory).expect("rmdir");
                fs::write(&e.memory, "a file").expect("file");
            },
            "write_memory_file",
            |_| json!({"path": "a.md", "content": "x"}),
            &["not a directory"],
        ),
        case(
            "start_dream when the memory directory is a file",
            |e| {
                fs::remove_dir(&e.memory).expect("rmdir");
                fs::write(&e.memory, "a file").expect("file");
            },
            "start_dream",
            |_| json!({}),
            &["not a directory"],
        ),
        // The journal cannot be written: no change may happen without its before-image.
        case(
            "write when the journal path is a file",
            |e| {
                healthy(e);
                fs::write(&e.journal, "not a folder").expect("file");
            },
            "write_memory_file",
            |_| json!({"path": "a.md", "content": topic("a", "unjournaled")}),
            &["journal"],
        ),
        case(
            "delete when the journal path is a file",
            |e| {
                healthy(e);
                fs::write(&e.journal, "not a folder").expect("file");
            },
            "delete_memory_file",
            |_| json!({"path": "a.md"}),
            &["journal"],
        ),
        case(
            "rewrite_index when the journal path is a file",
            |e| {
                healthy(e);
                fs::write(&e.journal, "not a folder").expect("file");
            },
            "rewrite_index",
            |_| json!({"content": "- [A](a.md) — a\n"}),
            &["journal"],
        ),
        // Transcript searches.
        case(
            "grep_transcripts with neither pattern nor preset",
            transcripts,
            "grep_transcripts",
            |_| json!({}),
            &["pattern", "preset"],
        ),
        case(
            "grep_transcripts with both pattern and preset",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "x", "preset": "errors"}),
            &["pattern", "preset"],
        ),
        case(
            "a pattern over the length limit",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "a".repeat(100_000)}),
            &["bytes long"],
        ),
        case(
            "a pattern whose compiled form is huge",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "\\w{1000}{1000}"}),
            &["pattern"],
        ),
        case(
            "a pattern that matches the empty string",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "(a*)*"}),
            &["empty"],
        ),
        case(
            "a pattern with a syntax error",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "(unclosed"}),
            &["(unclosed"],
        ),
        case(
            "since that is not a date",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "x", "since": "last tuesday"}),
            &["last tuesday"],
        ),
        case(
            "a session id that is a path",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "x", "sessions": ["../../outside/secret"]}),
            &["../../outside/secret"],
        ),
        case(
            "a 10 MB session id",
            transcripts,
            "grep_transcripts",
            |_| json!({"pattern": "x", "sessions": ["s".repeat(10 << 20)]}),
            &["session id", "bytes)"],
        ),
        case(
            "a transcripts directory that is a file",
            |e| {
                healthy(e);
                fs::create_dir_all(e.transcripts.parent().expect("parent")).expect("mkdir");
                fs::write(&e.transcripts, "not a folder").expect("file");
            },
            "grep_transcripts",
            |_| json!({"pattern": "x"}),
            &["-project"],
        ),
        case(
            "a transcripts directory that does not exist",
            healthy,
            "grep_transcripts",
            |_| json!({"pattern": "x"}),
            &["-project"],
        ),
        // The consolidation lock file is a trap.
        case(
            "the lock file is a symlink to a file outside",
            |e| {
                healthy(e);
                symlink(
                    e.outside.join("secret.md"),
                    e.memory.join(".consolidate-lock"),
                )
                .expect("symlink");
            },
            "start_dream",
            |_| json!({}),
            &["consolidation lock"],
        ),
        case(
            "the lock file is a folder",
            |e| {
                healthy(e);
                fs::create_dir(e.memory.join(".consolidate-lock")).expect("mkdir");
            },
            "start_dream",
            |_| json!({}),
            &["consolidation lock"],
        ),
    ]
}

#[tokio::test]
async fn every_adversarial_input_is_refused_clearly_and_changes_nothing() {
    let table = cases();
    for c in &table {
        let env = Env::new();
        (c.setup)(&env);
        let args = (c.args)(&env);
        let before = snapshot(&env);
        let memory_existed = fs::symlink_metadata(&env.memory).is_ok();
        let client = env.client().await;
        let msg = match client.call(c.tool, args).await {
            Err(msg) => msg,
            Ok(v) => panic!("case {:?}: {} was not refused: {v}", c.name, c.tool),
        };
        for phrase in c.phrases {
            assert!(
                msg.contains(phrase),
                "case {:?}: the message lacks {phrase:?}: {msg}",
                c.name
            );
        }
        assert!(
            msg.len() < 4096,
            "case {:?}: a {}-byte message",
            c.name,
            msg.len()
        );
        assert_unchanged(&env, &before, memory_existed, c.name);
    }
    eprintln!("{} adversarial input cases refused", table.len());
    assert!(table.len() >= 35, "{} cases", table.len());
}

#[tokio::test]
async fn a_second_start_dream_is_refused_and_changes_nothing() {
    let env = Env::new();
    healthy(&env);
    let client = env.client().await;
    client.ok("start_dream", json!({})).await;
    let before = Tree::of(env.root(), &[env.root()]);
    let msg = client.refused("start_dream", json!({})).await;
    assert!(msg.contains("already open"), "{msg}");
    before.assert_unchanged(&Tree::of(env.root(), &[env.root()]), "second start_dream");
}

/// A read-only bind mount of the memory directory. Tests run as root, for whom `chmod` does not stop a
/// write, so a mount is the only honest read-only directory; `None` (with a message) where mounting is not
/// permitted.
struct ReadOnlyMount<'a>(&'a Path);

impl<'a> ReadOnlyMount<'a> {
    fn new(dir: &'a Path) -> Option<ReadOnlyMount<'a>> {
        let ok = |args: &[&str]| {
            Command::new("mount")
                .args(args)
                .arg(dir)
                .arg(dir)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !ok(&["--bind"]) {
            return None;
        }
        let mount = ReadOnlyMount(dir);
        ok(&["-o", "remount,bind,ro"]).then_some(mount)
    }
}

impl Drop for ReadOnlyMount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[tokio::test]
async fn a_read_only_memory_directory_refuses_every_change_and_still_reads() {
    let env = Env::new();
    healthy(&env);
    let Some(_mount) = ReadOnlyMount::new(&env.memory) else {
        skip(
            "adversarial_inputs::a_read_only_memory_directory_refuses_every_change_and_still_reads",
            "cannot bind-mount read-only here (needs CAP_SYS_ADMIN; chmod does not stop root)",
        );
        return;
    };
    assert!(
        fs::write(env.memory.join("probe.md"), "x").is_err(),
        "the mount is not read-only"
    );
    let before = Tree::of(env.root(), &[&env.memory, &env.outside]);
    let client = env.client().await;
    let sha = sha_of(&env, "a.md");
    let refusals = [
        (
            "write_memory_file",
            json!({"path": "a.md", "content": topic("a", "changed"), "expected_sha256": sha}),
        ),
        (
            "write_memory_file",
            json!({"path": "team/new.md", "content": topic("n", "new")}),
        ),
        ("delete_memory_file", json!({"path": "a.md"})),
        ("rewrite_index", json!({"content": "- [A](a.md) — a\n"})),
        ("start_dream", json!({})),
    ];
    for (tool, args) in refusals {
        let msg = client.refused(tool, args.clone()).await;
        assert!(
            msg.contains("Read-only file system"),
            "{tool} {args}: unclear refusal: {msg}"
        );
        before.assert_unchanged(
            &Tree::of(env.root(), &[&env.memory, &env.outside]),
            &format!("{tool} on a read-only memory directory"),
        );
    }
    let (content, _) = client.read("a.md").await;
    assert_eq!(content, topic("a", "first"));
    let list = client.ok("list_memory", json!({"files_limit": 10})).await;
    assert_eq!(list["files"].as_array().map(Vec::len), Some(2));
    // A failed change keeps what it recorded: an aborted run with the before-image, nothing else.
    for run in env.runs() {
        assert_ne!(run.status, RunStatus::Finished, "{run:?}");
    }
}

#[tokio::test]
async fn hostile_encodings_on_disk_are_read_faithfully() {
    let env = Env::new();
    let invalid = b"---\nname: bytes\ntype: user\n---\nvalid \xff\xfe then more\n".to_vec();
    env.put("bytes.md", &invalid);
    env.put(
        "bom.md",
        "\u{feff}---\r\nname: bom\r\ndescription: d\r\ntype: feedback\r\n---\r\nbody\r\n",
    );
    env.put(
        "MEMORY.md",
        b"- [Bytes](bytes.md) \xff\r\n- [Bom](bom.md) \xe2\x80\x94 crlf\r\n",
    );
    let client = env.client().await;

    let read = client
        .ok("read_memory_file", json!({"path": "bytes.md"}))
        .await;
    assert_eq!(
        read["sha256"],
        sha256_hex(&invalid),
        "hash of the bytes on disk"
    );
    assert!(read["content"].as_str().unwrap().contains('\u{fffd}'));
    // The hash read is accepted as expected_sha256, so the file can be replaced (and the journal keeps
    // the original bytes for undo).
    client
        .ok(
            "write_memory_file",
            json!({"path": "bytes.md", "content": topic("bytes", "clean"), "expected_sha256": read["sha256"]}),
        )
        .await;
    let runs = env.runs();
    let stored = dream_mcp::Journal::new(&env.journal)
        .image(&runs[0].id, &runs[0].touched[0].before)
        .unwrap()
        .unwrap();
    assert_eq!(stored, invalid, "the journal keeps the exact invalid bytes");

    let list = client.ok("list_memory", json!({"files_limit": 10})).await;
    let bom = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "bom.md")
        .expect("bom.md listed");
    assert_eq!(
        bom.get("problems"),
        None,
        "frontmatter read through the BOM: {bom}"
    );
    assert_eq!(bom["memory_type"], "feedback", "{bom}");
    assert_eq!(list["index"]["dead_links"], json!([]), "{list}");
    assert_eq!(list["index"]["orphans"], json!([]), "{list}");
}

#[tokio::test]
async fn an_index_over_the_size_cap_is_reported_not_fatal() {
    let env = Env::new();
    healthy(&env);
    env.put("MEMORY.md", "- [A](a.md) — a\n".repeat(20_000));
    let client = env.client().await;
    let list = client.ok("list_memory", json!({})).await;
    assert_eq!(list["index"]["exists"], true);
    assert_eq!(list["index"]["over_limit"], true);
    assert!(list["index"]["bytes"].as_u64().unwrap() > MAX_FILE_BYTES as u64);
    let skipped = list["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"] == "MEMORY.md" && s["reason"].as_str().unwrap().contains("bytes")),
        "{skipped:?}"
    );
    client.ok("start_dream", json!({})).await;
    client
        .ok("abort_dream", json!({"reason": "only looking"}))
        .await;
}

#[tokio::test]
async fn a_transcripts_directory_that_is_a_file_counts_no_sessions_and_is_left_alone() {
    let env = Env::new();
    healthy(&env);
    let transcripts = env.transcripts.clone();
    fs::create_dir_all(transcripts.parent().unwrap()).unwrap();
    fs::write(&transcripts, "not a folder").unwrap();
    let client = env.client().await;
    let start = client.ok("start_dream", json!({})).await;
    assert_eq!(start["gate"]["sessions_since"], json!([]), "{start}");
    assert_eq!(start["gate"]["open"], false);
    client
        .ok("abort_dream", json!({"reason": "only looking"}))
        .await;
    assert_eq!(fs::read_to_string(&transcripts).unwrap(), "not a folder");
}
