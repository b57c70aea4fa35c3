//! The journal: every change's before-image, kept outside the memory directory so any run can be shown
//! and undone.
//!
//! Layout: `<journal>/runs/<run id>/run.json` (the record), `before/<n>` and `after/<n>` (the exact bytes
//! of the n-th touched file before the run first changed it, and when the run closed). Run ids sort by
//! time. The newest [`KEEP_RUNS`] runs are kept; open runs are never pruned.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::memory::atomic;
use crate::memory::digest::sha256_hex;

use crate::memory::dir::{MemoryDir, MemoryPath};

use crate::change::retention::Retention;

/// How many runs the journal keeps by default (override with `DREAM_JOURNAL_KEEP`).
pub const KEEP_RUNS: usize = 50;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A dream opened with `start_dream`.
    Dream,
    /// A single change made outside a dream (each such call is its own run).
    Single,
    /// An undo of an earlier run.
    Undo,
    /// A change another writer made (Claude Code's own dream, auto-memory, a hand edit), recorded
    /// afterwards from the difference with the last state the journal knew.
    External,
}

/// Whether a run is still open, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Changes may still come (or the process died mid-run: see [`RunRecord::interrupted`]).
    Open,
    /// Closed normally.
    Finished,
    /// Rolled back by `abort_dream`, or a change failed after its before-image was recorded.
    Aborted,
}

/// One recorded state of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Image {
    /// SHA-256 of the content, or `None` when the file did not exist.
    pub sha256: Option<String>,
    /// Name of the stored bytes in the run's folder, when the file existed.
    pub blob: Option<String>,
}

/// A file touched by a run, with its state before and (once the run closed) after.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Touched {
    /// Path relative to the memory directory.
    pub path: String,
    /// The state before the run first changed it.
    pub before: Image,
    /// The state when the run closed; `None` while open or after a crash.
    pub after: Option<Image>,
}

/// A run's record, stored as `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunRecord {
    /// The run id (a UTC timestamp plus the process id; sorts by time).
    pub id: String,
    /// What started it.
    pub kind: RunKind,
    /// Open, finished or aborted.
    pub status: RunStatus,
    /// When it started (RFC 3339).
    pub started: String,
    /// When it ended (RFC 3339), if it did.
    pub ended: Option<String>,
    /// The process that ran it.
    pub pid: u32,
    /// A one-line description (the dream's summary, or the single change made).
    pub summary: String,
    /// For an undo: the run it undid.
    pub undoes: Option<String>,
    /// Every file touched, in first-touch order.
    pub touched: Vec<Touched>,
    /// The retention audit: the specifics the run made the memory lose, with the reasons given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

impl RunRecord {
    /// Whether the run is open but its process is gone: it crashed or was killed mid-run.
    pub fn interrupted(&self) -> bool {
        self.status == RunStatus::Open
            && !(self.pid == std::process::id() || crate::os::pid_alive(self.pid))
    }
}

/// The journal of one memory directory.
#[derive(Debug, Clone)]
pub struct Journal {
    root: PathBuf,
    keep: usize,
}

/// An open run: records before-images as changes happen.
#[derive(Debug)]
pub struct Run {
    dir: PathBuf,
    record: RunRecord,
}

impl Journal {
    /// The journal rooted at `root` (created on first write), keeping [`KEEP_RUNS`] runs.
    pub fn new(root: impl Into<PathBuf>) -> Journal {
        Journal {
            root: root.into(),
            keep: KEEP_RUNS,
        }
    }

    /// Keeps the newest `keep` runs (at least one) instead of [`KEEP_RUNS`].
    pub fn keeping(mut self, keep: usize) -> Journal {
        self.keep = keep.max(1);
        self
    }

