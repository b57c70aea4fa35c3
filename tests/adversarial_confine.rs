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
use std::time::{Duration, Instant};

use dream_mcp::lock::{self, Lock};
use dream_mcp::{Dreamer, GateConfig, LocationOptions, Locations, MemoryDir, Settings, edit};

/// Content of every file outside the memory directory; must never show up inside or in an answer.
pub(crate) const OUTSIDE: &str = "OUTSIDE-SECRET-CONTENT\n";

pub(crate) struct World {
    _tmp: tempfile::TempDir,
    pub(crate) mem: PathBuf,
    pub(crate) journal: PathBuf,
    pub(crate) transcripts: PathBuf,
    pub(crate) outside: PathBuf,
}

impl World {
    pub(crate) fn new() -> World {
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
            project_dir: Some(self.mem.with_file_name("project")),
            home: Some(self.mem.with_file_name("home")),
            config_dir: Some(self.mem.join("no-config")),
            ..LocationOptions::default()
        }
        .resolve()
    }

    pub(crate) fn dreamer(&self) -> Dreamer {
        Dreamer::new(self.locations())
    }

    pub(crate) fn dreamer_keeping(&self, keep: usize) -> Dreamer {
        let settings = Settings {
            keep_runs: keep,
            ..Settings::default()
        };
        Dreamer::with_settings(self.locations(), settings)
    }

    /// Every file under the outside folder with its content, to compare before and after.
    pub(crate) fn outside_state(&self) -> Vec<(String, Vec<u8>)> {
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
    pub(crate) fn journal_bytes(&self) -> Vec<u8> {
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

    pub(crate) fn run_dirs(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(self.journal.join("runs")) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    }
}

pub(crate) fn write(d: &Dreamer, path: &str, content: &str) -> dream_mcp::Result<()> {
    d.change(&format!("write {path}"), |dir, run| {
        edit::write_file(dir, run, path, content, None, &[]).map(|_| ())
    })
}

pub(crate) fn contains(hay: &[u8], needle: &str) -> bool {
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
            edit::delete_file(dir, run, "team/victim.md", None, &[]).map(|_| ())
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

/// Makes one journaled write of `a.md` and returns its run folder.
pub(crate) fn one_run(w: &World, d: &Dreamer) -> PathBuf {
    write(d, "a.md", "changed\n").unwrap();
    w.run_dirs().pop().unwrap()
}

pub(crate) fn start_in_thread(w: &World) -> Result<String, String> {
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
pub(crate) fn mount_tmpfs(at: &Path, size: &str) -> bool {
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

pub(crate) struct Unmount(pub(crate) PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
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
    assert!(d.finish("done", &[]).is_err());
    d.abort("disk full").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fs::read_to_string(w.mem.join("a.md"))
            .unwrap()
            .ends_with("A\n")
    );
}
