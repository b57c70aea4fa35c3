//! Dream runs: Claude Code's lock, the automatic gate, the journal, undo, and crash recovery.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, SystemTime};

use dream_mcp::dream::Dreamer;
use dream_mcp::edit;
use dream_mcp::locations::{LocationOptions, Locations};
use dream_mcp::lock::{self, Lock, LockError};
use dream_mcp::sessions::{self, GateConfig};
use proptest::prelude::*;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dream-mcp");

struct Fixture {
    _tmp: tempfile::TempDir,
    mem: PathBuf,
    transcripts: PathBuf,
    journal: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let (mem, transcripts, journal) = (root.join("mem"), root.join("tr"), root.join("journal"));
        fs::create_dir_all(&mem).unwrap();
        fs::create_dir_all(&transcripts).unwrap();
        fs::write(
            mem.join("a.md"),
            "---\nname: a\ndescription: a\ntype: user\n---\nA\n",
        )
        .unwrap();
        fs::write(mem.join("MEMORY.md"), "- [A](a.md) — a\n").unwrap();
        Fixture {
            _tmp: tmp,
            mem,
            transcripts,
            journal,
        }
    }

    fn locations(&self) -> Locations {
        LocationOptions {
            memory_dir: Some(self.mem.clone()),
            transcripts_dir: Some(self.transcripts.clone()),
            journal_dir: Some(self.journal.clone()),
            project_dir: Some(self.mem.clone()),
            home: Some(self.mem.clone()),
            config_dir: Some(self.mem.join("no-config")),
        }
        .resolve()
    }

    fn dreamer(&self) -> Dreamer {
        Dreamer::new(self.locations())
    }

    /// Every memory file (lock excluded) and its bytes.
    fn tree(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for dir in [self.mem.clone(), self.mem.join("team")] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if e.path().is_file() && name != lock::LOCK_NAME {
                    let rel = e
                        .path()
                        .strip_prefix(&self.mem)
                        .unwrap()
                        .display()
                        .to_string();
                    out.insert(rel, fs::read(e.path()).unwrap());
                }
            }
        }
        out
    }

    fn session(&self, id: &str, age: Duration) {
        let path = self.transcripts.join(format!("{id}.jsonl"));
        fs::write(
            &path,
            "{\"type\":\"user\",\"timestamp\":\"2026-11-20T10:00:00.000Z\"}\n",
        )
        .unwrap();
        age_file(&path, age);
    }
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-1111-2222-3333-444444444444")
}

fn write_lock(mem: &Path, pid: u32, age: Duration) {
    let path = lock::lock_path(mem);
    fs::write(&path, format!("{pid}")).unwrap();
    age_file(&path, age);
}

