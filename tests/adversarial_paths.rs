//! The adversarial path table: every confinement rule, and the ways around them people actually try.
//!
//! For each case and each tool it concerns, the tool must refuse with a message naming the path and the
//! rule, and the whole temporary tree (the memory directory and a sibling "outside" folder, symlink targets,
//! modes, inodes and times included) must be unchanged, with no run left in the journal.

use std::fs;
use std::os::unix::fs::symlink;

use serde_json::json;

use crate::util::{Env, topic};

/// What a case asks a tool to do with its path.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `read_memory_file {path}`.
    Read,
    /// `write_memory_file {path, content}`.
    Write,
    /// `delete_memory_file {path}`.
    Delete,
    /// `rewrite_index` with an index whose only entry links to the path.
    Link,
    /// `rewrite_index` with a valid index (the case is about MEMORY.md itself).
    Index,
}

use Op::{Delete, Index, Link, Read, Write};

/// Read, write and delete all refuse for the same reason.
const RWD: &[Op] = &[Read, Write, Delete];
/// The same, plus an index line linking to the path.
const RWDL: &[Op] = &[Read, Write, Delete, Link];

struct Case {
    /// What the case tries.
    name: &'static str,
    /// The path handed to the tools; `$OUT` and `$MEM` stand for the outside and memory folders.
    path: String,
    /// Builds the trap before the tools run.
    setup: fn(&Env),
    /// The tools to try.
    ops: &'static [Op],
    /// A phrase of the rule each refusal must name.
    rule: &'static str,
}

fn case(
    name: &'static str,
    path: impl Into<String>,
    setup: fn(&Env),
    ops: &'static [Op],
    rule: &'static str,
) -> Case {
    Case {
        name,
        path: path.into(),
        setup,
        ops,
        rule,
    }
}

fn secret_outside(env: &Env) {
    env.put_outside("secret.md", topic("secret", "outside, never to be read"));
    env.put_outside("team/secret.md", topic("secret", "outside team"));
    env.put("a.md", topic("a", "inside"));
    env.put("x.md", topic("x", "inside"));
    env.put("MEMORY.md", "- [A](a.md) — a\n- [X](x.md) — x\n");
}

