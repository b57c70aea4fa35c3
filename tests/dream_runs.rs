//! Dream runs: Claude Code's lock, the automatic gate, the journal, undo, and crash recovery.

use std::fs;
use std::process::Command;
use std::time::{Duration, SystemTime};

use dream_mcp::lock::{self, Lock, LockError};
use dream_mcp::{Dreamer, GateConfig, RunReport, edit, gate};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::util::{Env, age, dead_pid, memory_files, mtime, write_lock};

/// The world these tests start from: one topic file, an index linking it, an empty transcripts folder.
fn fixture() -> Env {
    let env = Env::new();
    env.put("a.md", "---\nname: a\ndescription: a\ntype: user\n---\nA\n");
    env.put("MEMORY.md", "- [A](a.md) — a\n");
    fs::create_dir_all(&env.transcripts).unwrap();
    env
}

/// Writes session `id`'s transcript, last modified `age` ago.
fn session(env: &Env, id: &str, age_of_session: Duration) {
    let path = env.transcript(
        &format!("{id}.jsonl"),
        b"{\"type\":\"user\",\"timestamp\":\"2026-11-20T10:00:00.000Z\"}\n",
    );
    age(&path, age_of_session);
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-1111-2222-3333-444444444444")
}

#[test]
fn lock_held_by_a_live_process_with_a_fresh_mtime_is_refused() {
    let f = fixture();
    let mut holder = Command::new("sleep").arg("30").spawn().unwrap();
    write_lock(&f.memory, holder.id(), Duration::from_secs(60));
    let err = Lock::acquire(&f.memory).unwrap_err();
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
        fs::read_to_string(lock::lock_path(&f.memory)).unwrap(),
        holder.id().to_string()
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn lock_with_a_dead_pid_is_taken_over() {
    let f = fixture();
    write_lock(&f.memory, dead_pid(), Duration::from_secs(60));
    let lock = Lock::acquire(&f.memory).unwrap();
    assert_eq!(
        lock::read(&f.memory).unwrap().pid,
        Some(std::process::id()),
        "our PID is written"
    );
    lock.release_success().unwrap();
}

#[test]
fn lock_older_than_an_hour_is_taken_over_even_with_a_live_pid() {
    let f = fixture();
    let mut holder = Command::new("sleep").arg("30").spawn().unwrap();
    write_lock(&f.memory, holder.id(), Duration::from_secs(3601));
    assert!(Lock::acquire(&f.memory).is_ok());
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn failed_run_restores_the_earlier_mtime_and_success_marks_now() {
    let f = fixture();
    let earlier = Duration::from_secs(3 * 24 * 3600);
    write_lock(&f.memory, dead_pid(), earlier);
    let before = mtime(&lock::lock_path(&f.memory));
    let d = f.dreamer();
    d.start(GateConfig::default()).unwrap();
    assert!(mtime(&lock::lock_path(&f.memory)) > before);
    d.abort("testing rollback").unwrap();
    assert_eq!(mtime(&lock::lock_path(&f.memory)), before);

    d.start(GateConfig::default()).unwrap();
    d.finish("nothing to do", &[]).unwrap();
    let age = SystemTime::now()
        .duration_since(mtime(&lock::lock_path(&f.memory)))
        .unwrap();
    assert!(age < Duration::from_secs(60), "success leaves mtime = now");
}

#[test]
fn failed_run_without_an_earlier_lock_removes_it() {
    let f = fixture();
    let d = f.dreamer();
    d.start(GateConfig::default()).unwrap();
    assert!(lock::lock_path(&f.memory).exists());
    d.abort("no").unwrap();
    assert!(!lock::lock_path(&f.memory).exists());
}

#[test]
fn two_servers_racing_for_the_lock_exactly_one_wins() {
    for _ in 0..5 {
        let f = fixture();
        let mut a = f.server();
        let mut b = f.server();
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
    let f = fixture();
    let now = SystemTime::now();
    write_lock(&f.memory, dead_pid(), Duration::from_secs(48 * 3600));
    for n in 0..4 {
        session(&f, &uuid(n), Duration::from_secs(3600));
    }
    // Not sessions: subagent transcripts, non-UUID names, sessions older than the last consolidation.
    session(&f, "agent-a1b2c3", Duration::from_secs(60));
    session(&f, "notes", Duration::from_secs(60));
    session(&f, &uuid(99), Duration::from_secs(72 * 3600));
    let gate = |cur: Option<&str>| {
        gate::evaluate(
            &f.memory,
            std::slice::from_ref(&f.transcripts),
            GateConfig::default(),
            cur,
            now,
        )
    };
    assert_eq!(gate(None).sessions, 4);
    assert!(!gate(None).open, "4 sessions: closed");
    session(&f, &uuid(5), Duration::from_secs(60));
    assert!(gate(None).open, "5 sessions: open");
    assert!(
        !gate(Some(&uuid(5))).open,
        "the current session does not count"
    );
}

#[test]
fn gate_needs_24_hours() {
    let f = fixture();
    for n in 0..6 {
        session(&f, &uuid(n), Duration::from_secs(60));
    }
    let gate = || {
        gate::evaluate(
            &f.memory,
            std::slice::from_ref(&f.transcripts),
            GateConfig::default(),
            None,
            SystemTime::now(),
        )
    };
    write_lock(&f.memory, dead_pid(), Duration::from_secs(23 * 3600));
    // The sessions must be newer than the lock to count.
    for n in 0..6 {
        session(&f, &uuid(n), Duration::from_secs(60));
    }
    assert_eq!(gate().sessions, 6);
    assert!(!gate().open, "23 h: closed");
    write_lock(&f.memory, dead_pid(), Duration::from_secs(24 * 3600 + 5));
    assert!(gate().open, "24 h: open");
}

#[test]
fn status_hook_prints_only_when_the_gate_is_open_and_always_exits_zero() {
    let f = fixture();
    let run = || f.cli(&["status", "--hook"]);
    let closed = run();
    assert!(closed.status.success());
    assert!(closed.stdout.is_empty(), "silent when closed");
    for n in 0..5 {
        session(&f, &uuid(n), Duration::from_secs(60));
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
    fs::remove_dir_all(&f.memory).unwrap();
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
            &[],
        )
        .map(|_| ()),
        Op::Delete(i) => edit::delete_file(dir, rec, NAMES[*i], None, &[]).map(|_| ()),
        Op::Index(links) => {
            let text: String = links
                .iter()
                .map(|i| format!("- [N](<{}>)\n", NAMES[*i]))
                .collect();
            edit::rewrite_index(dir, rec, &text, None, &[]).map(|_| ())
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn undo_restores_the_tree_and_undo_of_undo_restores_the_after_state(ops in proptest::collection::vec(op(), 1..12)) {
        let f = fixture();
        let d = f.dreamer();
        let before = memory_files(&f.memory);
        d.start(GateConfig::default()).unwrap();
        for o in &ops {
            apply(&d, o);
        }
        let report = d.finish("random changes", &[]).unwrap();
        let after = memory_files(&f.memory);
        let undo = d.undo(Some(&report.run_id), false).unwrap();
        prop_assert_eq!(memory_files(&f.memory), before);
        d.undo(Some(&undo.run_id), false).unwrap();
        prop_assert_eq!(memory_files(&f.memory), after);
    }
}

/// A whole dream that writes one file.
fn dream_writing(d: &Dreamer, path: &str, content: &str) -> RunReport {
    d.start(GateConfig::default()).unwrap();
    d.change("w", |dir, rec| {
        edit::write_file(dir, rec, path, content, None, &[])
    })
    .unwrap();
    d.finish(&format!("wrote {path}"), &[]).unwrap()
}

#[test]
fn undo_refuses_when_a_file_changed_since_unless_forced() {
    let f = fixture();
    let d = f.dreamer();
    let before = memory_files(&f.memory);
    let report = dream_writing(&d, "a.md", "---\nname: a\n---\nB\n");
    assert_eq!(report.changed.len(), 1);
    assert!(report.diff.contains("-A\n+B\n"), "{}", report.diff);
    fs::write(f.memory.join("a.md"), "edited by hand\n").unwrap();
    let err = d.undo(Some(&report.run_id), false).unwrap_err().to_string();
    assert!(err.contains("a.md") && err.contains("--force"), "{err}");
    assert_eq!(
        fs::read_to_string(f.memory.join("a.md")).unwrap(),
        "edited by hand\n"
    );
    let forced = d.undo(Some(&report.run_id), true).unwrap();
    assert_eq!(memory_files(&f.memory), before);
    // The hand edit that --force overwrote is itself journaled.
    d.undo(Some(&forced.run_id), false).unwrap();
    assert_eq!(
        fs::read_to_string(f.memory.join("a.md")).unwrap(),
        "edited by hand\n"
    );
}

#[test]
fn abort_restores_every_touched_file() {
    let f = fixture();
    let d = f.dreamer();
    let before = memory_files(&f.memory);
    d.start(GateConfig::default()).unwrap();
    d.change("w", |dir, rec| {
        edit::write_file(dir, rec, "new.md", "x\n", None, &[])
    })
    .unwrap();
    d.change("d", |dir, rec| {
        edit::delete_file(dir, rec, "a.md", None, &[])
    })
    .unwrap();
    d.change("i", |dir, rec| {
        edit::rewrite_index(dir, rec, "- [New](new.md)\n", None, &[])
    })
    .unwrap();
    let report = d.abort("changed my mind").unwrap();
    assert_eq!(memory_files(&f.memory), before);
    assert!(report.summary.contains("changed my mind"));
}

#[test]
fn changes_outside_a_dream_are_journaled_each_as_its_own_run() {
    let f = fixture();
    let d = f.dreamer();
    d.change("w", |dir, rec| {
        edit::write_file(dir, rec, "a.md", "changed\n", None, &[])
    })
    .unwrap();
    let refused = d.change("d", |dir, rec| {
        edit::delete_file(dir, rec, "missing.md", None, &[])
    });
    assert!(refused.is_err());
    let runs = d.journal().runs().unwrap();
    assert_eq!(runs.len(), 1, "a refusal leaves no run");
    let leaked = fs::read_dir(&f.memory)
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
        fs::read_to_string(f.memory.join("a.md"))
            .unwrap()
            .ends_with("A\n")
    );
}

#[test]
fn a_server_killed_mid_run_leaves_an_interrupted_run_that_undo_reverts() {
    let f = fixture();
    let before = memory_files(&f.memory);
    let mut s = f.server();
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
    assert_ne!(memory_files(&f.memory), before);

    let d = f.dreamer();
    let start = d.start(GateConfig::default()).unwrap();
    assert_eq!(start.interrupted_runs.len(), 1, "{start:?}");
    assert_eq!(start.interrupted_runs[0].files_touched, 2);
    d.abort("only checking").unwrap();
    let id = start.interrupted_runs[0].id.clone();
    d.undo(Some(&id), false).unwrap();
    assert_eq!(memory_files(&f.memory), before);
}

#[test]
fn the_full_undo_command_works_from_any_folder() {
    let f = fixture();
    let d = f.dreamer();
    let before = memory_files(&f.memory);
    let report = dream_writing(&d, "b.md", "new\n");
    assert!(report.undo_command_full.contains(&report.run_id));
    // The test binary is not dream-mcp: run the real binary with the command's arguments.
    let args: Vec<&str> = report
        .undo_command_full
        .split_whitespace()
        .skip(1)
        .collect();
    let out = f
        .command()
        .args(&args)
        .current_dir("/")
        .env("HOME", f.memory.join("elsewhere"))
        .env_remove("CLAUDE_CONFIG_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(memory_files(&f.memory), before);
}

#[test]
fn gate_counts_every_session_and_names_only_the_newest() {
    let f = fixture();
    let extra = gate::MAX_LISTED_SESSIONS + 15;
    for n in 0..extra as u32 {
        // Older first: session n is (extra - n) minutes old.
        session(
            &f,
            &uuid(n),
            Duration::from_secs(60 * (extra as u64 - n as u64)),
        );
    }
    let g = gate::evaluate(
        &f.memory,
        std::slice::from_ref(&f.transcripts),
        GateConfig::default(),
        None,
        SystemTime::now(),
    );
    assert_eq!(g.sessions, extra);
    let named: Vec<&str> = g.sessions_since.iter().map(|s| s.id.as_str()).collect();
    let newest: Vec<String> = (15..extra as u32).map(uuid).collect();
    assert_eq!(named, newest, "the newest sessions, oldest first");
    assert!(g.open);
}

#[test]
fn a_run_report_names_the_first_files_and_counts_them_all() {
    let f = fixture();
    let d = f.dreamer();
    let n = dream_mcp::MAX_NAMED_FILES + 5;
    d.start(GateConfig::default()).unwrap();
    for i in 0..n {
        let path = format!("note-{i:03}.md");
        d.change("w", |dir, rec| {
            edit::write_file(dir, rec, &path, "---\nname: n\n---\nN\n", None, &[])
        })
        .unwrap();
    }
    let report = d.finish("many notes", &[]).unwrap();
    assert_eq!(report.counts.created, n);
    assert_eq!(report.created.len(), dream_mcp::MAX_NAMED_FILES);
    assert_eq!(report.created[0].path, "note-000.md");
    // Undo takes back every file, named or not, and says how many.
    let undone = d.undo(Some(&report.run_id), false).unwrap();
    assert_eq!(undone.counts.deleted, n, "{undone:?}");
    assert_eq!(undone.deleted.len(), dream_mcp::MAX_NAMED_FILES);
    assert!(
        memory_files(&f.memory)
            .iter()
            .all(|(p, _)| !p.starts_with("note-"))
    );
}
