//! The safety net under every other writer: Claude Code's own dream, auto-memory and hand edits change
//! the memory directory with no journal. The journal keeps the last state of the directory it knows (a
//! baseline: each file's hash, size and modification time, and its bytes in a content-addressed store);
//! [`observe`] compares the directory with it and records any difference as a run of kind `external`,
//! so `dream-mcp undo` can bring back what another writer deleted, and its retention audit shows what
//! specifics it lost. [`absorb`] moves the baseline forward after each of this program's own runs.
//!
//! Layout under the journal: `baseline.json` and `objects/<sha256>`. An unchanged file costs a `stat`:
//! it is read only when its size or modification time moved, and stored once whatever its name.
//! [`observe`] is bounded by a [`Budget`] (time, files, bytes), and gives up quietly past it, leaving
//! the baseline as it was, so a huge or unreadable directory never delays a session start.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::change::journal::{self, Journal, RunKind, RunRecord, Store};
use crate::change::retention;
use crate::claude_code::lock;
use crate::error::{Error, Result};
use crate::memory::digest::sha256_hex;
use crate::memory::dir::{MAX_FILE_BYTES, MemoryDir, MemoryPath};

/// The baseline's file name inside the journal.
const BASELINE: &str = "baseline.json";
/// The content-addressed store's folder inside the journal.
const OBJECTS: &str = "objects";

/// One file as the journal last knew it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    sha256: String,
    len: u64,
    mtime_ns: i128,
}

/// The last state of the memory directory the journal knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Baseline {
    files: BTreeMap<String, Entry>,
    lock_mtime_ns: Option<i128>,
}

/// How much [`observe`] may spend before giving up.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Wall-clock time for the whole observation.
    pub time: Duration,
    /// Most files the directory may hold.
    pub files: usize,
    /// Most bytes read (changed files only).
    pub bytes: u64,
}

impl Default for Budget {
    /// 500 ms, 5,000 files, 64 MB: far above a real memory directory, far below a session's patience.
    fn default() -> Budget {
        Budget {
            time: Duration::from_millis(500),
            files: 5_000,
            bytes: 64 << 20,
        }
    }
}

/// What [`observe`] found.
#[derive(Debug)]
pub enum Observation {
    /// No baseline existed: this state is now the baseline, and nothing was recorded.
    FirstLook,
    /// The directory is as the journal knew it.
    Unchanged,
    /// Another writer changed it; the change is this `external` run.
    Recorded(Box<RunRecord>),
    /// Nothing was compared, and why (a dream is open, another process holds the directory, the
    /// budget ran out, the directory cannot be read).
    Skipped(String),
}

fn nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Largest baseline read, in bytes: a line per file, far below this for any memory the budget admits.
const MAX_BASELINE_BYTES: u64 = 64 << 20;

/// The baseline, or `None` when there is none or it is not one this program wrote (then the next
/// observation starts afresh rather than trusting it).
fn load(journal: &Journal) -> Option<Baseline> {
    let bytes = journal
        .store(None)
        .ok()??
        .read(BASELINE, MAX_BASELINE_BYTES)
        .ok()??;
    let baseline: Baseline = serde_json::from_slice(&bytes).ok()?;
    let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    baseline
        .files
        .values()
        .all(|e| hex(&e.sha256))
        .then_some(baseline)
}

fn save(journal: &Journal, baseline: &Baseline) -> Result<()> {
    let bytes = serde_json::to_vec(baseline)
        .map_err(|e| Error::io(journal.root().join(BASELINE), std::io::Error::other(e)))?;
    journal.store_created(None)?.write(BASELINE, &bytes, true)
}

/// Stores `bytes` under their hash (once: an object already there is left alone). Not synced: a lost
/// object only makes its file's earlier content unknown, which [`object`] reports as such.
fn store(objects: &Store, sha: &str, bytes: &[u8]) -> Result<()> {
    if objects.contains(sha)? {
        return Ok(());
    }
    objects.write(sha, bytes, false)
}

/// The stored bytes for `sha` in `objects`, when present and intact.
fn object(objects: Option<&Store>, sha: &str) -> Option<Vec<u8>> {
    let bytes = objects?.read(sha, MAX_FILE_BYTES as u64).ok()??;
    (sha256_hex(&bytes) == sha).then_some(bytes)
}

/// Removes stored objects the baseline no longer names.
fn prune_objects(journal: &Journal, baseline: &Baseline) {
    let Ok(Some(objects)) = journal.store(Some(OBJECTS)) else {
        return;
    };
    let Ok(names) = objects.names() else {
        return;
    };
    let live: std::collections::HashSet<&str> =
        baseline.files.values().map(|e| e.sha256.as_str()).collect();
    for name in names {
        if !live.contains(name.as_str())
            && let Err(err) = objects.remove(&name)
        {
            tracing::debug!("could not remove the unused object {name}: {err}");
        }
    }
}

