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

/// Confinement, journal and lock bugs found by trying the server as an attacker would.
#[cfg(unix)]
mod confinement {
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::time::{Duration, Instant, SystemTime};

    use dream_mcp::lock;
    use dream_mcp::{GateConfig, MemoryDir};

    use crate::adversarial_confine::{
        OUTSIDE, Unmount, World, mount_tmpfs, one_run, start_in_thread, write,
    };

    /// The temp-file sweep followed a `team` symlink and deleted a dead writer's file outside.
    #[test]
    fn r_sweep_follows_team_symlink() {
        let w = World::new();
        fs::remove_dir_all(w.mem.join("team")).unwrap();
        symlink(&w.outside, w.mem.join("team")).unwrap();
        let dead = ".x.md.dream-tmp-999999999-0";
        fs::write(w.outside.join(dead), "outside").unwrap();
        fs::write(w.mem.join(dead), "stale").unwrap();
        let removed = MemoryDir::open(&w.mem).unwrap().sweep_temp_files().unwrap();
        assert_eq!(removed, 1);
        assert!(!w.mem.join(dead).exists(), "the stale file inside is swept");
        assert!(
            w.outside.join(dead).exists(),
            "the file behind the team symlink is left alone"
        );
    }

    /// A journal entry replaced by a symlink made `diff` print, and `undo` copy into memory, the file it
    /// pointed at.
    #[test]
    fn r_journal_blob_symlink() {
        let w = World::new();
        let d = w.dreamer();
        let run = one_run(&w, &d);
        fs::remove_file(run.join("log")).unwrap();
        symlink(w.outside.join("x.md"), run.join("log")).unwrap();
        let id = run.file_name().unwrap().to_str().unwrap().to_string();
        let record = d.journal().run(Some(&id)).unwrap();
        let diff = d.journal().diff(&record, &d.memory().unwrap());
        assert!(
            matches!(&diff, Err(e) if e.to_string().contains("symlink")),
            "{diff:?}"
        );
        let undo = d.undo(Some(&id), true);
        assert!(undo.is_err(), "undo must refuse: {undo:?}");
        assert_eq!(fs::read_to_string(w.mem.join("a.md")).unwrap(), "changed\n");
    }

    /// An edited before-image (same length, other bytes) is caught by its hash, not restored.
    #[test]
    fn r_journal_record_edited() {
        let w = World::new();
        let d = w.dreamer();
        let run = one_run(&w, &d);
        let mut log = fs::read(run.join("log")).unwrap();
        let at = log.windows(2).position(|x| x == b"A\n").unwrap();
        log[at] = b'Z';
        fs::write(run.join("log"), &log).unwrap();
        let err = d.undo(None, true).unwrap_err().to_string();
        assert!(err.contains("sha256"), "{err}");
        assert_eq!(fs::read_to_string(w.mem.join("a.md")).unwrap(), "changed\n");
    }

    /// A run folder that is a symlink was followed.
    #[test]
    fn r_journal_run_folder_symlink() {
        let w = World::new();
        let d = w.dreamer();
        let run = one_run(&w, &d);
        let moved = w.outside.join("run");
        fs::rename(&run, &moved).unwrap();
        symlink(&moved, &run).unwrap();
        let id = run.file_name().unwrap().to_str().unwrap();
        assert!(
            d.journal().run(Some(id)).is_err(),
            "the symlinked run is not used"
        );
        assert!(d.undo(None, true).is_err());
        assert_eq!(fs::read_to_string(w.mem.join("a.md")).unwrap(), "changed\n");
    }

