//! The journal: every change's before-image, kept outside the memory directory so any run can be shown
//! and undone.
//!
//! Layout: `<journal>/runs/<run id>/` holds `run.json` (the record), `log` (append-only: one frame per
//! first change of a file, its path, hash and exact bytes before the run changed it) and, once the run
//! closed, `after` (every touched file's bytes at the close). A change costs one append and one fsync;
//! closing compacts the log into the final `run.json`. Run ids start with a sequence number, which orders
//! runs (not the clock). The newest [`KEEP_RUNS`] runs are kept; open runs are never pruned.
//!
//! The journal is hostile input like everything else: every file and folder in it is opened through a
//! handle, one component at a time, never through a symlink ([`crate::os`]); a record is used only if it
//! is what this program writes, and a stored image only if its bytes match the recorded hash.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::memory::atomic;
use crate::memory::digest::sha256_hex;
use crate::memory::dir::{MAX_FILE_BYTES, MemoryDir, MemoryPath};
use crate::os::{self, Dir, Open};

use crate::change::retention::Retention;

/// How many runs the journal keeps by default (override with `DREAM_JOURNAL_KEEP`).
pub const KEEP_RUNS: usize = 50;

/// Largest `run.json` read, in bytes: a record of a run touching thousands of files is a few megabytes.
const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;
/// Longest frame header line in a run's log, in bytes (a path is at most 200 bytes).
const MAX_FRAME_HEADER: u64 = 4096;

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
    /// Where the bytes are stored in the run's folder (`log@<offset>+<length>`, `after@<offset>+<length>`,
    /// or in runs of earlier versions `before/<n>`, `after/<n>`), when the file existed.
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
    /// The transcript messages the changes to this file were made on, as the model cited them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Citation>,
}

/// A transcript message a change was made on: a `grep_transcripts` hit's session and uuid.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Session id.
    pub session: String,
    /// Message uuid.
    pub uuid: String,
}

/// A run that changed a file on evidence, as [`Journal::evidence_for`] lists them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Cited {
    /// The run.
    pub run: String,
    /// When it ended (RFC 3339), or started while it is open.
    pub when: String,
    /// The run's summary.
    pub summary: String,
    /// Whether the run deleted the file.
    pub deleted: bool,
    /// The transcript messages cited.
    pub evidence: Vec<Citation>,
}

/// Most citations one change may carry.
pub const MAX_CITATIONS: usize = 20;