    /// Where the journal lives.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn runs_dir(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// Opens a new run of `kind`, pruning the oldest closed runs beyond the retention limit first.
    pub fn begin(&self, kind: RunKind, summary: &str) -> Result<Run> {
        self.prune()?;
        let now = Utc::now();
        let base = format!(
            "{}-{}",
            now.format("%Y%m%dT%H%M%S%.6fZ"),
            std::process::id()
        );
        let runs = self.runs_dir();
        fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let mut id = base.clone();
        let mut n = 1;
        let dir = loop {
            let dir = runs.join(&id);
            match fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                Err(e) => return Err(Error::io(&dir, e)),
            }
        };
        let run = Run {
            dir,
            record: RunRecord {
                id,
                kind,
                status: RunStatus::Open,
                started: now.to_rfc3339_opts(SecondsFormat::Millis, true),
                ended: None,
                pid: std::process::id(),
                summary: summary.to_string(),
                undoes: None,
                touched: Vec::new(),
                retention: None,
            },
        };
        run.save()?;
        Ok(run)
    }

    /// Removes the oldest closed runs so that at most `keep - 1` remain before a new one starts. Open runs
    /// and the newest run are never removed.
    fn prune(&self) -> Result<()> {
        let runs = self.runs()?;
        let excess = (runs.len() + 1).saturating_sub(self.keep);
        let newest = runs.last().map(|r| r.id.clone());
        for r in runs
            .iter()
            .filter(|r| r.status != RunStatus::Open && Some(&r.id) != newest.as_ref())
            .take(excess)
        {
            let dir = self.runs_dir().join(&r.id);
            fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        Ok(())
    }

    /// Every run's record, oldest first. Unreadable records are skipped, and so are records that are not
    /// what this program writes (an id other than their folder's name, a blob outside their folder): the
    /// journal lives outside the memory directory, and undo must not be steered by an edited record into
    /// reading files elsewhere.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        let runs = self.runs_dir();
        let entries = match fs::read_dir(&runs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&runs, e)),
        };
        let mut out: Vec<RunRecord> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let bytes = fs::read(e.path().join("run.json")).ok()?;
                let record: RunRecord = serde_json::from_slice(&bytes).ok()?;
                well_formed(&record, &e.file_name().to_string_lossy()).then_some(record)
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One run's record: by id, or the newest run that changed something when `id` is `None`.
    pub fn run(&self, id: Option<&str>) -> Result<RunRecord> {
        let runs = self.runs()?;
        let found = match id {
            Some(id) => runs.into_iter().find(|r| r.id == id),
            None => runs.into_iter().rev().find(|r| !r.touched.is_empty()),
        };
        found.ok_or_else(|| Error::RunNotFound {
            id: id.unwrap_or("(latest)").to_string(),
            journal: self.root.clone(),
        })
    }

    /// The stored bytes of an image of run `id`, or `None` when the file did not exist.
    pub fn image(&self, id: &str, image: &Image) -> Result<Option<Vec<u8>>> {
        let Some(blob) = &image.blob else {
            return Ok(None);
        };
        let path = self.runs_dir().join(id).join(blob);
        fs::read(&path).map(Some).map_err(|e| Error::io(path, e))
    }

    /// The state each touched file ended in: the recorded after-image, or for a run that never closed,
    /// the file as it is now.
    fn after_bytes(
        &self,
        run: &RunRecord,
        t: &Touched,
        dir: &MemoryDir,
    ) -> Result<Option<Vec<u8>>> {
        match &t.after {
            Some(img) => self.image(&run.id, img),
            None => dir.read_opt(&MemoryPath::parse(&t.path)?),
        }
    }

    /// A unified diff of everything run `run` changed, file by file.
    pub fn diff(&self, run: &RunRecord, dir: &MemoryDir) -> Result<String> {
        let mut out = String::new();
        for t in &run.touched {
            let before = self.image(&run.id, &t.before)?;
            let after = self.after_bytes(run, t, dir)?;
            out.push_str(&unified_diff(&t.path, before.as_deref(), after.as_deref()));
        }
        Ok(out)
    }

    /// Undoes run `target`: puts every file it touched back to its before-image, as a new run (so the
    /// undo can be undone). Refuses if a file changed since the run ended, unless `force`.
    pub fn undo(&self, dir: &MemoryDir, target: &RunRecord, force: bool) -> Result<RunRecord> {
        if target.status == RunStatus::Open && !target.interrupted() {
            return Err(Error::RunOpen {
                id: target.id.clone(),
            });
        }
        let mut plan = Vec::new();
        let mut drifted = Vec::new();
        for t in target.touched.iter().rev() {
            let path = MemoryPath::parse(&t.path)?;
            let current = dir.read_opt(&path)?;
            if let Some(after) = &t.after
                && current.as_deref().map(sha256_hex) != after.sha256
            {
                drifted.push(t.path.clone());
            }
            plan.push((path, self.image(&target.id, &t.before)?));
        }
        if !drifted.is_empty() && !force {
            return Err(Error::UndoConflict {
                id: target.id.clone(),
                paths: drifted,
            });
        }
        let mut run = self.begin(RunKind::Undo, &format!("undo {}", target.id))?;
        run.record.undoes = Some(target.id.clone());
        for (path, image) in &plan {
            let current = dir.read_opt(path)?;
            run.apply(dir, path, current.as_deref(), image.as_deref())?;
        }
        run.close(dir, RunStatus::Finished, None)
    }
}