/// Every file the tools see (MEMORY.md and the topic files).
fn files(dir: &MemoryDir) -> Result<Vec<MemoryPath>> {
    let mut paths = vec![MemoryPath::index()];
    paths.extend(dir.list()?.files);
    Ok(paths)
}

/// Whether a run is open in a live process (a dream in progress whose own close moves the baseline).
fn dream_in_progress(journal: &Journal) -> Result<bool> {
    Ok(journal
        .runs()?
        .iter()
        .any(|r| r.status == crate::change::journal::RunStatus::Open && !r.interrupted()))
}

/// One file's state now.
struct Now {
    path: MemoryPath,
    entry: Entry,
    /// Its bytes, read only when size or time moved.
    bytes: Option<Vec<u8>>,
}

/// Compares the memory directory with the journal's baseline, within `budget`, and records a
/// difference as an `external` run named after the writer it most likely was.
pub fn observe(journal: &Journal, dir: &MemoryDir, budget: Budget) -> Result<Observation> {
    let started = Instant::now();
    let over = |what: &str| Observation::Skipped(format!("{what} (budget {budget:?})"));
    if dream_in_progress(journal)? {
        return Ok(Observation::Skipped("a dream is in progress".to_string()));
    }
    // The directory's flock if free right now: an observation never waits for another process's change.
    let Some(_serial) = dir.handle().try_lock().ok().flatten() else {
        return Ok(Observation::Skipped(
            "another process is changing the memory directory".to_string(),
        ));
    };
    let previous = load(journal);
    let known = previous.clone().unwrap_or_default();
    let paths = match files(dir) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Observation::Skipped(format!(
                "cannot list the directory: {e}"
            )));
        }
    };
    if paths.len() > budget.files {
        return Ok(over(&format!("{} files", paths.len())));
    }
    let mut now = Vec::new();
    let mut read = 0u64;
    for path in paths {
        if started.elapsed() > budget.time {
            return Ok(over("out of time"));
        }
        let Some(meta) = dir.meta(&path).ok().flatten() else {
            continue;
        };
        let mtime_ns = nanos(meta.modified);
        if let Some(e) = known.files.get(path.as_str())
            && e.len == meta.len
            && e.mtime_ns == mtime_ns
        {
            let entry = e.clone();
            now.push(Now {
                path,
                entry,
                bytes: None,
            });
            continue;
        }
        read += meta.len;
        if read > budget.bytes {
            return Ok(over(&format!("over {} bytes to read", budget.bytes)));
        }
        let Some(bytes) = dir.read_opt(&path).ok().flatten() else {
            continue; // unreadable (over the size cap, vanished): nothing the tools could restore either
        };
        now.push(Now {
            entry: Entry {
                sha256: sha256_hex(&bytes),
                len: meta.len,
                mtime_ns,
            },
            path,
            bytes: Some(bytes),
        });
    }
    let lock_mtime_ns = lock::last_consolidation(dir.root()).map(nanos);
    let mut next = Baseline {
        files: now
            .iter()
            .map(|n| (n.path.to_string(), n.entry.clone()))
            .collect(),
        lock_mtime_ns,
    };
    let Some(previous) = previous else {
        // With no baseline every file was read above.
        let objects = journal.store_created(Some(OBJECTS))?;
        for n in &now {
            if let Some(b) = &n.bytes {
                store(&objects, &n.entry.sha256, b)?;
            }
        }
        save(journal, &next)?;
        return Ok(Observation::FirstLook);
    };
    let changes = differences(journal, dir, &previous, &mut next, &now);
    if changes.is_empty() {
        if next != previous {
            save(journal, &next)?; // only times moved (a touch): remember them so the next look is a stat
        }
        return Ok(Observation::Unchanged);
    }
    let writer = if previous.lock_mtime_ns != next.lock_mtime_ns {
        "Claude Code's dream (the consolidation lock moved)"
    } else {
        "auto-memory or a hand edit"
    };
    let record = record(journal, dir, &changes, writer)?;
    let objects = journal.store_created(Some(OBJECTS))?;
    for n in &now {
        if let Some(b) = &n.bytes {
            store(&objects, &n.entry.sha256, b)?;
        }
    }
    save(journal, &next)?;
    prune_objects(journal, &next);
    tracing::info!(
        run = %record.id,
        files = changes.len(),
        "recorded a change made outside dream-mcp"
    );
    Ok(Observation::Recorded(Box::new(record)))
}