impl Citation {
    /// Whether `evidence` can be journaled: at most [`MAX_CITATIONS`], each id 1 to 64 ASCII letters,
    /// digits, `-` or `_` (what Claude Code's session ids and uuids are). Anything else is refused, so
    /// no journal shows text a model or a hostile transcript made up.
    pub fn check(evidence: &[Citation]) -> Result<()> {
        if evidence.len() > MAX_CITATIONS {
            return Err(Error::Parameter {
                name: "evidence",
                rule: format!(
                    "at most {MAX_CITATIONS} citations a change, got {}",
                    evidence.len()
                ),
            });
        }
        for c in evidence {
            for (what, id) in [("session", &c.session), ("uuid", &c.uuid)] {
                if !valid_id(id) {
                    return Err(Error::Parameter {
                        name: "evidence",
                        rule: format!(
                            "{what} {id:?} is not an id: 1 to 64 ASCII letters, digits, '-' or '_'"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session {} message {}", self.session, self.uuid)
    }
}

/// Whether `id` is a session id or uuid as [`Citation::check`] accepts them.
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The consolidation lock's state before a dream took it, so undoing the dream can put the gate back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GateBefore {
    /// The lock's mtime in nanoseconds since the Unix epoch, or `None` when there was no lock file.
    pub lock_mtime_ns: Option<i64>,
}

/// A run's record, stored as `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunRecord {
    /// The run id: a sequence number (which orders runs), the UTC start time and the process id.
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
    /// For a dream: the consolidation time before it (undoing the dream restores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_before: Option<GateBefore>,
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

    /// The run's sequence number (0 for runs of earlier versions, whose ids are timestamps).
    pub fn seq(&self) -> u64 {
        seq_of(&self.id)
    }
}

/// The sequence number at the start of a run id, or 0 when there is none.
fn seq_of(id: &str) -> u64 {
    id.split_once('-')
        .map(|(n, _)| n)
        .filter(|n| !n.is_empty() && n.len() <= 12 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The journal of one memory directory.
#[derive(Debug, Clone)]
pub struct Journal {
    root: PathBuf,
    keep: usize,
}

/// A run's folder, open, with its append-only log.
#[derive(Debug)]
struct Folder {
    dir: Dir,
    log: File,
    log_len: u64,
}

/// A run: records before-images as changes happen. A run made by [`Journal::pending`] touches the
/// journal only at its first change, so a refused change leaves no trace (no folder, no pruning).
#[derive(Debug)]
pub struct Run {
    journal: Journal,
    folder: Option<Folder>,
    record: RunRecord,
}

/// The error for something in the journal this program did not write, or cannot use.
fn refused(path: impl Into<PathBuf>, rule: impl Into<String>) -> Error {
    Error::Journal {
        path: path.into(),
        rule: rule.into(),
    }
}

/// Opens `name` in `dir` for reading: a regular file with one link, at most `max` bytes.
fn open_checked(dir: &Dir, name: &str, max: u64) -> Result<File> {
    let shown = os::shown(dir, name);
    let file = dir.open_file(name, Open::Read).map_err(|e| {
        if os::is_symlink_refusal(&e) {
            refused(&shown, "it is a symlink, which is never followed")
        } else {
            Error::io(&shown, e)
        }
    })?;
    let meta = os::meta_of(&file).map_err(|e| Error::io(&shown, e))?;
    if meta.kind != os::Kind::File || meta.nlink > 1 || meta.len > max {
        return Err(refused(
            shown,
            format!("not a regular, singly linked file of at most {max} bytes"),
        ));
    }
    Ok(file)
}

/// Opens a subfolder of the journal, refusing a symlink; `Ok(None)` when absent.
fn sub(dir: &Dir, name: &str) -> Result<Option<Dir>> {
    dir.sub(name).map_err(|e| {
        if os::is_symlink_refusal(&e) {
            refused(
                os::shown(dir, name),
                "it is a symlink or not a folder, and is never followed",
            )
        } else {
            Error::io(os::shown(dir, name), e)
        }
    })
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

    /// The journal's subfolder `name` (`None`: the journal's folder itself), opened; `None` when absent.
    /// The journal's own folder may be reached through symlinks (like the memory directory); nothing
    /// inside it is.
    fn folder(&self, name: Option<&str>) -> Result<Option<Dir>> {
        let root = match Dir::open(&self.root) {
            Ok(root) => root,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&self.root, e)),
        };
        match name {
            None => Ok(Some(root)),
            Some(name) => sub(&root, name),
        }
    }

    /// [`Journal::folder`], created (durably) when absent.
    fn folder_created(&self, name: Option<&str>) -> Result<Dir> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let root = Dir::open(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let Some(name) = name else {
            return Ok(root);
        };
        let (dir, created) = root.sub_or_create(name, 0o700).map_err(|e| {
            if os::is_symlink_refusal(&e) {
                refused(
                    self.root.join(name),
                    "it is a symlink or not a folder, and is never followed",
                )
            } else {
                Error::io(self.root.join(name), e)
            }
        })?;
        if created {
            atomic::sync_dir(&root)?;
        }
        Ok(dir)
    }

    /// The `runs` folder, opened; `None` when the journal was never written.
    fn runs_dir(&self) -> Result<Option<Dir>> {
        self.folder(Some("runs"))
    }

    /// The `runs` folder, created when absent.
    fn runs_dir_created(&self) -> Result<Dir> {
        self.folder_created(Some("runs"))
    }

    /// A run of `kind` that touches the journal only when it records its first change.
    pub fn pending(&self, kind: RunKind, summary: &str) -> Run {
        Run {
            journal: self.clone(),
            folder: None,
            record: RunRecord {
                id: String::new(),
                kind,
                status: RunStatus::Open,
                started: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
                ended: None,
                pid: std::process::id(),
                summary: summary.to_string(),
                undoes: None,
                gate_before: None,
                touched: Vec::new(),
                retention: None,
            },
        }
    }

    /// Opens a new run of `kind` in the journal now, pruning the oldest closed runs beyond the
    /// retention limit first.
    pub fn begin(&self, kind: RunKind, summary: &str) -> Result<Run> {
        let mut run = self.pending(kind, summary);
        run.folder()?;
        Ok(run)
    }

    /// Removes the oldest closed runs so that at most `keep - 1` remain before a new one starts. Open runs
    /// and the newest run are never removed.
    fn prune(&self, runs_dir: &Dir) -> Result<()> {
        let runs = self.read_runs(runs_dir);
        let excess = (runs.len() + 1).saturating_sub(self.keep);
        let newest = runs.last().map(|r| r.id.clone());
        for r in runs
            .iter()
            .filter(|r| r.status != RunStatus::Open && Some(&r.id) != newest.as_ref())
            .take(excess)
        {
            runs_dir
                .remove_tree(&r.id)
                .map_err(|e| Error::io(os::shown(runs_dir, &r.id), e))?;
        }
        Ok(())
    }

    /// Every run's record, oldest first (by sequence number). Records that cannot be read or are not
    /// what this program writes are skipped with a warning: the journal lives outside the memory
    /// directory, and undo must not be steered by an edited record into reading files elsewhere.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        Ok(match self.runs_dir()? {
            Some(dir) => self.read_runs(&dir),
            None => Vec::new(),
        })
    }

    fn read_runs(&self, runs_dir: &Dir) -> Vec<RunRecord> {
        let entries = match runs_dir.entries() {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("{}: {e}", runs_dir.path().display());
                return Vec::new();
            }
        };
        let mut out: Vec<RunRecord> = entries
            .into_iter()
            .filter_map(|(name, _)| match read_record(runs_dir, &name) {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::warn!("skipping journal run {name}: {e}");
                    None
                }
            })
            .collect();
        out.sort_by(|a, b| (a.seq(), &a.id).cmp(&(b.seq(), &b.id)));
        out
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

