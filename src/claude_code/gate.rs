//! Session transcripts as the automatic-consolidation gate counts them, and the gate itself.
//!
//! A session is a UUID-named `*.jsonl` at the top of the transcripts directory (`agent-*.jsonl` and
//! subagent folders are not sessions). The gate opens when at least `min_hours` have passed since the last
//! consolidation (the lock file's mtime) and at least `min_sessions` sessions were modified since then,
//! not counting the current one: Claude Code's own rule, 24 hours and 5 sessions by default.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::claude_code::lock;

/// Claude Code's default: hours since the last consolidation before another is due.
pub const DEFAULT_MIN_HOURS: f64 = 24.0;
/// Claude Code's default: sessions since the last consolidation before another is due.
pub const DEFAULT_MIN_SESSIONS: usize = 5;
/// Sessions a [`Gate`] names: the newest; the rest are counted. A memory with 50,000 sessions since
/// its last consolidation is answered in a few lines.
pub const MAX_LISTED_SESSIONS: usize = 5;

/// One session transcript.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Session {
    /// The session id (the file's UUID name).
    pub id: String,
    /// The transcript file.
    #[serde(skip)]
    pub file: PathBuf,
    /// First timestamp in the transcript (RFC 3339), when one is found near its start.
    pub started: Option<String>,
    /// Last modification of the transcript (RFC 3339): when the session last wrote.
    pub ended: String,
    /// Transcript size in bytes.
    pub bytes: u64,
    #[serde(skip)]
    modified: SystemTime,
}

/// Whether `stem` is a UUID (8-4-4-4-12 hex digits), the form of a session transcript's name.
pub fn is_session_id(stem: &str) -> bool {
    let parts: Vec<&str> = stem.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Every session transcript in `dir`, oldest first. A missing directory has none.
pub fn list(dir: &Path) -> Vec<Session> {
    list_all(std::slice::from_ref(&dir.to_path_buf()))
}

/// Every session transcript in the folders `dirs` (one memory's, see
/// [`Locations::transcript_folders`](crate::Locations::transcript_folders)), oldest first.
pub fn list_all(dirs: &[PathBuf]) -> Vec<Session> {
    let mut out: Vec<Session> = dirs.iter().flat_map(|d| sessions(d)).collect();
    out.sort_by_key(|s| s.modified);
    out
}

/// The session transcripts in `dir`, in directory order, each read from its directory entry and one
/// `lstat`.
fn sessions(dir: &Path) -> impl Iterator<Item = Session> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let stem = name.to_str()?.strip_suffix(".jsonl")?;
            if !is_session_id(stem) {
                return None;
            }
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            let modified = meta.modified().ok()?;
            Some(Session {
                id: stem.to_string(),
                file: e.path(),
                started: None,
                ended: DateTime::<Utc>::from(modified)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                bytes: meta.len(),
                modified,
            })
        })
}

/// The first `timestamp` field within the first 64 KiB of a transcript.
pub fn first_timestamp(file: &Path) -> Option<String> {
    first_string_field(file, "timestamp")
}

/// The first string field `key` of a record within the first 64 KiB of a transcript (e.g. `cwd`, the
/// folder the session ran in).
pub fn first_string_field(file: &Path, key: &str) -> Option<String> {
    let f = fs::File::open(file).ok()?;
    BufReader::new(f.take(64 * 1024))
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .find_map(|v| v.get(key)?.as_str().map(str::to_string))
}

impl Session {
    /// When the session last wrote its transcript.
    pub fn modified(&self) -> SystemTime {
        self.modified
    }
}

/// The gate's thresholds.
#[derive(Debug, Clone, Copy)]
pub struct GateConfig {
    /// Hours since the last consolidation.
    pub min_hours: f64,
    /// Sessions since the last consolidation.
    pub min_sessions: usize,
}

impl GateConfig {
    /// These thresholds with the ones given in a call taking their place.
    pub fn overridden(self, min_hours: Option<f64>, min_sessions: Option<usize>) -> GateConfig {
        GateConfig {
            min_hours: min_hours.unwrap_or(self.min_hours),
            min_sessions: min_sessions.unwrap_or(self.min_sessions),
        }
    }
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_hours: DEFAULT_MIN_HOURS,
            min_sessions: DEFAULT_MIN_SESSIONS,
        }
    }
}