impl Run {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// Whether the run has recorded no change yet.
    pub fn is_empty(&self) -> bool {
        self.record.touched.is_empty()
    }

    fn save(&self) -> Result<()> {
        let path = self.dir.join("run.json");
        let bytes = serde_json::to_vec_pretty(&self.record)
            .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
        atomic::replace(&path, &bytes, 0o644)
    }

    fn store(&self, folder: &str, n: usize, bytes: Option<&[u8]>) -> Result<Image> {
        let Some(bytes) = bytes else {
            return Ok(Image {
                sha256: None,
                blob: None,
            });
        };
        let sub = self.dir.join(folder);
        fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
        atomic::replace(&sub.join(n.to_string()), bytes, 0o644)?;
        Ok(Image {
            sha256: Some(sha256_hex(bytes)),
            blob: Some(format!("{folder}/{n}")),
        })
    }

    /// Throws away a run that recorded nothing (a refused change), so refusals leave no trace.
    /// A run that recorded a before-image is closed as aborted instead, keeping the image.
    pub fn discard(self, dir: &MemoryDir) -> Result<()> {
        if self.record.touched.is_empty() {
            fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))
        } else {
            self.close(dir, RunStatus::Aborted, None).map(|_| ())
        }
    }

    /// Closes the run with `status` and an optional final `summary`, recording each touched file's
    /// after-image so later undo can tell whether it changed since.
    pub fn close(
        mut self,
        dir: &MemoryDir,
        status: RunStatus,
        summary: Option<&str>,
    ) -> Result<RunRecord> {
        for n in 0..self.record.touched.len() {
            let path = MemoryPath::parse(&self.record.touched[n].path)?;
            let now = dir.read_opt(&path)?;
            let image = self.store("after", n, now.as_deref())?;
            self.record.touched[n].after = Some(image);
        }
        self.record.status = status;
        self.record.ended = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
        if let Some(s) = summary {
            self.record.summary = s.to_string();
        }
        self.save()?;
        Ok(self.record)
    }

    /// Puts every touched file back to its before-image (newest first) and closes the run as aborted.
    pub fn roll_back(mut self, dir: &MemoryDir, reason: &str) -> Result<RunRecord> {
        let plan = self
            .record
            .touched
            .iter()
            .rev()
            .map(|t| {
                let path = MemoryPath::parse(&t.path)?;
                let before = match &t.before.blob {
                    Some(blob) => {
                        let p = self.dir.join(blob);
                        Some(fs::read(&p).map_err(|e| Error::io(p, e))?)
                    }
                    None => None,
                };
                Ok((path, before))
            })
            .collect::<Result<Vec<_>>>()?;
        for (path, before) in &plan {
            // Already touched by this run, so nothing new is recorded: the file just goes back.
            self.apply(dir, path, None, before.as_deref())?;
        }
        let summary = format!("aborted: {reason}");
        self.close(dir, RunStatus::Aborted, Some(&summary))
    }
}