    /// The stored bytes of an image of run `id`, or `None` when the file did not exist. The bytes are
    /// read without following any symlink and must match the recorded hash.
    pub fn image(&self, id: &str, image: &Image) -> Result<Option<Vec<u8>>> {
        let (Some(blob), Some(sha)) = (&image.blob, &image.sha256) else {
            return Ok(None);
        };
        let runs = self
            .runs_dir()?
            .ok_or_else(|| refused(&self.root, "the journal folder is gone"))?;
        let run = sub(&runs, id)?
            .ok_or_else(|| refused(os::shown(&runs, id), "the run's folder is gone"))?;
        read_blob(&run, blob, sha)
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

    /// A unified diff of everything run `run` changed, file by file, each file's evidence (when the run
    /// recorded some) on `# evidence` lines before its diff, where patch tools ignore it.
    pub fn diff(&self, run: &RunRecord, dir: &MemoryDir) -> Result<String> {
        let mut out = String::new();
        for t in &run.touched {
            let before = self.image(&run.id, &t.before)?;
            let after = self.after_bytes(run, t, dir)?;
            let diff = unified_diff(&t.path, before.as_deref(), after.as_deref());
            if !diff.is_empty() {
                for c in &t.evidence {
                    out.push_str(&format!("# evidence for {}: {c}\n", t.path));
                }
            }
            out.push_str(&diff);
        }
        Ok(out)
    }

    /// The runs that changed `path` with evidence recorded, oldest first: why the file is as it is, or
    /// why it is gone.
    pub fn evidence_for(&self, path: &str) -> Result<Vec<Cited>> {
        Ok(self
            .runs()?
            .into_iter()
            .filter_map(|r| {
                let t = r
                    .touched
                    .iter()
                    .find(|t| t.path == path && !t.evidence.is_empty())?;
                Some(Cited {
                    deleted: t.before.sha256.is_some()
                        && t.after.as_ref().is_some_and(|a| a.sha256.is_none()),
                    evidence: t.evidence.clone(),
                    run: r.id.clone(),
                    when: r.ended.clone().unwrap_or_else(|| r.started.clone()),
                    summary: r.summary.clone(),
                })
            })
            .collect())
    }

    /// Undoes run `target`: puts every file it touched back to its before-image, as a new run (so the
    /// undo can be undone), with one journal flush and one batch of file flushes for all files. Refuses
    /// if a file changed since the run ended, unless `force`.
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
            plan.push((path, current, self.image(&target.id, &t.before)?));
        }
        if !drifted.is_empty() && !force {
            return Err(Error::UndoConflict {
                id: target.id.clone(),
                paths: drifted,
            });
        }
        let mut run = self.begin(RunKind::Undo, &format!("undo {}", target.id))?;
        run.record.undoes = Some(target.id.clone());
        let changes: Vec<Change> = plan
            .iter()
            .map(|(p, cur, img)| (p, cur.as_deref(), img.as_deref()))
            .collect();
        match run.apply_all(dir, &changes) {
            Ok(()) => run.close(dir, RunStatus::Finished, None),
            Err(e) => {
                if let Err(close) = run.close(dir, RunStatus::Aborted, None) {
                    tracing::warn!("could not close the failed undo run: {close}");
                }
                Err(e)
            }
        }
    }
}

