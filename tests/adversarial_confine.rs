//! Confinement against a hostile local world: a folder swapped for a symlink mid-operation, a tampered
//! journal, a journal that vanishes or fills up, and lock files laid as traps. Every test asserts that
//! nothing outside the memory directory is read, written, created or deleted, and that the refusal is
//! clear.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use dream_mcp::lock::{self, Lock};
use dream_mcp::{Dreamer, GateConfig, LocationOptions, Locations, MemoryDir, Settings, edit};

/// Content of every file outside the memory directory; must never show up inside or in an answer.
const OUTSIDE: &str = "OUTSIDE-SECRET-CONTENT\n";

struct World {
    _tmp: tempfile::TempDir,
    mem: PathBuf,
    journal: PathBuf,
    transcripts: PathBuf,
    outside: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let w = World {
            mem: root.join("mem"),
            journal: root.join("journal"),
            transcripts: root.join("tr"),
            outside: root.join("outside"),
            _tmp: tmp,
        };
        for d in [&w.mem, &w.transcripts, &w.outside, &w.mem.join("team")] {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(
            w.mem.join("a.md"),
            "---\nname: a\ndescription: a\ntype: user\n---\nA\n",
        )
        .unwrap();
        fs::write(w.mem.join("team/t.md"), "team note\n").unwrap();
        fs::write(w.mem.join("MEMORY.md"), "- [A](a.md) — a\n").unwrap();
        for name in ["t.md", "x.md", "victim.md"] {
            fs::write(w.outside.join(name), OUTSIDE).unwrap();
        }
        w
    }

    fn locations(&self) -> Locations {
        LocationOptions {
            memory_dir: Some(self.mem.clone()),
            transcripts_dir: Some(self.transcripts.clone()),
            journal_dir: Some(self.journal.clone()),
            project_dir: Some(self.mem.clone()),
            home: Some(self.mem.clone()),
            config_dir: Some(self.mem.join("no-config")),
            ..LocationOptions::default()
        }
        .resolve()
    }

    fn dreamer(&self) -> Dreamer {
        Dreamer::new(self.locations())
    }

    fn dreamer_keeping(&self, keep: usize) -> Dreamer {
        let settings = Settings {
            keep_runs: keep,
            ..Settings::default()
        };
        Dreamer::with_settings(self.locations(), settings)
    }