impl Run {
    /// The one routine every change goes through (write, delete, index rewrite, undo, abort): records
    /// `before`, the current bytes of `path` (`None`: it does not exist), as the run's before-image when
    /// this is the run's first change to `path`, then makes the file `after` atomically (`None` removes
    /// it). Nothing is changed when the journal cannot record.
    pub fn apply(
        &mut self,
        dir: &MemoryDir,
        path: &MemoryPath,
        before: Option<&[u8]>,
        after: Option<&[u8]>,
    ) -> Result<()> {
        if !self.record.touched.iter().any(|t| t.path == path.as_str()) {
            let image = self.store("before", self.record.touched.len(), before)?;
            self.record.touched.push(Touched {
                path: path.to_string(),
                before: image,
                after: None,
            });
            self.save()?;
        }
        dir.restore(path, after)
    }
}

// Observed changes and retention: runs recorded after the fact, and the audit stored with a run.

/// One file's change made by another writer, as observed: its bytes before and after (`None`: absent).
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// Where it is.
    pub path: &'a MemoryPath,
    /// The bytes the journal last knew.
    pub before: Option<&'a [u8]>,
    /// The bytes now.
    pub after: Option<&'a [u8]>,
}

impl Journal {
    /// Records changes another writer already made as a closed run of `kind` (nothing in the memory
    /// directory is touched), with both images stored so the run can be shown and undone like any other.
    pub fn record_observed(
        &self,
        kind: RunKind,
        summary: &str,
        changes: &[Observed<'_>],
        retention: Option<Retention>,
    ) -> Result<RunRecord> {
        let mut run = self.begin(kind, summary)?;
        // The images are new files no record names yet: written plainly, then synced in one call
        // before the record that names them.
        let write = |folder: &str, n: usize, bytes: Option<&[u8]>| -> Result<Image> {
            let Some(bytes) = bytes else {
                return Ok(Image {
                    sha256: None,
                    blob: None,
                });
            };
            let sub = run.dir.join(folder);
            fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
            let path = sub.join(n.to_string());
            fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
            Ok(Image {
                sha256: Some(sha256_hex(bytes)),
                blob: Some(format!("{folder}/{n}")),
            })
        };
        let mut touched = Vec::new();
        for (n, c) in changes.iter().enumerate() {
            let before = write("before", n, c.before)?;
            let after = write("after", n, c.after)?;
            touched.push(Touched {
                path: c.path.to_string(),
                before,
                after: Some(after),
            });
        }
        crate::os::sync_filesystem(&run.dir).map_err(|e| Error::io(&run.dir, e))?;
        run.record.touched = touched;
        run.record.retention = retention;
        run.record.status = RunStatus::Finished;
        run.record.ended = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
        run.save()?;
        Ok(run.record)
    }
}

impl Run {
    /// The run's record so far (touched files with their before-images).
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// Stores the run's retention audit, kept in its record when it closes.
    pub fn set_retention(&mut self, retention: Retention) {
        self.record.retention = Some(retention);
    }
}

/// How long one file's diff may search for the smallest edit script. Line diffs of memory files take
/// microseconds; two 256 KB files whose lines all differ (`a` lines against `b` lines) would take minutes
/// without a bound. Past it the diff is still correct, only less minimal.
pub const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(200);

/// Whether a record read from folder `folder` is one this program wrote: its id is the folder's name
/// and every blob is `before/<n>` or `after/<n>` inside it.
fn well_formed(record: &RunRecord, folder: &str) -> bool {
    let blob_ok = |image: &Image| {
        image.blob.as_deref().is_none_or(|b| {
            b.split_once('/').is_some_and(|(kind, n)| {
                matches!(kind, "before" | "after")
                    && !n.is_empty()
                    && n.bytes().all(|c| c.is_ascii_digit())
            })
        })
    };
    record.id == folder
        && record
            .touched
            .iter()
            .all(|t| blob_ok(&t.before) && t.after.as_ref().is_none_or(blob_ok))
}

/// A unified diff of one file between two states (`None` = absent), with `a/` and `b/` headers.
pub fn unified_diff(path: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> String {
    if before == after {
        return String::new();
    }
    let old = String::from_utf8_lossy(before.unwrap_or_default());
    let new = String::from_utf8_lossy(after.unwrap_or_default());
    let a = if before.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let b = if after.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".to_string()
    };
    similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .missing_newline_hint(true)
        .to_string()
}