/// Reads and checks the record in run folder `name`; for an open run, replays its log.
fn read_record(runs_dir: &Dir, name: &str) -> Result<RunRecord> {
    let run = sub(runs_dir, name)?.ok_or_else(|| refused(os::shown(runs_dir, name), "gone"))?;
    let mut bytes = Vec::new();
    open_checked(&run, "run.json", MAX_RECORD_BYTES)?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(os::shown(&run, "run.json"), e))?;
    let mut record: RunRecord = serde_json::from_slice(&bytes).map_err(|e| {
        refused(
            os::shown(&run, "run.json"),
            format!("not a run record: {e}"),
        )
    })?;
    if record.status == RunStatus::Open && record.touched.is_empty() {
        record.touched = replay(&run)?;
    }
    well_formed(&record, name).map_err(|rule| refused(os::shown(&run, "run.json"), rule))?;
    Ok(record)
}

/// The header of one frame of a run's log; the file's bytes follow it, then a newline.
#[derive(Debug, Serialize, Deserialize)]
struct Frame {
    /// The file's position in the run's first-touch order.
    n: usize,
    /// Its path in the memory directory.
    path: String,
    /// SHA-256 of the bytes that follow, or `None` when the file did not exist (no bytes follow).
    sha256: Option<String>,
    /// How many bytes follow.
    len: u64,
}

impl Frame {
    /// The touched file this frame records, its bytes starting at log offset `start`.
    fn touched(self, start: u64) -> Touched {
        Touched {
            before: Image {
                blob: self
                    .sha256
                    .as_ref()
                    .map(|_| format!("log@{start}+{}", self.len)),
                sha256: self.sha256,
            },
            path: self.path,
            after: None,
            evidence: Vec::new(),
        }
    }
}

/// The touched files an open run's log records, in order. A torn last frame (a crash during the
/// append, before the change it announced was made) ends the log.
fn replay(run: &Dir) -> Result<Vec<Touched>> {
    let file = match open_checked(run, "log", u64::MAX) {
        Ok(f) => f,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    let total = os::meta_of(&file)
        .map_err(|e| Error::io(run.path(), e))?
        .len;
    let mut reader = BufReader::new(file);
    let mut touched = Vec::new();
    let mut offset = 0u64;
    loop {
        let mut line = Vec::new();
        let n = (&mut reader)
            .take(MAX_FRAME_HEADER)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(os::shown(run, "log"), e))?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let Ok(frame) = serde_json::from_slice::<Frame>(&line) else {
            break;
        };
        let start = offset + n as u64;
        let skip = if frame.sha256.is_some() {
            frame.len + 1
        } else {
            0
        };
        if frame.n != touched.len() || frame.len > MAX_FILE_BYTES as u64 || start + skip > total {
            break;
        }
        reader
            .seek_relative(skip as i64)
            .map_err(|e| Error::io(os::shown(run, "log"), e))?;
        offset = start + skip;
        touched.push(frame.touched(start));
    }
    Ok(touched)
}