    /// Every file under the outside folder with its content, to compare before and after.
    fn outside_state(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Every byte stored in the journal, to check no outside content got in.
    fn journal_bytes(&self) -> Vec<u8> {
        fn walk(p: &Path, out: &mut Vec<u8>) {
            let Ok(entries) = fs::read_dir(p) else { return };
            for e in entries.flatten() {
                let ft = e.file_type().unwrap();
                if ft.is_dir() {
                    walk(&e.path(), out);
                } else if ft.is_file() {
                    out.extend(fs::read(e.path()).unwrap());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.journal, &mut out);
        out
    }

    fn run_dirs(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(self.journal.join("runs")) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    }
}

fn write(d: &Dreamer, path: &str, content: &str) -> dream_mcp::Result<()> {
    d.change(&format!("write {path}"), |dir, run| {
        edit::write_file(dir, run, path, content, None).map(|_| ())
    })
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A swapper thread exchanges `<memory>/team` with a symlink to an outside folder as fast as it can
/// (`renameat2(RENAME_EXCHANGE)`), while reads, writes, deletes and undos go on. Nothing outside is
/// ever read, written, created or deleted, and the journal never holds outside content.
#[test]
fn team_swapped_for_a_symlink_mid_operation_never_reaches_outside() {
    let w = World::new();
    symlink(&w.outside, w.mem.join("evil")).unwrap();
    let before = w.outside_state();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (stop, swaps, mem) = (stop.clone(), swaps.clone(), w.mem.clone());
        std::thread::spawn(move || {
            let dir = fs::File::open(&mem).unwrap();
            while !stop.load(Ordering::Relaxed) {
                rustix::fs::renameat_with(
                    &dir,
                    "team",
                    &dir,
                    "evil",
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .unwrap();
                let n = swaps.fetch_add(1, Ordering::Relaxed);
                // The real folder stays a few milliseconds, the symlink up to 0.7 ms: operations land
                // in both states and across swaps.
                let pause = if n % 2 == 1 { 3_000 } else { 100 * (n % 8) };
                std::thread::sleep(Duration::from_micros(pause));
            }
        })
    };
    let d = w.dreamer();
    let deadline = Instant::now() + Duration::from_secs(8);
    let (mut iterations, mut ok_ops) = (0u64, 0u64);
    while iterations < 3_000 && Instant::now() < deadline {
        iterations += 1;
        let dir = MemoryDir::open(&w.mem).unwrap();
        if let Ok(p) = dir.resolve("team/t.md", dream_mcp::Access::Read)
            && let Ok(bytes) = dir.read(&p)
        {
            assert!(!contains(&bytes, OUTSIDE), "read outside content");
            ok_ops += 1;
        }
        ok_ops += u64::from(write(&d, "team/x.md", &format!("inside {iterations}\n")).is_ok());
        ok_ops += u64::from(write(&d, "team/victim.md", "overwrite\n").is_ok());
        let deleted = d.change("delete", |dir, run| {
            edit::delete_file(dir, run, "team/victim.md", None).map(|_| ())
        });
        ok_ops += u64::from(deleted.is_ok());
        if iterations % 50 == 0 {
            ok_ops += u64::from(d.undo(None, true).is_ok());
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    let swaps = swaps.load(Ordering::Relaxed);
    eprintln!(
        "race: {iterations} iterations, {ok_ops} operations succeeded, {swaps} swaps survived"
    );
    assert!(swaps > 100 && iterations > 100, "the race did not run");
    assert!(
        ok_ops > 100,
        "too few operations went through to test the race"
    );
    assert_eq!(w.outside_state(), before, "a file outside was touched");
    assert!(
        !contains(&w.journal_bytes(), OUTSIDE),
        "the journal holds outside content"
    );
}

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

/// Makes one journaled write of `a.md` and returns its run folder.
fn one_run(w: &World, d: &Dreamer) -> PathBuf {
    write(d, "a.md", "changed\n").unwrap();
    w.run_dirs().pop().unwrap()
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
    assert!(d.finish("x").is_err(), "no dream left open");
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
    d.finish("one change").unwrap();
    assert!(fs::metadata(&lock_file).unwrap().modified().unwrap() > before);
    d.undo(None, false).unwrap();
    assert_eq!(
        fs::metadata(&lock_file).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(lock::last_consolidation(&w.mem), Some(before));
}

fn start_in_thread(w: &World) -> Result<String, String> {
    let d = w.dreamer();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = d
            .start(GateConfig::default())
            .map(|s| s.run_id)
            .map_err(|e| e.to_string());
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("start_dream hung on the lock")
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
            d.finish("done").map(|_| ())
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

/// Our own lock, taken and released, holds the two-line `pid\ntimestamp` body Claude Code writes.
#[test]
fn lock_accepts_a_two_line_body() {
    let w = World::new();
    fs::write(lock::lock_path(&w.mem), "999999999\n1764547200000\n").unwrap();
    assert_eq!(lock::read(&w.mem).unwrap().pid, Some(999_999_999));
    let l = Lock::acquire(&w.mem).unwrap();
    l.release_success().unwrap();
}

/// Mounts a `size` tmpfs at `at`; `false` (the test then skips, saying so) when this process may not.
fn mount_tmpfs(at: &Path, size: &str) -> bool {
    fs::create_dir_all(at).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "skipping: cannot mount a tmpfs at {} (needs root)",
            at.display()
        );
    }
    ok
}

struct Unmount(PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
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
    let err = d.finish("done").unwrap_err().to_string();
    faults += 1;
    assert!(err.contains("still open"), "{err}");
    fs::remove_file(&filler).unwrap();
    let report = d.finish("done after freeing space").unwrap();
    assert_eq!(report.changed.len(), 1);
    eprintln!("journal disk full: {faults} faults injected, each refused cleanly");
}

/// With the journal's disk full, abort still puts every file back.
#[test]
fn journal_disk_full_abort_restores() {
    let w = World::new();
    if !mount_tmpfs(&w.journal, "256k") {
        return;
    }
    let _unmount = Unmount(w.journal.clone());
    let d = w.dreamer();
    d.start(GateConfig::default()).unwrap();
    write(&d, "a.md", "in the dream\n").unwrap();
    let _ = fs::write(w.journal.join("filler"), vec![b'x'; 1024 * 1024]);
    assert!(d.finish("done").is_err());
    d.abort("disk full").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fs::read_to_string(w.mem.join("a.md"))
            .unwrap()
            .ends_with("A\n")
    );
}
