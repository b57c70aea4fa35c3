//! The search itself: a parallel walk over the transcripts directory, each thread running a line-oriented
//! raw-bytes search over its files and feeding candidates to a [`FileSink`].

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};

use crate::os;

use super::clip::ClipLongLines;
use super::error::GrepError;
use super::request::Query;
use super::result::{GrepResult, Stats, WarningKind};
use super::sink::{FileSink, MAX_LINE_BYTES, Tally};
use super::walk::{self, Found, TranscriptFile};

/// How often, at most, progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// `last_progress_ms` before the first report, which is sent after the first file.
const NEVER: u64 = u64::MAX;

/// How far a search has got, for progress notifications. The total is not known in advance: the walk
/// and the search run together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Transcript files searched so far.
    pub files: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

/// How the caller steers a running search.
#[derive(Default)]
pub struct Control<'a> {
    /// When set to true, the search stops at the next file or matching line and returns what it has,
    /// with `stats.cancelled`.
    pub cancel: Option<&'a AtomicBool>,
    /// Called from the search threads after the first file, then at most every 250 ms.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Search threads (0: one per core).
    pub threads: usize,
}

impl std::fmt::Debug for Control<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .field("threads", &self.threads)
            .finish()
    }
}

/// Searches the transcripts in `dir` for `query`.
///
/// Fails only when `dir` is not a readable directory; every problem inside it (unreadable, vanished,
/// empty or half-written files, bad lines, symlinks) is a warning in the result.
pub fn grep(dir: &Path, query: &Query, control: &Control<'_>) -> Result<GrepResult, GrepError> {
    grep_folders(std::slice::from_ref(&dir.to_path_buf()), query, control)
}

/// Searches the transcripts of several folders (one memory's: the project's own first, then its
/// subfolders' and worktrees') in one parallel walk. Hits and warnings in a folder other than the
/// first name their file relative to the first (`../<folder>/<file>`); `stats.folders` lists what was
/// searched. Fails only when the first folder is not a readable directory and no other is one.
pub fn grep_folders(
    dirs: &[PathBuf],
    query: &Query,
    control: &Control<'_>,
) -> Result<GrepResult, GrepError> {
    let started = Instant::now();
    let mut roots = Vec::new();
    let mut first_error = None;
    for (i, dir) in dirs.iter().enumerate() {
        match fs::canonicalize(dir) {
            Ok(root) if root.is_dir() => {
                let prefix = match (i, root.file_name()) {
                    (0, _) | (_, None) => String::new(),
                    (_, Some(name)) => format!("../{}/", name.to_string_lossy()),
                };
                roots.push(Root {
                    path: root,
                    prefix,
                    shown: dir.display().to_string(),
                });
            }
            found if i == 0 => {
                first_error = Some(GrepError::Directory {
                    path: dir.to_path_buf(),
                    reason: found.map_or_else(|e| e.to_string(), |_| "not a directory".to_string()),
                });
            }
            _ => {}
        }
    }
    if roots.is_empty() {
        return Err(first_error.unwrap_or_else(|| GrepError::Directory {
            path: PathBuf::new(),
            reason: "no transcripts folder given".to_string(),
        }));
    }
    let shared = Shared {
        roots: &roots,
        query,
        control,
        started,
        files: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        last_progress_ms: AtomicU64::new(NEVER),
        tally: Mutex::new(Tally::new(query.kept())),
    };
    let mut walker = walk::builder(&roots[0].path, control.threads);
    for r in &roots[1..] {
        walker.add(&r.path);
    }
    walker.build_parallel().visit(&mut WorkerBuilder(&shared));
    let tally = shared
        .tally
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stats = Stats {
        pattern: match query.preset {
            true => String::new(),
            false => query.pattern().to_string(),
        },
        files_searched: shared.files.into_inner(),
        files_skipped: shared.skipped.into_inner(),
        bytes_searched: shared.bytes.into_inner(),
        raw_line_matches: tally.raw_line_matches,
        matching_lines: tally.matching_lines,
        cancelled: control.cancel.is_some_and(|c| c.load(Ordering::Relaxed)),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        last_dream: query
            .last_dream
            .map(|t| t.map(|t| DateTime::<Utc>::from(t).to_rfc3339())),
        warnings: tally.warnings,
        warnings_total: tally.warnings_total,
        folders: roots.iter().map(|r| r.shown.clone()).collect(),
        ..Stats::default()
    };
    let sorted = tally.top.into_sorted();
    Ok(if query.group {
        GrepResult::grouped(sorted, stats, query.max_results)
    } else {
        GrepResult::fitted(sorted, stats, query.max_results)
    })
}

/// One folder searched: its canonical path, what its files' names start with in the answer, and how
/// the caller named it.
struct Root {
    path: PathBuf,
    prefix: String,
    shown: String,
}

/// State shared by the search threads.
struct Shared<'a> {
    roots: &'a [Root],
    query: &'a Query,
    control: &'a Control<'a>,
    started: Instant,
    files: AtomicU64,
    skipped: AtomicU64,
    bytes: AtomicU64,
    last_progress_ms: AtomicU64,
    tally: Mutex<Tally>,
}

