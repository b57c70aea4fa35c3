//! The journal: every change's before-image, kept outside the memory directory so any run can be undone.
//!
//! Layout: `<journal>/runs/<run id>/run.json` (the record) and `<journal>/runs/<run id>/before/<n>` (the
//! exact bytes each touched file had before the run first changed it). Run ids sort by time.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::edit::Recorder;
use crate::error::{Error, Result};
use crate::memory_dir::{MemoryDir, MemoryPath};

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
}

/// Whether a run is still open, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Changes may still come (or the process died mid-run).
    Open,
    /// Closed normally.
    Finished,
    /// Rolled back by `abort_dream`.
    Aborted,
}

/// The before-image of one file touched by a run.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Touched {
    /// Path relative to the memory directory.
    pub path: String,
    /// SHA-256 of the content before the run, or `None` when the file did not exist.
    pub before_sha256: Option<String>,
    /// File name of the stored before-image under `before/`, when the file existed.
    pub before_blob: Option<String>,
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
    /// Every file touched, in first-touch order.
    pub touched: Vec<Touched>,
}

/// The journal of one memory directory.
#[derive(Debug, Clone)]
pub struct Journal {
    root: PathBuf,
}

/// An open run: records before-images as changes happen.
#[derive(Debug)]
pub struct Run {
    dir: PathBuf,
    record: RunRecord,
}

impl Journal {
    /// The journal rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Journal {
        Journal { root: root.into() }
    }

    /// Where the journal lives.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn runs_dir(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// Opens a new run of `kind`.
    pub fn begin(&self, kind: RunKind, summary: &str) -> Result<Run> {
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
                touched: Vec::new(),
            },
        };
        run.save()?;
        Ok(run)
    }

    /// Every run's record, oldest first. Unreadable records are skipped.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        let runs = self.runs_dir();
        let entries = match fs::read_dir(&runs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&runs, e)),
        };
        let mut out: Vec<RunRecord> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| fs::read(e.path().join("run.json")).ok())
            .filter_map(|b| serde_json::from_slice(&b).ok())
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The stored before-image of `touched` in run `id`, or `None` when the file did not exist.
    pub fn before_image(&self, id: &str, touched: &Touched) -> Result<Option<Vec<u8>>> {
        let Some(blob) = &touched.before_blob else {
            return Ok(None);
        };
        let path = self.runs_dir().join(id).join("before").join(blob);
        fs::read(&path).map(Some).map_err(|e| Error::io(path, e))
    }
}

impl Run {
    /// The run's record so far.
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    fn save(&self) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.record).map_err(|e| Error::Io {
            path: self.dir.join("run.json"),
            source: std::io::Error::other(e),
        })?;
        write_durable(&self.dir.join("run.json"), &bytes)
    }

    /// Throws away a run that recorded nothing (a refused change), so refusals leave no trace.
    /// A run that recorded a before-image is closed as aborted instead, keeping the image.
    pub fn discard(self) -> Result<()> {
        if self.record.touched.is_empty() {
            fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))
        } else {
            self.close(RunStatus::Aborted, None).map(|_| ())
        }
    }

    /// Closes the run with `status` and a final `summary`.
    pub fn close(mut self, status: RunStatus, summary: Option<&str>) -> Result<RunRecord> {
        self.record.status = status;
        self.record.ended = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
        if let Some(s) = summary {
            self.record.summary = s.to_string();
        }
        self.save()?;
        Ok(self.record)
    }
}

impl Recorder for Run {
    fn record(&mut self, _dir: &MemoryDir, path: &MemoryPath, before: Option<&[u8]>) -> Result<()> {
        if self.record.touched.iter().any(|t| t.path == path.as_str()) {
            return Ok(()); // only the first before-image of a run matters
        }
        let blob = match before {
            Some(bytes) => {
                let name = format!("{}", self.record.touched.len());
                let before_dir = self.dir.join("before");
                fs::create_dir_all(&before_dir).map_err(|e| Error::io(&before_dir, e))?;
                write_durable(&before_dir.join(&name), bytes)?;
                Some(name)
            }
            None => None,
        };
        self.record.touched.push(Touched {
            path: path.to_string(),
            before_sha256: before.map(sha256_hex),
            before_blob: blob,
        });
        self.save()
    }
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync of the folder).
fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("f"),
        std::process::id()
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(parent)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
