//! Worlds with many memory stores: projects under `<config>/projects/` with sessions that name their
//! project folder, and agent memories in user, project and local scope.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Env, age, topic, write_file};

/// A session id (UUID form) numbered `n`.
pub fn session_id(n: usize) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", n, n)
}

/// Writes `count` session transcripts into `folder`, each starting with a record whose `cwd` is `cwd`.
pub fn sessions(folder: &Path, cwd: &Path, count: usize) {
    for n in 0..count {
        let id = session_id(n);
        let line = serde_json::json!({
            "type": "user", "sessionId": id, "cwd": cwd, "uuid": format!("u{n}"),
            "timestamp": "2026-11-01T10:00:00.000Z",
            "message": {"role": "user", "content": "hello"}
        });
        write_file(
            &folder.join(format!("{id}.jsonl")),
            format!("{line}\n").as_bytes(),
        );
    }
}

/// A small memory store in `dir`: an index linking `files` topic files.
pub fn store(dir: &Path, files: usize) {
    let mut index = String::new();
    for i in 0..files {
        write_file(
            &dir.join(format!("note{i}.md")),
            topic(
                &format!("note{i}"),
                &format!("Fact number {i} about the build."),
            )
            .as_bytes(),
        );
        index.push_str(&format!("- [Note {i}](note{i}.md) — fact {i}\n"));
    }
    write_file(&dir.join("MEMORY.md"), index.as_bytes());
}

/// A generated config: `n` projects, each with a project folder (6 sessions naming its project
/// checkout, and a memory of 5 files), every third project consolidated an hour ago, after its sessions (not due), every
/// fourth with a project-scope agent store and every fifth with a local one; plus a user-scope agent
/// store. Returns the project checkouts.
pub fn many_projects(env: &Env, n: usize) -> Vec<PathBuf> {
    let mut checkouts = Vec::new();
    for i in 0..n {
        let checkout = env.root().join("src").join(format!("p{i:03}"));
        std::fs::create_dir_all(&checkout).expect("checkout");
        let folder = env.config.join("projects").join(format!("-src-p{i:03}"));
        sessions(&folder, &checkout, 6);
        let memory = folder.join("memory");
        store(&memory, 5);
        if i % 3 == 0 {
            for s in 0..6 {
                let transcript = folder.join(format!("{}.jsonl", session_id(s)));
                age(&transcript, Duration::from_secs(7200));
            }
            super::write_lock(&memory, super::dead_pid(), Duration::from_secs(3600));
        }
        if i % 4 == 0 {
            store(&checkout.join(".claude/agent-memory/reviewer"), 2);
        }
        if i % 5 == 0 {
            store(&checkout.join(".claude/agent-memory-local/tester"), 1);
        }
        checkouts.push(checkout);
    }
    store(&env.config.join("agent-memory/helper"), 3);
    checkouts
}