/// Where a blob name points: the file in the run folder, and the byte range in it (`None`: all of it).
fn blob_place(blob: &str) -> Option<(&str, Option<(u64, u64)>)> {
    if let Some((file, range)) = blob.split_once('@') {
        let (off, len) = range.split_once('+')?;
        let (off, len) = (off.parse().ok()?, len.parse().ok()?);
        return matches!(file, "log" | "after").then_some((file, Some((off, len))));
    }
    let (kind, n) = blob.split_once('/')?;
    (matches!(kind, "before" | "after") && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        .then_some((blob, None))
}

/// Reads blob `blob` of run folder `run` and checks it against `sha`.
fn read_blob(run: &Dir, blob: &str, sha: &str) -> Result<Option<Vec<u8>>> {
    let bad = |rule: &str| refused(os::shown(run, blob), rule.to_string());
    let (file, range) =
        blob_place(blob).ok_or_else(|| bad("not a blob name this program writes"))?;
    let bytes = match range {
        Some((off, len)) => read_range(&open_checked(run, file, u64::MAX)?, off, len)
            .map_err(|e| Error::io(os::shown(run, file), e))?,
        None => {
            let mut bytes = Vec::new();
            let (folder, name) = file.split_once('/').unwrap_or(("", file));
            let sub_dir = sub(run, folder)?.ok_or_else(|| bad("the image is gone"))?;
            open_checked(&sub_dir, name, MAX_FILE_BYTES as u64)?
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(os::shown(run, file), e))?;
            bytes
        }
    };
    check_sha(bytes, sha, || os::shown(run, blob))
}

/// `len` bytes at `off` of `file`, at most [`MAX_FILE_BYTES`].
fn read_range(mut file: &File, off: u64, len: u64) -> std::io::Result<Vec<u8>> {
    if len > MAX_FILE_BYTES as u64 {
        return Err(std::io::Error::other(
            "the recorded length is over the file cap",
        ));
    }
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(off))?;
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `bytes`, when they match the recorded hash `sha`.
fn check_sha(bytes: Vec<u8>, sha: &str, shown: impl Fn() -> PathBuf) -> Result<Option<Vec<u8>>> {
    if sha256_hex(&bytes) != sha {
        return Err(refused(
            shown(),
            "the stored bytes do not match the recorded sha256 (the journal was edited); it is not used",
        ));
    }
    Ok(Some(bytes))
}

/// One change for [`Run::apply_all`]: the path, its current bytes, and the bytes it is to have
/// (`None`: absent).
pub type Change<'a> = (&'a MemoryPath, Option<&'a [u8]>, Option<&'a [u8]>);

impl Run {
    /// The run's id (empty for a pending run that has recorded nothing yet).
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// The run's record as it stands (closed, after [`Run::close_in_place`]).
    pub(crate) fn into_record(self) -> RunRecord {
        self.record
    }

    /// Whether the run has recorded no change yet.
    pub fn is_empty(&self) -> bool {
        self.record.touched.is_empty()
    }

    /// For a dream: records the consolidation time before it, so undoing it restores the gate.
    pub(crate) fn set_gate_before(&mut self, gate: GateBefore) -> Result<()> {
        self.record.gate_before = Some(gate);
        match &self.folder {
            Some(f) => save_record(&f.dir, &self.record),
            None => Ok(()),
        }
    }