impl Shared<'_> {
    /// The folder `path` was found in (the roots are siblings, so at most one holds it).
    fn root_of(&self, path: &Path) -> &Root {
        self.roots
            .iter()
            .find(|r| path.starts_with(&r.path))
            .unwrap_or(&self.roots[0])
    }

    fn cancelled(&self) -> bool {
        self.control
            .cancel
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Reports progress if none was reported in the last [`PROGRESS_EVERY`].
    fn progress(&self) {
        let Some(report) = self.control.progress else {
            return;
        };
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_progress_ms.load(Ordering::Relaxed);
        let due = last == NEVER || now.saturating_sub(last) >= PROGRESS_EVERY.as_millis() as u64;
        if due
            && self
                .last_progress_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            report(Progress {
                files: self.files.load(Ordering::Relaxed),
                bytes: self.bytes.load(Ordering::Relaxed),
            });
        }
    }
}

struct WorkerBuilder<'a>(&'a Shared<'a>);

impl<'s> ParallelVisitorBuilder<'s> for WorkerBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        let searcher = SearcherBuilder::new()
            .line_number(true)
            .binary_detection(BinaryDetection::none())
            .bom_sniffing(false)
            .heap_limit(Some(MAX_LINE_BYTES + (1 << 20)))
            .build();
        Box::new(Worker {
            shared: self.0,
            searcher,
            tally: Tally::new(self.0.query.kept()),
        })
    }
}

/// One search thread: its own searcher and tally, merged into the shared tally when the walk ends.
struct Worker<'a> {
    shared: &'a Shared<'a>,
    searcher: Searcher,
    tally: Tally,
}

impl ParallelVisitor for Worker<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if self.shared.cancelled() {
            return WalkState::Quit;
        }
        match entry {
            Ok(e) => match walk::classify(&self.shared.root_of(e.path()).path, &e) {
                Found::Transcript(mut t) => {
                    t.rel.insert_str(0, &self.shared.root_of(&t.path).prefix);
                    self.transcript(&t)
                }
                Found::Symlink(rel) => self.tally.warn(
                    &format!("{}{rel}", self.shared.root_of(e.path()).prefix),
                    None,
                    WarningKind::Symlink,
                    "symlink not followed: transcripts are read only inside the transcripts directory"
                        .to_string(),
                ),
                Found::Other => {}
            },
            Err(e) => self.walk_error(&e),
        }
        self.shared.progress();
        WalkState::Continue
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mine = std::mem::replace(&mut self.tally, Tally::new(0));
        self.shared
            .tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .merge(mine);
    }
}

impl Worker<'_> {
    fn walk_error(&mut self, e: &ignore::Error) {
        let rel = walk_error_path(e)
            .and_then(|p| {
                let root = self.shared.root_of(p);
                let rel = p.strip_prefix(&root.path).ok()?;
                Some(format!("{}{}", root.prefix, rel.to_string_lossy()))
            })
            .unwrap_or_default();
        self.tally.warn(
            &rel,
            None,
            WarningKind::Unreadable,
            format!("could not list: {e}"),
        );
    }

    fn transcript(&mut self, t: &TranscriptFile) {
        let q = self.shared.query;
        if let (Some(wanted), Some(session)) = (&q.sessions, &t.session)
            && !wanted.contains(session)
        {
            self.shared.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let file = match open_no_follow(&t.path) {
            Ok(f) => f,
            Err(e) => return self.open_error(t, &e),
        };
        let meta = match file.metadata() {
            Ok(m) => m,
            Err(e) => return self.open_error(t, &e),
        };
        if !meta.is_file() {
            return self.tally.warn(
                &t.rel,
                None,
                WarningKind::NotAFile,
                "not a regular file".to_string(),
            );
        }
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if !q.wants_file(mtime) {
            self.shared.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.shared.files.fetch_add(1, Ordering::Relaxed);
        if meta.len() == 0 {
            return self
                .tally
                .warn(&t.rel, None, WarningKind::Empty, "empty file".to_string());
        }
        let mut reader = ClipLongLines::new(file, MAX_LINE_BYTES);
        let sink = FileSink {
            query: q,
            file: t,
            mtime_ms: DateTime::<Utc>::from(mtime).timestamp_millis(),
            tally: &mut self.tally,
            cancel: self.shared.control.cancel,
        };
        let result = self
            .searcher
            .search_reader(q.matchers.raw(), &mut reader, sink);
        self.shared
            .bytes
            .fetch_add(reader.consumed(), Ordering::Relaxed);
        self.tally.warn_clipped(&t.rel, reader.clipped());
        if let Err(e) = result {
            self.tally.warn(
                &t.rel,
                None,
                WarningKind::Unreadable,
                format!("read failed part-way ({e}); lines before the failure were searched"),
            );
        }
    }

    fn open_error(&mut self, t: &TranscriptFile, e: &io::Error) {
        let (kind, what) = match e.kind() {
            io::ErrorKind::NotFound => {
                (WarningKind::Vanished, "disappeared before it could be read")
            }
            _ if os::is_symlink_refusal(e) => (
                WarningKind::Symlink,
                "became a symlink before it could be read; not followed",
            ),
            _ => (WarningKind::Unreadable, "could not be opened"),
        };
        self.tally.warn(&t.rel, None, kind, format!("{what}: {e}"));
    }
}

/// Opens `path` for reading without following a symlink in its last component, and without blocking if
/// it was swapped for a FIFO after the walk saw it.
fn open_no_follow(path: &Path) -> io::Result<File> {
    os::open_read_no_follow(path)
}

/// The path an `ignore` error is about, if it names one.
fn walk_error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}