/// One file another writer changed: its path and its bytes before (`None`: absent or unknown) and now.
struct Change {
    path: MemoryPath,
    before: Option<Vec<u8>>,
    after: Option<Vec<u8>>,
}

/// The files whose content differs between `previous` and `now`. A file whose earlier bytes are lost
/// from the store cannot be restored; it is left out of the run (and logged) rather than recorded as
/// created.
fn differences(
    journal: &Journal,
    dir: &MemoryDir,
    previous: &Baseline,
    next: &mut Baseline,
    now: &[Now],
) -> Vec<Change> {
    let mut changes = Vec::new();
    let objects = journal.store(Some(OBJECTS)).ok().flatten();
    let before_of = |path: &str, e: &Entry| {
        let bytes = object(objects.as_ref(), &e.sha256);
        if bytes.is_none() {
            tracing::warn!(
                "the journal lost the earlier content of {path}; its change is not recorded"
            );
        }
        bytes
    };
    for n in now {
        let old = previous.files.get(n.path.as_str());
        if old.is_some_and(|o| o.sha256 == n.entry.sha256) {
            continue;
        }
        let before = match old {
            Some(o) => match before_of(n.path.as_str(), o) {
                Some(b) => Some(b),
                None => continue,
            },
            None => None,
        };
        changes.push(Change {
            path: n.path.clone(),
            before,
            after: n.bytes.clone(),
        });
    }
    for (path, old) in &previous.files {
        if next.files.contains_key(path) {
            continue;
        }
        let Ok(p) = MemoryPath::parse(path) else {
            continue;
        };
        if dir.exists(&p) {
            // Still there but unreadable now: keep knowing its old state.
            next.files.insert(path.clone(), old.clone());
            continue;
        }
        if let Some(before) = before_of(path, old) {
            changes.push(Change {
                path: p,
                before: Some(before),
                after: None,
            });
        }
    }
    changes
}

/// Records `changes` as an `external` run with its retention audit.
fn record(
    journal: &Journal,
    dir: &MemoryDir,
    changes: &[Change],
    writer: &str,
) -> Result<RunRecord> {
    let images: Vec<_> = changes
        .iter()
        .map(|c| (c.path.as_str(), c.before.clone(), c.after.clone()))
        .collect();
    let audit = retention::of_images(journal, dir, &images, "")?;
    let (created, deleted) = (
        changes.iter().filter(|c| c.before.is_none()).count(),
        changes.iter().filter(|c| c.after.is_none()).count(),
    );
    let summary = format!(
        "{writer}: {} file(s) changed outside dream-mcp ({created} created, {} changed, {deleted} deleted); {}",
        changes.len(),
        changes.len() - created - deleted,
        audit.figure()
    );
    let observed: Vec<journal::Change<'_>> = changes
        .iter()
        .map(|c| (&c.path, c.before.as_deref(), c.after.as_deref()))
        .collect();
    journal.record_observed(RunKind::External, &summary, &observed, Some(audit))
}

/// Moves the baseline past one of this program's own closed runs, so its changes are not taken for
/// another writer's: each touched file the run left as it is now gets its after-image as the known
/// state, and a dream or undo's move of the lock is known too. Without a baseline there is nothing to
/// move (the next [`observe`] takes the first look).
pub fn absorb(journal: &Journal, dir: &MemoryDir, run: &RunRecord) -> Result<()> {
    let Some(mut baseline) = load(journal) else {
        return Ok(());
    };
    let objects = journal.store_created(Some(OBJECTS))?;
    for t in &run.touched {
        let Some(after) = &t.after else { continue };
        let path = MemoryPath::parse(&t.path)?;
        match &after.sha256 {
            None => {
                if !dir.exists(&path) {
                    baseline.files.remove(&t.path);
                }
            }
            Some(sha) => {
                let (Some(meta), Some(bytes)) =
                    (dir.meta(&path)?, dir.read_opt(&path).ok().flatten())
                else {
                    continue;
                };
                if &sha256_hex(&bytes) != sha {
                    continue; // changed again since: the next observation records that change
                }
                store(&objects, sha, &bytes)?;
                baseline.files.insert(
                    t.path.clone(),
                    Entry {
                        sha256: sha.clone(),
                        len: meta.len,
                        mtime_ns: nanos(meta.modified),
                    },
                );
            }
        }
    }
    if matches!(run.kind, RunKind::Dream | RunKind::Undo) {
        baseline.lock_mtime_ns = lock::last_consolidation(dir.root()).map(nanos);
    }
    save(journal, &baseline)?;
    prune_objects(journal, &baseline);
    Ok(())
}