    /// The run's folder, making it on first use: prune, a new sequence number, an empty log and the
    /// record's header.
    fn folder(&mut self) -> Result<&mut Folder> {
        if self.folder.is_none() {
            let runs = self.journal.runs_dir_created()?;
            self.journal.prune(&runs)?;
            let names = runs.entries().map_err(|e| Error::io(runs.path(), e))?;
            let mut seq = names.iter().map(|(n, _)| seq_of(n)).max().unwrap_or(0) + 1;
            let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
            let dir = loop {
                let id = format!("{seq:06}-{stamp}-{}", std::process::id());
                match runs.create_sub(&id, 0o700) {
                    Ok(d) => {
                        self.record.id = id;
                        break d;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => seq += 1,
                    Err(e) => return Err(Error::io(os::shown(&runs, &id), e)),
                }
            };
            let log = dir
                .open_file("log", Open::CreateNew(0o600))
                .map_err(|e| Error::io(os::shown(&dir, "log"), e))?;
            save_record(&dir, &self.record)?;
            atomic::sync_dir(&runs)?;
            self.folder = Some(Folder {
                dir,
                log,
                log_len: 0,
            });
        }
        self.folder
            .as_mut()
            .ok_or_else(|| refused(&self.journal.root, "the run has no folder"))
    }

    /// Whether the run's folder is still where the journal is: a journal removed or replaced during a
    /// run can record nothing that undo would find, so changes are refused.
    fn check_present(&self, folder: &Folder) -> Result<()> {
        let here = self
            .journal
            .runs_dir()
            .ok()
            .flatten()
            .and_then(|runs| runs.sub(&self.record.id).ok().flatten());
        match here {
            Some(d) if d.same_as(&folder.dir).unwrap_or(false) => Ok(()),
            _ => Err(refused(
                self.journal.root.join("runs").join(&self.record.id),
                "the run's journal folder was removed or replaced during the run, so no change can be recorded; end the dream with abort_dream",
            )),
        }
    }

    /// Appends a frame for each change to a path this run has not touched yet, with one fsync for all
    /// of them. On failure the log is cut back and nothing is recorded.
    fn log_before_images(&mut self, changes: &[Change]) -> Result<()> {
        let mut buf = Vec::new();
        let mut new = Vec::new();
        let first = self.record.touched.len();
        let mut offset = self.folder()?.log_len;
        let log_dir = self.journal.root.clone();
        for (path, before, _) in changes {
            let seen = |p: &str| p == path.as_str();
            if self.record.touched.iter().any(|t| seen(&t.path))
                || new.iter().any(|t: &Touched| seen(&t.path))
            {
                continue;
            }
            let frame = Frame {
                n: first + new.len(),
                path: path.to_string(),
                sha256: before.map(sha256_hex),
                len: before.map_or(0, |b| b.len() as u64),
            };
            let mut header = serde_json::to_vec(&frame)
                .map_err(|e| Error::io(&log_dir, std::io::Error::other(e)))?;
            header.push(b'\n');
            let start = offset + header.len() as u64;
            buf.extend_from_slice(&header);
            if let Some(b) = before {
                buf.extend_from_slice(b);
                buf.push(b'\n');
            }
            offset = start + before.map_or(0, |b| b.len() as u64 + 1);
            new.push(frame.touched(start));
        }
        if new.is_empty() {
            return Ok(());
        }
        let folder = self
            .folder
            .as_ref()
            .ok_or_else(|| refused(&self.journal.root, "the run has no folder"))?;
        self.check_present(folder)?;
        let log_path = os::shown(&folder.dir, "log");
        let written = (&folder.log)
            .seek(SeekFrom::Start(folder.log_len))
            .and_then(|_| (&folder.log).write_all(&buf))
            .and_then(|()| folder.log.sync_data());
        if let Err(e) = written {
            let _ = folder.log.set_len(folder.log_len);
            return Err(refused(
                log_path,
                format!("the before-image could not be recorded ({e}), so the change is refused"),
            ));
        }
        if let Some(f) = self.folder.as_mut() {
            f.log_len = offset;
        }
        self.record.touched.extend(new);
        Ok(())
    }

    /// Adds `evidence` to what the run records for `path`, which it must have changed already; citations
    /// it has are not repeated. Kept in the record written when the run closes.
    pub fn cite(&mut self, path: &MemoryPath, evidence: &[Citation]) {
        if let Some(t) = self
            .record
            .touched
            .iter_mut()
            .find(|t| t.path == path.as_str())
        {
            for c in evidence {
                if !t.evidence.contains(c) {
                    t.evidence.push(c.clone());
                }
            }
        }
    }

    /// Throws away a run that recorded nothing (a refused change), so refusals leave no trace.
    /// A run that recorded a before-image is closed as aborted instead, keeping the image.
    pub fn discard(self, dir: &MemoryDir) -> Result<()> {
        match &self.folder {
            None => Ok(()),
            Some(_) if !self.record.touched.is_empty() => {
                self.close(dir, RunStatus::Aborted, None).map(|_| ())
            }
            Some(_) => match self.journal.runs_dir()? {
                Some(runs) => runs
                    .remove_tree(&self.record.id)
                    .map_err(|e| Error::io(os::shown(&runs, &self.record.id), e)),
                None => Ok(()),
            },
        }
    }

    /// Closes the run with `status` and an optional final `summary`, recording each touched file's
    /// after-image so later undo can tell whether it changed since: the after-images go into one file,
    /// then the complete record replaces the header (the log's frames stay, as the before-images).
    pub fn close(
        mut self,
        dir: &MemoryDir,
        status: RunStatus,
        summary: Option<&str>,
    ) -> Result<RunRecord> {
        self.close_in_place(dir, status, summary)?;
        Ok(self.record)
    }

    /// [`Run::close`] without consuming the run, so a close that failed (a full disk) leaves it open,
    /// to be finished again or aborted.
    pub(crate) fn close_in_place(
        &mut self,
        dir: &MemoryDir,
        status: RunStatus,
        summary: Option<&str>,
    ) -> Result<()> {
        self.close_with(status, summary, |path| {
            dir.read_opt(&MemoryPath::parse(path)?)
        })
    }

    /// Closes the run as [`Run::close_in_place`] does, with each touched file's after-image given by
    /// `after` (its bytes by path; `None`: absent).
    fn close_with(
        &mut self,
        status: RunStatus,
        summary: Option<&str>,
        after: impl Fn(&str) -> Result<Option<Vec<u8>>>,
    ) -> Result<()> {
        if self.folder.is_none() && self.record.touched.is_empty() {
            // A pending run that changed nothing never reaches the journal.
            self.record.status = status;
            return Ok(());
        }
        let mut record = self.record.clone();
        let mut pack = Vec::new();
        let mut any_after = false;
        for t in record.touched.iter_mut() {
            let now = after(&t.path)?;
            t.after = Some(match now {
                Some(bytes) => {
                    let blob = format!("after@{}+{}", pack.len(), bytes.len());
                    pack.extend_from_slice(&bytes);
                    any_after = true;
                    Image {
                        sha256: Some(sha256_hex(&bytes)),
                        blob: Some(blob),
                    }
                }
                None => Image {
                    sha256: None,
                    blob: None,
                },
            });
        }
        record.status = status;
        record.ended = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
        if let Some(s) = summary {
            record.summary = s.to_string();
        }
        let folder = self.folder()?;
        if any_after {
            atomic::replace(&folder.dir, "after", &pack, 0o600)?;
        }
        save_record(&folder.dir, &record)?;
        self.record = record;
        Ok(())
    }

    /// Puts every touched file back to its before-image (newest first, flushed as one batch) and closes
    /// the run as aborted. The files go back even when the journal can no longer record the close (a
    /// full disk): the run then stays open in the journal, and the close error is logged.
    pub fn roll_back(mut self, dir: &MemoryDir, reason: &str) -> Result<RunRecord> {
        let folder = self.folder.as_ref();
        let plan = self
            .record
            .touched
            .iter()
            .rev()
            .map(|t| {
                let path = MemoryPath::parse(&t.path)?;
                // Before-images come from the log this run holds open, so the files go back even if
                // the journal folder was removed meanwhile.
                let before = match (folder, &t.before.blob, &t.before.sha256) {
                    (Some(f), Some(blob), Some(sha)) => match blob_place(blob) {
                        Some(("log", Some((off, len)))) => check_sha(
                            read_range(&f.log, off, len)
                                .map_err(|e| Error::io(os::shown(&f.dir, "log"), e))?,
                            sha,
                            || os::shown(&f.dir, blob),
                        )?,
                        _ => read_blob(&f.dir, blob, sha)?,
                    },
                    _ => None,
                };
                Ok((path, before))
            })
            .collect::<Result<Vec<_>>>()?;
        let changes: Vec<(&MemoryPath, Option<&[u8]>)> =
            plan.iter().map(|(p, b)| (p, b.as_deref())).collect();
        dir.restore_all(&changes)?;
        let summary = format!("aborted: {reason}");
        if let Err(e) = self.close_in_place(dir, RunStatus::Aborted, Some(&summary)) {
            tracing::warn!(
                "the files were put back, but the journal could not record the abort of run {}: {e}",
                self.record.id
            );
            self.record.status = RunStatus::Aborted;
            self.record.summary = summary;
        }
        Ok(self.record)
    }

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
        self.apply_all(dir, &[(path, before, after)])
    }