/// Sets a file's mtime to `age` ago.
fn age_file(path: &Path, age: Duration) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn lock_held_by_a_live_process_with_a_fresh_mtime_is_refused() {
    let f = Fixture::new();
    let mut holder = Command::new("sleep").arg("30").spawn().unwrap();
    write_lock(&f.mem, holder.id(), Duration::from_secs(60));
    let err = Lock::acquire(&f.mem).unwrap_err();
    assert!(
        matches!(err, LockError::Held { pid, .. } if pid == holder.id()),
        "{err}"
    );
    let msg = f
        .dreamer()
        .start(GateConfig::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains(&holder.id().to_string()) && msg.contains("held"),
        "{msg}"
    );
    assert_eq!(
        fs::read_to_string(lock::lock_path(&f.mem)).unwrap(),
        holder.id().to_string()
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn lock_with_a_dead_pid_is_taken_over() {
    let f = Fixture::new();
    write_lock(&f.mem, dead_pid(), Duration::from_secs(60));
    let lock = Lock::acquire(&f.mem).unwrap();
    assert_eq!(
        lock::read(&f.mem).unwrap().pid,
        Some(std::process::id()),
        "our PID is written"
    );
    lock.release_success().unwrap();
}

#[test]
fn lock_older_than_an_hour_is_taken_over_even_with_a_live_pid() {
    let f = Fixture::new();
    let mut holder = Command::new("sleep").arg("30").spawn().unwrap();
    write_lock(&f.mem, holder.id(), Duration::from_secs(3601));
    assert!(Lock::acquire(&f.mem).is_ok());
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn failed_run_restores_the_earlier_mtime_and_success_marks_now() {
    let f = Fixture::new();
    let earlier = Duration::from_secs(3 * 24 * 3600);
    write_lock(&f.mem, dead_pid(), earlier);
    let before = mtime(&lock::lock_path(&f.mem));
    let d = f.dreamer();
    d.start(GateConfig::default()).unwrap();
    assert!(mtime(&lock::lock_path(&f.mem)) > before);
    d.abort("testing rollback").unwrap();
    assert_eq!(mtime(&lock::lock_path(&f.mem)), before);

    d.start(GateConfig::default()).unwrap();
    d.finish("nothing to do").unwrap();
    let age = SystemTime::now()
        .duration_since(mtime(&lock::lock_path(&f.mem)))
        .unwrap();
    assert!(age < Duration::from_secs(60), "success leaves mtime = now");
}

#[test]
fn failed_run_without_an_earlier_lock_removes_it() {
    let f = Fixture::new();
    let d = f.dreamer();
    d.start(GateConfig::default()).unwrap();
    assert!(lock::lock_path(&f.mem).exists());
    d.abort("no").unwrap();
    assert!(!lock::lock_path(&f.mem).exists());
}

/// A server process driven over stdio JSON-RPC.
struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Server {
    fn spawn(f: &Fixture) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .env("HOME", &f.mem)
            .env("CLAUDE_CONFIG_DIR", f.mem.join("no-config"))
            .env("DREAM_MEMORY_DIR", &f.mem)
            .env("DREAM_TRANSCRIPTS_DIR", &f.transcripts)
            .env("DREAM_JOURNAL_DIR", &f.journal)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut s = Server {
            child,
            stdin,
            stdout,
            next_id: 1,
        };
        s.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}),
        );
        writeln!(
            s.stdin,
            "{}",
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
        )
        .unwrap();
        s
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        writeln!(
            self.stdin,
            "{}",
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        )
        .unwrap();
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "server closed stdout"
            );
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == json!(id) {
                return v["result"].clone();
            }
        }
    }

    /// Calls a tool; `Ok(structured)` or `Err(error text)`.
    fn call(&mut self, tool: &str, args: Value) -> Result<Value, String> {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        if r["isError"] == json!(true) {
            Err(r["content"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string())
        } else {
            Ok(r["structuredContent"].clone())
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_servers_racing_for_the_lock_exactly_one_wins() {
    for _ in 0..5 {
        let f = Fixture::new();
        let mut a = Server::spawn(&f);
        let mut b = Server::spawn(&f);
        let ta = std::thread::spawn(move || (a.call("start_dream", json!({})), a));
        let tb = std::thread::spawn(move || (b.call("start_dream", json!({})), b));
        let (ra, _a) = ta.join().unwrap();
        let (rb, _b) = tb.join().unwrap();
        assert!(
            ra.is_ok() != rb.is_ok(),
            "exactly one wins: {ra:?} / {rb:?}"
        );
        let loser = ra.err().or(rb.err()).unwrap();
        assert!(
            loser.contains("held by process") || loser.contains("lost the race"),
            "{loser}"
        );
    }
}

#[test]
fn gate_needs_five_sessions() {
    let f = Fixture::new();
    let now = SystemTime::now();
    write_lock(&f.mem, dead_pid(), Duration::from_secs(48 * 3600));
    for n in 0..4 {
        f.session(&uuid(n), Duration::from_secs(3600));
    }
    // Not sessions: subagent transcripts, non-UUID names, sessions older than the last consolidation.
    f.session("agent-a1b2c3", Duration::from_secs(60));
    f.session("notes", Duration::from_secs(60));
    f.session(&uuid(99), Duration::from_secs(72 * 3600));
    let gate = |cur: Option<&str>| {
        sessions::evaluate(&f.mem, &f.transcripts, GateConfig::default(), cur, now)
    };
    assert_eq!(gate(None).sessions_since.len(), 4);
    assert!(!gate(None).open, "4 sessions: closed");
    f.session(&uuid(5), Duration::from_secs(60));
    assert!(gate(None).open, "5 sessions: open");
    assert!(
        !gate(Some(&uuid(5))).open,
        "the current session does not count"
    );
}

#[test]
fn gate_needs_24_hours() {
    let f = Fixture::new();
    for n in 0..6 {
        f.session(&uuid(n), Duration::from_secs(60));
    }
    let gate = || {
        sessions::evaluate(
            &f.mem,
            &f.transcripts,
            GateConfig::default(),
            None,
            SystemTime::now(),
        )
    };
    write_lock(&f.mem, dead_pid(), Duration::from_secs(23 * 3600));
    // The sessions must be newer than the lock to count.
    for n in 0..6 {
        f.session(&uuid(n), Duration::from_secs(60));
    }
    assert_eq!(gate().sessions_since.len(), 6);
    assert!(!gate().open, "23 h: closed");
    write_lock(&f.mem, dead_pid(), Duration::from_secs(24 * 3600 + 5));
    assert!(gate().open, "24 h: open");
}

#[test]
fn status_hook_prints_only_when_the_gate_is_open_and_always_exits_zero() {
    let f = Fixture::new();
    let run = || {
        Command::new(BIN)
            .args(["status", "--hook"])
            .env("HOME", &f.mem)
            .env("CLAUDE_CONFIG_DIR", f.mem.join("no-config"))
            .env("DREAM_MEMORY_DIR", &f.mem)
            .env("DREAM_TRANSCRIPTS_DIR", &f.transcripts)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let closed = run();
    assert!(closed.status.success());
    assert!(closed.stdout.is_empty(), "silent when closed");
    for n in 0..5 {
        f.session(&uuid(n), Duration::from_secs(60));
    }
    let open = run();
    assert!(open.status.success());
    let v: Value = serde_json::from_slice(&open.stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "SessionStart");
    assert!(
        v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .unwrap()
            .contains("/dream")
    );
    fs::remove_dir_all(&f.mem).unwrap();
    let missing = run();
    assert!(
        missing.status.success() && missing.stdout.is_empty(),
        "never fails a session"
    );
}

#[derive(Debug, Clone)]
enum Op {
    Write(usize, String),
    Delete(usize),
    Index(Vec<usize>),
}

const NAMES: [&str; 4] = ["a.md", "b.md", "team/c.md", "d.md"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NAMES.len(), "[a-z \n]{0,40}").prop_map(|(i, s)| Op::Write(i, s)),
        (0..NAMES.len()).prop_map(Op::Delete),
        proptest::collection::vec(0..NAMES.len(), 0..4).prop_map(Op::Index),
    ]
}

fn apply(d: &Dreamer, op: &Op) {
    // Refusals (deleting a missing file, an index linking a missing file) are part of the sequence.
    let _ = d.change("op", |dir, rec| match op {
        Op::Write(i, body) => edit::write_file(
            dir,
            rec,
            NAMES[*i],
            &format!("---\nname: n\n---\n{body}"),
            None,
        )
        .map(|_| ()),
        Op::Delete(i) => edit::delete_file(dir, rec, NAMES[*i], None).map(|_| ()),
        Op::Index(links) => {
            let text: String = links
                .iter()
                .map(|i| format!("- [N](<{}>)\n", NAMES[*i]))
                .collect();
            edit::rewrite_index(dir, rec, &text, None).map(|_| ())
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn undo_restores_the_tree_and_undo_of_undo_restores_the_after_state(ops in proptest::collection::vec(op(), 1..12)) {
        let f = Fixture::new();
        let d = f.dreamer();
        let before = f.tree();
        d.start(GateConfig::default()).unwrap();
        for o in &ops {
            apply(&d, o);
        }
        let report = d.finish("random changes").unwrap();
        let after = f.tree();
        let undo = d.undo(Some(&report.run_id), false).unwrap();
        prop_assert_eq!(f.tree(), before);
        d.undo(Some(&undo.run_id), false).unwrap();
        prop_assert_eq!(f.tree(), after);
    }
}

/// A whole dream that writes one file.
fn dream_writing(d: &Dreamer, path: &str, content: &str) -> dream_mcp::dream::RunReport {
    d.start(GateConfig::default()).unwrap();
    d.change("w", |dir, rec| {
        edit::write_file(dir, rec, path, content, None)
    })
    .unwrap();
    d.finish(&format!("wrote {path}")).unwrap()
}

#[test]
fn undo_refuses_when_a_file_changed_since_unless_forced() {
    let f = Fixture::new();
    let d = f.dreamer();
    let before = f.tree();
    let report = dream_writing(&d, "a.md", "---\nname: a\n---\nB\n");
    assert_eq!(report.changed.len(), 1);
    assert!(report.diff.contains("-A\n+B\n"), "{}", report.diff);
    fs::write(f.mem.join("a.md"), "edited by hand\n").unwrap();
    let err = d.undo(Some(&report.run_id), false).unwrap_err().to_string();
    assert!(err.contains("a.md") && err.contains("--force"), "{err}");
    assert_eq!(
        fs::read_to_string(f.mem.join("a.md")).unwrap(),
        "edited by hand\n"
    );
    let forced = d.undo(Some(&report.run_id), true).unwrap();
    assert_eq!(f.tree(), before);
    // The hand edit that --force overwrote is itself journaled.
    d.undo(Some(&forced.run_id), false).unwrap();
    assert_eq!(
        fs::read_to_string(f.mem.join("a.md")).unwrap(),
        "edited by hand\n"
    );
}

#[test]
fn abort_restores_every_touched_file() {
    let f = Fixture::new();
    let d = f.dreamer();
    let before = f.tree();
    d.start(GateConfig::default()).unwrap();
    d.change("w", |dir, rec| {
        edit::write_file(dir, rec, "new.md", "x\n", None)
    })
    .unwrap();
    d.change("d", |dir, rec| edit::delete_file(dir, rec, "a.md", None))
        .unwrap();
    d.change("i", |dir, rec| {
        edit::rewrite_index(dir, rec, "- [New](new.md)\n", None)
    })
    .unwrap();
    let report = d.abort("changed my mind").unwrap();
    assert_eq!(f.tree(), before);
    assert!(report.summary.contains("changed my mind"));
}

#[test]
fn changes_outside_a_dream_are_journaled_each_as_its_own_run() {
    let f = Fixture::new();
    let d = f.dreamer();
    d.change("w", |dir, rec| {
        edit::write_file(dir, rec, "a.md", "changed\n", None)
    })
    .unwrap();
    let refused = d.change("d", |dir, rec| {
        edit::delete_file(dir, rec, "missing.md", None)
    });
    assert!(refused.is_err());
    let runs = d.journal().runs().unwrap();
    assert_eq!(runs.len(), 1, "a refusal leaves no run");
    let leaked = fs::read_dir(&f.mem)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains(&runs[0].id));
    assert!(!leaked, "the journal lives outside the memory directory");
    assert!(
        f.journal
            .join("runs")
            .join(&runs[0].id)
            .join("run.json")
            .is_file()
    );
    d.undo(None, false).unwrap();
    assert!(
        fs::read_to_string(f.mem.join("a.md"))
            .unwrap()
            .ends_with("A\n")
    );
}

#[test]
fn a_server_killed_mid_run_leaves_an_interrupted_run_that_undo_reverts() {
    let f = Fixture::new();
    let before = f.tree();
    let mut s = Server::spawn(&f);
    s.call("start_dream", json!({})).unwrap();
    s.call(
        "write_memory_file",
        json!({"path": "b.md", "content": "new\n"}),
    )
    .unwrap();
    s.call("delete_memory_file", json!({"path": "a.md"}))
        .unwrap();
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    assert_ne!(f.tree(), before);

    let d = f.dreamer();
    let start = d.start(GateConfig::default()).unwrap();
    assert_eq!(start.interrupted_runs.len(), 1, "{start:?}");
    assert_eq!(start.interrupted_runs[0].files_touched, 2);
    d.abort("only checking").unwrap();
    let id = start.interrupted_runs[0].id.clone();
    d.undo(Some(&id), false).unwrap();
    assert_eq!(f.tree(), before);
}

/// Regression: `since_last_dream` found nothing during a dream, because `start_dream` had just set the
/// lock's mtime (the "last consolidation") to now.
#[test]
fn last_consolidation_during_a_dream_is_the_one_before_it() {
    let f = Fixture::new();
    write_lock(&f.mem, dead_pid(), Duration::from_secs(48 * 3600));
    let before = mtime(&lock::lock_path(&f.mem));
    let d = f.dreamer();
    assert_eq!(d.last_consolidation(), Some(before));
    d.start(GateConfig::default()).unwrap();
    assert!(
        mtime(&lock::lock_path(&f.mem)) > before,
        "the lock marks the dream"
    );
    assert_eq!(d.last_consolidation(), Some(before));
    d.finish("done").unwrap();
    assert!(d.last_consolidation() > Some(before));
}

#[test]
fn the_full_undo_command_works_from_any_folder() {
    let f = Fixture::new();
    let d = f.dreamer();
    let before = f.tree();
    let report = dream_writing(&d, "b.md", "new\n");
    assert!(report.undo_command_full.contains(&report.run_id));
    // The test binary is not dream-mcp: run the real binary with the command's arguments.
    let args: Vec<&str> = report
        .undo_command_full
        .split_whitespace()
        .skip(1)
        .collect();
    let out = Command::new(BIN)
        .args(&args)
        .current_dir("/")
        .env("HOME", f.mem.join("elsewhere"))
        .env_remove("DREAM_MEMORY_DIR")
        .env_remove("DREAM_JOURNAL_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f.tree(), before);
}