/// Whether a consolidation is due, and the facts behind the answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Gate {
    /// When the last consolidation ended (the lock's mtime, RFC 3339), or `None` if never.
    pub last_consolidation: Option<String>,
    /// Hours since then, or `None` if never.
    pub hours_since_last: Option<f64>,
    /// How many sessions were modified since then (excluding the current one).
    pub sessions: usize,
    /// The newest of them (at most [`MAX_LISTED_SESSIONS`]), oldest first.
    pub sessions_since: Vec<Session>,
    /// The transcript folders counted: the project's own, then its subfolders' and worktrees'.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<String>,
    /// The hours threshold used.
    pub min_hours: f64,
    /// The sessions threshold used.
    pub min_sessions: usize,
    /// Whether both thresholds are met.
    pub open: bool,
}

/// Evaluates the gate for a memory directory and its transcript folders at time `now`.
pub fn evaluate(
    memory_dir: &Path,
    transcript_folders: &[PathBuf],
    config: GateConfig,
    current_session: Option<&str>,
    now: SystemTime,
) -> Gate {
    Gate {
        folders: transcript_folders
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        ..judge(
            lock::last_consolidation(memory_dir),
            list_all(transcript_folders),
            config,
            current_session,
            now,
        )
    }
}

/// The gate for a store last consolidated at `last` whose sessions are `sessions` (oldest first).
pub fn judge(
    last: Option<SystemTime>,
    sessions: Vec<Session>,
    config: GateConfig,
    current_session: Option<&str>,
    now: SystemTime,
) -> Gate {
    let hours = last.map(|t| {
        now.duration_since(t)
            .map_or(0.0, |d| d.as_secs_f64() / 3600.0)
    });
    let mut sessions_since: Vec<Session> = sessions
        .into_iter()
        .filter(|s| last.is_none_or(|t| s.modified > t))
        .filter(|s| Some(s.id.as_str()) != current_session)
        .collect();
    let count = sessions_since.len();
    sessions_since.drain(..count.saturating_sub(MAX_LISTED_SESSIONS));
    let open = hours.is_none_or(|h| h >= config.min_hours) && count >= config.min_sessions;
    Gate {
        last_consolidation: last.map(|t| DateTime::<Utc>::from(t).to_rfc3339()),
        hours_since_last: hours.map(|h| (h * 10.0).round() / 10.0),
        sessions: count,
        sessions_since,
        folders: Vec::new(),
        min_hours: config.min_hours,
        min_sessions: config.min_sessions,
        open,
    }
}

/// That a consolidation is due, as the session-start hook needs to know it.
#[derive(Debug, Clone, Copy)]
pub struct Due {
    /// Hours since the last consolidation, or `None` if never.
    pub hours_since_last: Option<f64>,
    /// Sessions counted since then: the threshold (counting stops there).
    pub sessions: usize,
}

/// Whether a consolidation is due, doing only the work the answer needs: the hours first (one `stat` of
/// the lock; no listing when they are not yet due), then a count of sessions that stops at the threshold.
/// [`evaluate`] gives the full picture for `status`.
pub fn due(
    memory_dir: &Path,
    transcript_folders: &[PathBuf],
    config: GateConfig,
    current_session: Option<&str>,
    now: SystemTime,
) -> Option<Due> {
    let last = lock::last_consolidation(memory_dir);
    let hours = last.map(|t| {
        now.duration_since(t)
            .map_or(0.0, |d| d.as_secs_f64() / 3600.0)
    });
    if hours.is_some_and(|h| h < config.min_hours) {
        return None;
    }
    let sessions = transcript_folders
        .iter()
        .flat_map(|d| sessions(d))
        .filter(|s| last.is_none_or(|t| s.modified > t))
        .filter(|s| Some(s.id.as_str()) != current_session)
        .take(config.min_sessions)
        .count();
    (sessions >= config.min_sessions).then(|| Due {
        hours_since_last: hours.map(|h| (h * 10.0).round() / 10.0),
        sessions,
    })
}

impl Gate {
    /// Fills each listed session's `started` from its transcript (reads the first lines of each).
    pub fn with_start_times(mut self) -> Gate {
        for s in &mut self.sessions_since {
            s.started = first_timestamp(&s.file);
        }
        self
    }
}