    /// [`Run::apply`] for many files at once: one journal append and flush for all the before-images,
    /// then one batch of atomic replacements.
    pub fn apply_all(&mut self, dir: &MemoryDir, changes: &[Change]) -> Result<()> {
        self.log_before_images(changes)?;
        let images: Vec<(&MemoryPath, Option<&[u8]>)> =
            changes.iter().map(|(p, _, a)| (*p, *a)).collect();
        dir.restore_all(&images)
    }
}

/// Writes `record` as `run.json` in the run folder `dir`, atomically.
fn save_record(dir: &Dir, record: &RunRecord) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(record)
        .map_err(|e| Error::io(os::shown(dir, "run.json"), std::io::Error::other(e)))?;
    atomic::replace(dir, "run.json", &bytes, 0o600)
}

/// Whether a record read from folder `folder` is one this program wrote: its id is the folder's name,
/// every path is a memory path, and every blob is one this program names, with a hash.
fn well_formed(record: &RunRecord, folder: &str) -> std::result::Result<(), String> {
    let image_ok = |image: &Image| match (&image.blob, &image.sha256) {
        (None, None) => true,
        (Some(b), Some(sha)) => {
            blob_place(b).is_some() && sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit())
        }
        _ => false,
    };
    if record.id != folder {
        return Err(format!("its id {:?} is not its folder's name", record.id));
    }
    for t in &record.touched {
        if MemoryPath::parse(&t.path).is_err() {
            return Err(format!("{:?} is not a memory path", t.path));
        }
        if !image_ok(&t.before) || !t.after.as_ref().is_none_or(image_ok) {
            return Err(format!(
                "an image of {:?} is not one this program writes",
                t.path
            ));
        }
        if Citation::check(&t.evidence).is_err() {
            return Err(format!(
                "the evidence of {:?} is not what this program records",
                t.path
            ));
        }
    }
    Ok(())
}