    /// When the journal disappeared mid-dream, writes were still accepted and could never be undone.
    #[test]
    fn r_journal_removed_mid_dream() {
        let w = World::new();
        let d = w.dreamer();
        d.start(GateConfig::default()).unwrap();
        write(&d, "a.md", "in the dream\n").unwrap();
        fs::remove_dir_all(&w.journal).unwrap();
        let err = write(&d, "b.md", "unrecorded\n").unwrap_err().to_string();
        assert!(err.contains("removed or replaced"), "{err}");
        assert!(
            !w.mem.join("b.md").exists(),
            "the refused write changed nothing"
        );
        // The dream can still be ended: abort puts a.md back from the images the run still holds open.
        let _ = d.abort("journal gone");
        assert!(
            fs::read_to_string(w.mem.join("a.md"))
                .unwrap()
                .ends_with("A\n"),
            "abort put a.md back"
        );
        assert!(d.finish("x", &[]).is_err(), "no dream left open");
    }

    /// A refused call pruned the oldest run and created empty journal folders.
    #[test]
    fn r_refusal_prunes_or_creates() {
        let w = World::new();
        let d = w.dreamer_keeping(2);
        assert!(write(&d, "../escape.md", "x").is_err());
        assert!(!w.journal.exists(), "a refusal created the journal folder");
        write(&d, "a.md", "one\n").unwrap();
        write(&d, "a.md", "two\n").unwrap();
        let runs = w.run_dirs();
        assert_eq!(runs.len(), 2);
        assert!(write(&d, "a.md/x.md", "x").is_err());
        assert_eq!(w.run_dirs(), runs, "a refusal pruned or added a run");
    }