fn mkfifo(path: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path without NUL");
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

fn cases() -> Vec<Case> {
    let long_name = format!("{}.md", "a".repeat(10_000));
    let just_over = format!("{}.md", "b".repeat(198));
    vec![
        // Absolute paths and escapes.
        case(
            "absolute path to a file outside",
            "$OUT/secret.md",
            secret_outside,
            RWDL,
            "absolute",
        ),
        case(
            "absolute path into the memory directory itself",
            "$MEM/a.md",
            secret_outside,
            RWD,
            "absolute",
        ),
        case(
            "home-relative path",
            "~/secret.md",
            secret_outside,
            RWD,
            "absolute",
        ),
        case(
            "parent escape to the outside folder",
            "../outside/secret.md",
            secret_outside,
            RWDL,
            "'..'",
        ),
        case(
            "escape and come back: team/../x.md",
            "team/../x.md",
            secret_outside,
            RWDL,
            "'..'",
        ),
        case(
            "dot segment before the index: ./MEMORY.md",
            "./MEMORY.md",
            secret_outside,
            RWDL,
            "'.'",
        ),
        case(
            "trailing dot segment: a.md/.",
            "a.md/.",
            secret_outside,
            RWD,
            "'.'",
        ),
        case("empty path", "", secret_outside, RWD, "empty"),
        case(
            "doubled slash: team//a.md",
            "team//a.md",
            secret_outside,
            RWD,
            "empty path segment",
        ),
        case(
            "backslash separator",
            "team\\..\\x.md",
            secret_outside,
            RWD,
            "backslash",
        ),
        // Names that are not topic files.
        case(
            "not Markdown: an existing .txt file",
            "notes.txt",
            |e| {
                e.put("notes.txt", "plain text");
            },
            RWDL,
            "Markdown",
        ),
        case(
            "upper-case extension: a.MD",
            "a.MD",
            |e| {
                e.put("a.MD", "x");
            },
            RWD,
            "Markdown",
        ),
        case(
            "hidden file: the consolidation lock",
            ".consolidate-lock",
            |e| {
                e.put(".consolidate-lock", "12345\n");
            },
            RWD,
            "hidden",
        ),
        case(
            "hidden Markdown file",
            ".secret.md",
            |e| {
                e.put(".secret.md", "hidden");
            },
            RWDL,
            "hidden",
        ),
        case(
            "hidden file in team/",
            "team/.draft.md",
            |e| {
                e.put("team/.draft.md", "hidden");
            },
            RWD,
            "hidden",
        ),
        // Protected and unmanaged folders.
        case(
            ".git is protected",
            ".git/config.md",
            |e| {
                e.put(".git/config.md", "[core]");
            },
            RWDL,
            "protected",
        ),
        case(
            "agents/ is protected",
            "agents/reviewer.md",
            |e| {
                e.put("agents/reviewer.md", "agent");
            },
            RWDL,
            "protected",
        ),
        case(
            "logs/ is read only to the tools",
            "logs/2026/01/02/session.md",
            |e| {
                e.put("logs/2026/01/02/session.md", "log");
            },
            RWD,
            "protected",
        ),
        case(
            "sessions/ is read only to the tools",
            "sessions/s1.md",
            |e| {
                e.put("sessions/s1.md", "log");
            },
            RWD,
            "protected",
        ),
        case(
            "an unmanaged subfolder",
            "notes/a.md",
            |e| {
                e.put("notes/a.md", "x");
            },
            RWDL,
            "only top-level",
        ),
        case(
            "nested folder under team/",
            "team/sub/a.md",
            |e| {
                e.put("team/sub/a.md", "x");
            },
            RWD,
            "only top-level",
        ),
        // Control characters.
        case("NUL byte", "a\0.md", secret_outside, RWD, "control"),
        case("newline", "a.md\n", secret_outside, RWD, "control"),
        case(
            "escape character",
            "a\u{1b}[2J.md",
            secret_outside,
            RWD,
            "control",
        ),
        // Unicode look-alikes.
        case(
            "fullwidth solidus: team／x.md",
            "team\u{ff0f}x.md",
            secret_outside,
            RWD,
            "non-ASCII",
        ),
        case(
            "division slash: ..∕outside∕secret.md",
            "..\u{2215}outside\u{2215}secret.md",
            secret_outside,
            RWD,
            "non-ASCII",
        ),
        case(
            "Cyrillic М in MEMORY.md",
            "\u{41c}EMORY.md",
            secret_outside,
            RWD,
            "non-ASCII",
        ),
        case(
            "zero-width space in a name",
            "a\u{200b}.md",
            secret_outside,
            RWD,
            "non-ASCII",
        ),
        case(
            "fullwidth full stops: ．．/x.md",
            "\u{ff0e}\u{ff0e}/x.md",
            secret_outside,
            RWD,
            "non-ASCII",
        ),
        case(
            "right-to-left override hiding the extension",
            "a\u{202e}dm.txt",
            secret_outside,
            RWD,
            "non-ASCII",
        ),
        case(
            "a space in the name",
            "my notes.md",
            secret_outside,
            RWD,
            "not allowed",
        ),
        // Length.
        case(
            "a 10,000-character name",
            long_name,
            secret_outside,
            RWDL,
            "bytes long",
        ),
        case(
            "one byte over the path limit",
            just_over,
            secret_outside,
            RWD,
            "bytes long",
        ),
        // The index.
        case(
            "a case variant of the index",
            "memory.md",
            secret_outside,
            RWD,
            "case",
        ),
        case(
            "an index inside team/",
            "team/MEMORY.md",
            secret_outside,
            RWD,
            "top level",
        ),
        case(
            "writing MEMORY.md with write_memory_file",
            "MEMORY.md",
            secret_outside,
            &[Write],
            "rewrite_index",
        ),
        case(
            "deleting MEMORY.md",
            "MEMORY.md",
            secret_outside,
            &[Delete],
            "rewrite_index",
        ),
        case(
            "an index line linking to MEMORY.md itself",
            "MEMORY.md",
            secret_outside,
            &[Link],
            "MEMORY.md itself",
        ),
        // Symlinks.
        case(
            "symlink to a file outside",
            "link.md",
            |e| {
                secret_outside(e);
                symlink("../outside/secret.md", e.memory.join("link.md")).expect("symlink");
            },
            RWDL,
            "symlink",
        ),
        case(
            "dangling symlink to a new file outside",
            "new.md",
            |e| {
                secret_outside(e);
                symlink(e.outside.join("created.md"), e.memory.join("new.md")).expect("symlink");
            },
            RWDL,
            "symlink",
        ),
        case(
            "symlink to another memory file",
            "alias.md",
            |e| {
                secret_outside(e);
                symlink("a.md", e.memory.join("alias.md")).expect("symlink");
            },
            RWDL,
            "symlink",
        ),
        case(
            "symlinked folder: team -> outside, existing file",
            "team/secret.md",
            |e| {
                secret_outside(e);
                symlink(e.outside.join("team"), e.memory.join("team")).expect("symlink");
            },
            RWDL,
            "symlink",
        ),
        case(
            "symlinked folder: team -> outside, new file",
            "team/new.md",
            |e| {
                secret_outside(e);
                symlink(e.outside.join("team"), e.memory.join("team")).expect("symlink");
            },
            &[Write],
            "symlink",
        ),
        case(
            "MEMORY.md is a symlink to a file outside",
            "MEMORY.md",
            |e| {
                e.put_outside("index.md", "- [Secret](secret.md) — outside\n");
                symlink("../outside/index.md", e.memory.join("MEMORY.md")).expect("symlink");
            },
            &[Read, Index],
            "symlink",
        ),
        // Hard links, folders, special files.
        case(
            "hard link to a file outside",
            "hard.md",
            |e| {
                secret_outside(e);
                fs::hard_link(e.outside.join("secret.md"), e.memory.join("hard.md"))
                    .expect("hard link");
            },
            RWDL,
            "hard link",
        ),
        case(
            "MEMORY.md is a hard link to a file outside",
            "MEMORY.md",
            |e| {
                e.put_outside("index.md", "- [Secret](secret.md) — outside\n");
                fs::hard_link(e.outside.join("index.md"), e.memory.join("MEMORY.md"))
                    .expect("hard link");
            },
            &[Read, Index],
            "hard link",
        ),
        case(
            "a directory named x.md",
            "x.md",
            |e| {
                fs::create_dir_all(e.memory.join("x.md")).expect("mkdir");
                e.put("x.md/inner.md", "inside a folder");
            },
            RWDL,
            "directory",
        ),
        case(
            "MEMORY.md is a directory",
            "MEMORY.md",
            |e| {
                fs::create_dir_all(e.memory.join("MEMORY.md")).expect("mkdir");
            },
            &[Read, Index],
            "directory",
        ),
        case(
            "a FIFO named pipe.md",
            "pipe.md",
            |e| mkfifo(&e.memory.join("pipe.md")),
            RWDL,
            "not a regular file",
        ),
        case(
            "team is a file, not a folder",
            "team/a.md",
            |e| {
                e.put("team", "a file");
            },
            &[Read, Write, Delete],
            "not a folder",
        ),
    ]
}

fn args(op: Op, path: &str) -> (&'static str, serde_json::Value) {
    match op {
        Read => ("read_memory_file", json!({ "path": path })),
        Write => (
            "write_memory_file",
            json!({ "path": path, "content": topic("pwned", "overwritten") }),
        ),
        Delete => ("delete_memory_file", json!({ "path": path })),
        Link => (
            "rewrite_index",
            json!({ "content": format!("# Memory\n- [Trap]({path}) — follow me\n") }),
        ),
        Index => ("rewrite_index", json!({ "content": "# Memory\n" })),
    }
}

#[tokio::test]
async fn every_adversarial_path_is_refused_and_changes_nothing() {
    let table = cases();
    assert!(table.len() >= 25, "only {} cases", table.len());
    let mut checks = 0;
    for case in &table {
        let env = Env::new();
        (case.setup)(&env);
        let path = case
            .path
            .replace("$OUT", &env.outside.to_string_lossy())
            .replace("$MEM", &env.memory.to_string_lossy());
        let before = env.tree();
        let client = env.client().await;
        for &op in case.ops {
            let (tool, a) = args(op, &path);
            let context = format!("case {:?}, {op:?} ({tool})", case.name);
            let msg = match client.call(tool, a).await {
                Err(msg) => msg,
                Ok(v) => panic!("{context}: not refused, returned {v}"),
            };
            let named = match op {
                Index => "MEMORY.md".to_string(),
                _ => format!("{path:?}"),
            };
            assert!(
                msg.contains(&named),
                "{context}: message does not name the path {named}: {msg}"
            );
            assert!(
                msg.contains(case.rule),
                "{context}: message does not name the rule ({:?}): {msg}",
                case.rule
            );
            if matches!(op, Link) {
                assert!(msg.contains("line 2"), "{context}: no line number: {msg}");
            }
            before.assert_unchanged(&env.tree(), &context);
            assert!(
                env.run_dirs().is_empty(),
                "{context}: a refused call left a journal run: {:?}",
                env.run_dirs()
            );
            checks += 1;
        }
    }
    eprintln!(
        "{} adversarial cases, {checks} refusals checked",
        table.len()
    );
}

#[tokio::test]
async fn the_longest_allowed_name_is_accepted() {
    let env = Env::new();
    let client = env.client().await;
    let name = format!("{}.md", "c".repeat(197));
    assert_eq!(name.len(), 200);
    client
        .ok(
            "write_memory_file",
            json!({"path": name, "content": topic("long", "ok")}),
        )
        .await;
    let (content, _) = client.read(&name).await;
    assert_eq!(content, topic("long", "ok"));
}

#[tokio::test]
async fn a_symlinked_memory_directory_is_allowed_but_nothing_below_it_is_followed() {
    let env = Env::new();
    let real = env.root().join("real-memory");
    fs::create_dir(&real).expect("mkdir");
    fs::remove_dir(&env.memory).expect("rmdir");
    symlink(&real, &env.memory).expect("symlink memory dir");
    env.put("a.md", topic("a", "via the link"));
    let client = env.client().await;
    let (content, _) = client.read("a.md").await;
    assert_eq!(content, topic("a", "via the link"));
    client
        .ok(
            "write_memory_file",
            json!({"path": "b.md", "content": topic("b", "new")}),
        )
        .await;
    assert!(real.join("b.md").is_file());
}

/// A named way of changing the tree.
type Change = (&'static str, fn(&Env));

#[test]
fn the_tree_snapshot_sees_every_kind_of_change() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    secret_outside(&env);
    symlink("../outside/secret.md", env.memory.join("link.md")).expect("symlink");
    let changes: [Change; 7] = [
        ("content outside", |e| {
            e.put_outside("secret.md", "changed");
        }),
        ("mode", |e| {
            fs::set_permissions(e.memory.join("a.md"), fs::Permissions::from_mode(0o600))
                .expect("chmod");
        }),
        ("symlink target", |e| {
            fs::remove_file(e.memory.join("link.md")).expect("rm");
            symlink("../outside/other.md", e.memory.join("link.md")).expect("symlink");
        }),
        ("same content, new inode", |e| {
            // What an atomic rewrite does. The old inode is kept alive outside the snapshot so it cannot
            // be reused (timestamps alone are too coarse to tell the files apart).
            let p = e.memory.join("x.md");
            let bytes = fs::read(&p).expect("read");
            fs::rename(&p, e.root().join("old-x.md")).expect("move away");
            fs::write(&p, bytes).expect("write");
        }),
        ("a hidden temp file", |e| {
            e.put(".x.md.tmp", "");
        }),
        ("an empty folder", |e| {
            fs::create_dir(e.outside.join("new")).expect("mkdir");
        }),
        ("a hard link", |e| {
            fs::hard_link(e.memory.join("a.md"), e.outside.join("a.md")).expect("link");
        }),
    ];
    for (what, change) in changes {
        let before = env.tree();
        change(&env);
        let after = env.tree();
        assert_ne!(before.digest(), after.digest(), "{what} went unseen");
    }
}
