//! What the tests share: one fixture world ([`Env`]: a temporary HOME holding Claude Code's config folder
//! and the project's transcripts, the project, a memory directory beside an "outside" folder, and the
//! journal), the server spoken to in process, over stdio or as a CLI, synthetic transcripts, a real Claude
//! Code with a scripted model, and [`skip`] for a test that cannot run here.

pub mod asset_server;
pub mod claude_code;
pub mod scripted_model;
pub mod stores;
pub mod transcripts;
mod world;

pub use world::{Client, Env, StdioServer, Tree, tool_outcome};

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// Every tool the server offers, sorted by name.
pub const TOOLS: [&str; 9] = [
    "abort_dream",
    "delete_memory_file",
    "finish_dream",
    "grep_transcripts",
    "list_memory",
    "read_memory_file",
    "rewrite_index",
    "start_dream",
    "write_memory_file",
];

/// The crate version, which the plugin and marketplace manifests must repeat.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The checkout: the crate's and the plugin's source folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The dream-mcp binary cargo built for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dream-mcp"))
}

/// `examples/<name>` in the checkout.
pub fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// Writes a line to the real stderr, past libtest's capture, so it shows in every run.
pub fn notice(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// Says, where the test summary shows it, that `test` cannot run here and why; the test then returns.
/// libtest captures `print!` and `eprint!` of a passing test, not a write to the file descriptor.
pub fn skip(test: &str, reason: &str) {
    notice(&format!("SKIPPED {test}: {reason}"));
}

/// A topic file with valid frontmatter, for fixtures.
pub fn topic(name: &str, body: &str) -> String {
    format!("---\nname: {name}\ndescription: notes about {name}\ntype: project\n---\n{body}\n")
}

/// Lossy UTF-8 of process output.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `content` to `path`, creating its folders.
pub fn write_file(path: &Path, content: &[u8]) -> PathBuf {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create parent");
    }
    fs::write(path, content).expect("write fixture");
    path.to_path_buf()
}

/// Copies `from` into `to` recursively, skipping entries whose name `skip` accepts.
pub fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) {
    fs::create_dir_all(to).expect("create copy destination");
    for entry in fs::read_dir(from).expect("read folder to copy") {
        let entry = entry.expect("folder entry");
        let name = entry.file_name();
        if skip(&name.to_string_lossy()) {
            continue;
        }
        let kind = entry.file_type().expect("entry type");
        let dest = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest, skip);
        } else if kind.is_file() {
            fs::copy(entry.path(), &dest).expect("copy file");
        }
    }
}

/// Every file of a memory directory (top level and `team/`) but Claude Code's lock, by relative path.
pub fn memory_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (folder, prefix) in [(dir.to_path_buf(), ""), (dir.join("team"), "team/")] {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for e in entries.map(|e| e.expect("entry")) {
            let name = e.file_name().to_string_lossy().into_owned();
            let ft = e.file_type().expect("file type");
            if (prefix.is_empty() && name == "team" && ft.is_dir())
                || name == dream_mcp::lock::LOCK_NAME
            {
                continue;
            }
            assert!(ft.is_file(), "unexpected non-file {prefix}{name}");
            out.insert(format!("{prefix}{name}"), fs::read(e.path()).expect("read"));
        }
    }
    out
}

/// Sets a file's modification time.
pub fn set_mtime(path: &Path, time: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .expect("open for mtime")
        .set_modified(time)
        .expect("set mtime");
}

/// Sets a file's modification time to `age` ago.
pub fn age(path: &Path, age: Duration) {
    set_mtime(path, SystemTime::now() - age);
}

/// A file's modification time.
pub fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path)
        .expect("metadata")
        .modified()
        .expect("mtime")
}

/// Writes Claude Code's consolidation lock in `memory` as Claude Code does: the holder's PID, last
/// modified `age` ago.
pub fn write_lock(memory: &Path, pid: u32, age_of_lock: Duration) {
    let path = dream_mcp::lock::lock_path(memory);
    fs::write(&path, format!("{pid}")).expect("write lock");
    age(&path, age_of_lock);
}

/// The PID of a process that has exited.
pub fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("reap true");
    pid
}