    /// Run ids were wall-clock times, so a clock set back made undo pick the wrong run. A run from before
    /// (a timestamp id far in the future, as a clock set back leaves) must not outrank a newer run.
    #[test]
    fn r_clock_set_back() {
        let w = World::new();
        let d = w.dreamer();
        let first = one_run(&w, &d);
        let future = w.journal.join("runs").join("29991231T235959.000000Z-1");
        fs::rename(&first, &future).unwrap();
        let json = fs::read_to_string(future.join("run.json")).unwrap();
        let old_id = first.file_name().unwrap().to_str().unwrap();
        fs::write(
            future.join("run.json"),
            json.replace(old_id, "29991231T235959.000000Z-1"),
        )
        .unwrap();
        write(&d, "a.md", "newest\n").unwrap();
        let runs = d.journal().runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[0].id, "29991231T235959.000000Z-1",
            "the legacy id sorts first"
        );
        assert!(runs[1].seq() > 0);
        let report = d.undo(None, false).unwrap();
        assert_eq!(fs::read_to_string(w.mem.join("a.md")).unwrap(), "changed\n");
        assert!(report.summary.contains(&runs[1].id), "{}", report.summary);
    }

    /// Undoing a dream left the lock's mtime at the undo, so the gate stayed shut for a day.
    #[test]
    fn r_undo_restores_gate() {
        let w = World::new();
        let three_days = SystemTime::now() - Duration::from_secs(3 * 24 * 3600);
        let lock_file = lock::lock_path(&w.mem);
        fs::write(&lock_file, "").unwrap();
        fs::File::options()
            .write(true)
            .open(&lock_file)
            .unwrap()
            .set_modified(three_days)
            .unwrap();
        let before = fs::metadata(&lock_file).unwrap().modified().unwrap();
        let d = w.dreamer();
        d.start(GateConfig::default()).unwrap();
        write(&d, "a.md", "dreamt\n").unwrap();
        d.finish("one change", &[]).unwrap();
        assert!(fs::metadata(&lock_file).unwrap().modified().unwrap() > before);
        d.undo(None, false).unwrap();
        assert_eq!(
            fs::metadata(&lock_file).unwrap().modified().unwrap(),
            before
        );
        assert_eq!(lock::last_consolidation(&w.mem), Some(before));
    }

    /// A FIFO at `.consolidate-lock` hung `start_dream` forever.
    #[test]
    fn r_lock_fifo() {
        let w = World::new();
        let c = std::ffi::CString::new(lock::lock_path(&w.mem).to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = start_in_thread(&w).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        assert_eq!(lock::last_consolidation(&w.mem), None);
    }

    /// A hard-linked lock file was truncated and got our PID written into the outside file.
    #[test]
    fn r_lock_hard_link() {
        let w = World::new();
        fs::hard_link(w.outside.join("victim.md"), lock::lock_path(&w.mem)).unwrap();
        let err = start_in_thread(&w).unwrap_err();
        assert!(err.contains("hard links"), "{err}");
        assert_eq!(
            fs::read_to_string(w.outside.join("victim.md")).unwrap(),
            OUTSIDE
        );
    }

    /// A 2 GB lock was read whole by the hook, `start_dream` and every grep.
    #[test]
    fn r_lock_huge() {
        let w = World::new();
        fs::File::create(lock::lock_path(&w.mem))
            .unwrap()
            .set_len(2 << 30)
            .unwrap();
        let t = Instant::now();
        let err = start_in_thread(&w).unwrap_err();
        assert!(err.contains("bytes"), "{err}");
        assert_eq!(lock::read(&w.mem), None);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }

    /// `finish_dream` and `abort_dream` emptied or deleted a lock another live process took meanwhile.
    #[test]
    fn r_lock_taken_mid_dream() {
        for finish in [true, false] {
            let w = World::new();
            let d = w.dreamer();
            d.start(GateConfig::default()).unwrap();
            let mut other = std::process::Command::new("sleep")
                .arg("30")
                .spawn()
                .unwrap();
            let body = format!("{}\n", other.id());
            let tmp = w.mem.join(".lock-tmp");
            fs::write(&tmp, &body).unwrap();
            fs::rename(&tmp, lock::lock_path(&w.mem)).unwrap();
            let err = write(&d, "a.md", "x\n").unwrap_err().to_string();
            assert!(
                err.contains("another process took the consolidation lock"),
                "{err}"
            );
            let _ = if finish {
                d.finish("done", &[]).map(|_| ())
            } else {
                d.abort("stop").map(|_| ())
            };
            assert_eq!(
                fs::read_to_string(lock::lock_path(&w.mem)).unwrap(),
                body,
                "the other process's lock was clobbered (finish: {finish})"
            );
            other.kill().unwrap();
            other.wait().unwrap();
        }
    }

    /// When the journal's disk filled during `finish_dream`, the dream was stranded: abort and finish both
    /// said no dream was open. Now a full journal refuses the change, keeps the dream open, and both
    /// finish (after space is freed) and abort work.
    #[test]
    fn r_journal_disk_full() {
        let w = World::new();
        if !mount_tmpfs(&w.journal, "512k") {
            return;
        }
        let _unmount = Unmount(w.journal.clone());
        let d = w.dreamer();
        let mut faults = 0;
        d.start(GateConfig::default()).unwrap();
        write(&d, "a.md", "in the dream\n").unwrap();
        let filler = w.journal.join("filler");
        let _ = fs::write(&filler, vec![b'x'; 1024 * 1024]);
        // A new file's before-image cannot be recorded: the change is refused and nothing changes.
        let big = "y".repeat(200 * 1024);
        fs::write(w.mem.join("big.md"), &big).unwrap();
        let err = write(&d, "big.md", "small\n").unwrap_err().to_string();
        faults += 1;
        assert!(err.contains("could not be recorded"), "{err}");
        assert_eq!(fs::read_to_string(w.mem.join("big.md")).unwrap(), big);
        // The close cannot be written either: the dream stays open.
        let err = d.finish("done", &[]).unwrap_err().to_string();
        faults += 1;
        assert!(err.contains("still open"), "{err}");
        fs::remove_file(&filler).unwrap();
        let report = d.finish("done after freeing space", &[]).unwrap();
        assert_eq!(report.changed.len(), 1);
        eprintln!("journal disk full: {faults} faults injected, each refused cleanly");
    }
}