// Observed changes and stores: runs recorded after the fact, and state kept beside the runs.

impl Journal {
    /// Records changes another writer already made (path, bytes before, bytes now) as a closed run of
    /// `kind`; nothing in the memory directory is touched. The before-images go into the log like any
    /// run's and the after-images are the bytes observed, so the run can be shown and undone like any other.
    pub fn record_observed(
        &self,
        kind: RunKind,
        summary: &str,
        changes: &[Change<'_>],
        retention: Option<Retention>,
    ) -> Result<RunRecord> {
        let mut run = self.pending(kind, summary);
        run.log_before_images(changes)?;
        run.record.retention = retention;
        let after: std::collections::HashMap<&str, Option<&[u8]>> =
            changes.iter().map(|(p, _, a)| (p.as_str(), *a)).collect();
        run.close_with(RunStatus::Finished, None, |path| {
            Ok(after.get(path).copied().flatten().map(<[u8]>::to_vec))
        })?;
        Ok(run.record)
    }

    /// A folder of the journal's own beside its runs (`None`: the journal's folder itself), for state
    /// that is not a run, such as the safety net's baseline; `None` when absent.
    pub(crate) fn store(&self, folder: Option<&str>) -> Result<Option<Store>> {
        Ok(self.folder(folder)?.map(|dir| Store { dir }))
    }

    /// [`Journal::store`], created when absent.
    pub(crate) fn store_created(&self, folder: Option<&str>) -> Result<Store> {
        Ok(Store {
            dir: self.folder_created(folder)?,
        })
    }
}

/// An open folder of the journal that holds plain files by name (see [`Journal::store`]).
#[derive(Debug)]
pub(crate) struct Store {
    dir: Dir,
}

impl Store {
    /// The bytes of `name`, a regular singly linked file of at most `max` bytes; `None` when absent.
    pub(crate) fn read(&self, name: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let file = match open_checked(&self.dir, name, max) {
            Ok(f) => f,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::new();
        (&file)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(os::shown(&self.dir, name), e))?;
        Ok(Some(bytes))
    }

    /// Whether `name` exists.
    pub(crate) fn contains(&self, name: &str) -> Result<bool> {
        self.dir
            .stat(name)
            .map(|m| m.is_some())
            .map_err(|e| Error::io(os::shown(&self.dir, name), e))
    }

    /// Replaces `name` with `bytes` atomically; flushed to disk when `durable` (a file whose loss only
    /// costs a fresh start need not be).
    pub(crate) fn write(&self, name: &str, bytes: &[u8], durable: bool) -> Result<()> {
        if durable {
            return atomic::replace(&self.dir, name, bytes, 0o600);
        }
        let staged = atomic::stage(&self.dir, name, bytes, 0o600)?;
        atomic::commit(&self.dir, staged)
    }

    /// The names of the regular files here.
    pub(crate) fn names(&self) -> Result<Vec<String>> {
        Ok(self
            .dir
            .entries()
            .map_err(|e| Error::io(self.dir.path(), e))?
            .into_iter()
            .filter(|(_, kind)| *kind == os::Kind::File)
            .map(|(name, _)| name)
            .collect())
    }

    /// Removes `name`.
    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        self.dir
            .remove_file(name)
            .map_err(|e| Error::io(os::shown(&self.dir, name), e))
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
