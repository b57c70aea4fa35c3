//! The provenance index: every memory write found in a memory's transcripts, and for each line of a
//! memory file the earliest write that put it there.

use std::collections::HashMap;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, NaiveDate};
use schemars::JsonSchema;
use serde::Serialize;

use crate::findings::WriteDates;
use crate::memory::dir::INDEX_NAME;
use crate::memory::snapshot::{Loaded, Texts};

use super::cache::{Cache, Entry, FileKey};
use super::scan::{self, Target, Write};
use crate::transcripts::walk::{self, Found};

/// What to build the index from.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The memory's transcript folders (see `Locations::transcript_folders`).
    pub folders: &'a [PathBuf],
    /// The memory directory writes must land in.
    pub memory_dir: &'a Path,
    /// Where the index is cached between calls (outside the memory directory); `None`: not cached.
    pub cache_dir: Option<&'a Path>,
    /// Threads reading transcripts (0: one per core).
    pub threads: usize,
}

/// The numbers behind a build, so a slow or empty answer can be explained.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct BuildStats {
    /// The transcript folders read.
    pub folders: Vec<String>,
    /// Transcript files found.
    pub transcripts: usize,
    /// Of those, read now (new or changed since the cache).
    pub scanned: usize,
    /// Bytes read now.
    pub bytes_read: u64,
    /// Memory writes found in all transcripts.
    pub writes: usize,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u64,
    /// Problems with the cache (unreadable, unwritable); the index is complete without it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Every memory write of one memory's transcripts, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    writes: Vec<Write>,
    /// How the index was built.
    pub stats: BuildStats,
}

/// Where a line came from: one write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Origin {
    /// The session that wrote it.
    pub session: String,
    /// The `uuid` of the transcript line with the tool call (as `grep_transcripts` returns it).
    pub uuid: String,
    /// When (RFC 3339).
    pub timestamp: String,
    /// The tool that wrote it (`Write`, `Edit`, `MultiEdit`, `write_memory_file`, `rewrite_index`).
    pub tool: String,
    /// What the user said last before the write, shortened and redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Consecutive lines with the same origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LineRange {
    /// First line (from 1).
    pub from: usize,
    /// Last line (inclusive).
    pub to: usize,
    /// Index into `origins`; `None` when no recorded write holds these lines (blank lines, hand edits,
    /// writes older than the transcripts).
    pub origin: Option<usize>,
    /// True when the lines matched only loosely: with whitespace normalised, or as the part of the line
    /// an edit changed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub normalised: bool,
}

/// The provenance of one memory file, line by line, grouped into ranges.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FileProvenance {
    /// The file, relative to the memory directory.
    pub path: String,
    /// Lines with text (blank lines are not counted).
    pub lines: usize,
    /// Of those, lines traced to a write.
    pub attributed: usize,
    /// The earliest recorded write to the file (RFC 3339).
    pub first_write: Option<String>,
    /// The latest recorded write to the file (RFC 3339).
    pub last_write: Option<String>,
    /// The writes the ranges point to.
    pub origins: Vec<Origin>,
    /// Every line of the file, in ranges of one origin.
    pub ranges: Vec<LineRange>,
    /// Set when [`FileProvenance::within`] left ranges out to stay in its budget: the first line
    /// without them (read again from there for the rest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_from_line: Option<usize>,
}

impl FileProvenance {
    /// The provenance of lines `lines` (1-based, end exclusive) only, its ranges clamped to them and
    /// its origins only those they point to, cut short of `max_chars` characters of JSON: what a read of
    /// that part of the file can carry.
    pub fn within(self, lines: std::ops::Range<usize>, max_chars: usize) -> FileProvenance {
        let mut kept = FileProvenance {
            origins: Vec::new(),
            ranges: Vec::new(),
            cut_from_line: None,
            ..self
        };
        let mut size = json_len(&kept);
        let mut renumbered: HashMap<usize, usize> = HashMap::new();
        let last = lines.end.saturating_sub(1);
        for r in self.ranges {
            if r.to < lines.start || r.from > last {
                continue;
            }
            let range = LineRange {
                from: r.from.max(lines.start),
                to: r.to.min(last),
                origin: None,
                ..r
            };
            let new_origin = r.origin.filter(|o| !renumbered.contains_key(o));
            let origin = new_origin.and_then(|o| self.origins.get(o));
            let cost = json_len(&range) + origin.map_or(0, json_len) + 2;
            if size + cost > max_chars {
                kept.cut_from_line = Some(range.from);
                break;
            }
            size += cost;
            if let Some(origin) = origin {
                renumbered.insert(r.origin.unwrap_or_default(), kept.origins.len());
                kept.origins.push(origin.clone());
            }
            kept.ranges.push(LineRange {
                origin: r.origin.and_then(|o| renumbered.get(&o).copied()),
                ..range
            });
        }
        kept
    }
}

/// Characters of `value` as compact JSON.
fn json_len<T: Serialize>(value: &T) -> usize {
    serde_json::to_string(value).map_or(0, |s| s.len())
}

/// Milliseconds since the epoch of an RFC 3339 time, for ordering; `i64::MAX` when unreadable.
fn millis(ts: &str) -> i64 {
    DateTime::parse_from_rfc3339(ts).map_or(i64::MAX, |t| t.timestamp_millis())
}

/// Whitespace runs as one space, trimmed: the second, looser match.
fn normalised(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shortest edit text matched inside a longer line.
pub const MIN_FRAGMENT: usize = 6;

/// One transcript to index.
struct Job {
    path: PathBuf,
    key: FileKey,
}

impl Provenance {
    /// Builds the index from `src`, reading only transcripts the cache does not know at their current
    /// size and modification time, on `src.threads` threads. Never fails: unreadable files are skipped,
    /// and a cache problem is a warning.
    pub fn build(src: Sources<'_>) -> Provenance {
        let started = Instant::now();
        let target = Target::new(src.memory_dir);
        let mut stats = BuildStats {
            folders: src
                .folders
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            ..BuildStats::default()
        };
        let (mut cache, warning) = Cache::load(src.cache_dir, src.memory_dir);
        stats.warnings.extend(warning);
        let mut jobs = Vec::new();
        let mut fresh: HashMap<String, Entry> = HashMap::new();
        for job in transcripts(src.folders) {
            match cache.take(&job.key) {
                Some(entry) => {
                    fresh.insert(job.key.path.clone(), entry);
                }
                None => jobs.push(job),
            }
        }
        stats.transcripts = fresh.len() + jobs.len();
        stats.scanned = jobs.len();
        let changed = !jobs.is_empty() || cache.has_leftovers();
        let read = Mutex::new(Vec::new());
        let next = AtomicUsize::new(0);
        let threads = match src.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let prefilter = scan::Prefilter::new(&target);
        std::thread::scope(|s| {
            for _ in 0..threads.clamp(1, jobs.len().max(1)) {
                s.spawn(|| {
                    let mut buf = Vec::new();
                    while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let Ok(mut file) = crate::os::open_read_no_follow(&job.path) else {
                            continue;
                        };
                        let (hit, bytes) = prefilter.might_write(&mut file, &mut buf);
                        // A transcript that cannot be rewound is scanned from a fresh open.
                        let rewound = hit
                            && (file.seek(SeekFrom::Start(0)).is_ok()
                                || crate::os::open_read_no_follow(&job.path)
                                    .map(|f| file = f)
                                    .is_ok());
                        let scanned = if rewound {
                            scan::scan(file, &target)
                        } else {
                            scan::Scanned {
                                writes: Vec::new(),
                                bytes,
                            }
                        };
                        read.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((job.key.clone(), scanned));
                    }
                });
            }
        });
        for (key, scanned) in read.into_inner().unwrap_or_else(|p| p.into_inner()) {
            stats.bytes_read += scanned.bytes;
            fresh.insert(
                key.path.clone(),
                Entry {
                    key,
                    writes: scanned.writes,
                },
            );
        }
        if changed {
            stats
                .warnings
                .extend(Cache::save(src.cache_dir, src.memory_dir, fresh.values()));
        }
        let mut writes: Vec<Write> = fresh.into_values().flat_map(|e| e.writes).collect();
        writes.sort_by(|a, b| {
            (millis(&a.timestamp), &a.session, &a.uuid).cmp(&(
                millis(&b.timestamp),
                &b.session,
                &b.uuid,
            ))
        });
        writes.dedup();
        stats.writes = writes.len();
        stats.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Provenance { writes, stats }
    }

    /// The recorded writes to `file` (relative to the memory directory), oldest first.
    pub fn writes_to<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a Write> + 'a {
        self.writes.iter().filter(move |w| w.file == file)
    }

    /// The first and last recorded write times of `file`.
    pub fn span(&self, file: &str) -> (Option<String>, Option<String>) {
        let mut it = self.writes_to(file);
        let first = it.next().map(|w| w.timestamp.clone());
        let last = it
            .last()
            .map(|w| w.timestamp.clone())
            .or_else(|| first.clone());
        (first, last)
    }

    /// The origin of every line of `content` (the current text of `file`): `(write, loose)` for the
    /// earliest write holding the line exactly; else with whitespace normalised; else, for a line an edit
    /// changed in part, the earliest edit whose one-line new text (of [`MIN_FRAGMENT`] characters or
    /// more) the line contains (`loose` is true for both of the last). `None` for blank lines and lines
    /// no write holds.
    pub fn lines<'a>(&'a self, file: &'a str, content: &str) -> Vec<Option<(&'a Write, bool)>> {
        let mut exact: HashMap<&str, &Write> = HashMap::new();
        let mut loose: HashMap<String, &Write> = HashMap::new();
        let mut fragments: Vec<(&str, &Write)> = Vec::new();
        for w in self.writes_to(file) {
            if w.tool != "Write" && !w.text.contains('\n') && w.text.trim().len() >= MIN_FRAGMENT {
                fragments.push((w.text.trim(), w));
            }
            for l in w.text.lines() {
                let l = l.trim_end_matches('\r');
                if l.trim().is_empty() {
                    continue;
                }
                exact.entry(l).or_insert(w);
                loose.entry(normalised(l)).or_insert(w);
            }
        }
        if exact.is_empty() && fragments.is_empty() {
            // No write holds a line of this file: nothing to normalise or look up.
            return content.lines().map(|_| None).collect();
        }
        content
            .lines()
            .map(|l| {
                let l = l.trim_end_matches('\r');
                if l.trim().is_empty() {
                    return None;
                }
                exact
                    .get(l)
                    .map(|w| (*w, false))
                    .or_else(|| loose.get(&normalised(l)).map(|w| (*w, true)))
                    .or_else(|| {
                        fragments
                            .iter()
                            .find(|(f, _)| l.contains(f))
                            .map(|(_, w)| (*w, true))
                    })
            })
            .collect()
    }

    /// The provenance of `file` whose current text is `content`, grouped into ranges.
    pub fn file(&self, file: &str, content: &str) -> FileProvenance {
        let per_line = self.lines(file, content);
        let mut origins: Vec<Origin> = Vec::new();
        let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
        let mut ranges: Vec<LineRange> = Vec::new();
        let mut counted = 0;
        let mut attributed = 0;
        for (i, (line, found)) in content.lines().zip(&per_line).enumerate() {
            if !line.trim().is_empty() {
                counted += 1;
            }
            let here = found.map(|(w, norm)| {
                attributed += 1;
                let at = *seen
                    .entry((w.session.as_str(), w.uuid.as_str(), w.tool.as_str()))
                    .or_insert_with(|| {
                        origins.push(Origin {
                            session: w.session.clone(),
                            uuid: w.uuid.clone(),
                            timestamp: w.timestamp.clone(),
                            tool: w.tool.clone(),
                            user: w.user.clone(),
                        });
                        origins.len() - 1
                    });
                (at, norm)
            });
            let (origin, norm) = (here.map(|h| h.0), here.is_some_and(|h| h.1));
            match ranges.last_mut() {
                Some(r) if r.origin == origin && r.normalised == norm => r.to = i + 1,
                _ => ranges.push(LineRange {
                    from: i + 1,
                    to: i + 1,
                    origin,
                    normalised: norm,
                }),
            }
        }
        let (first_write, last_write) = self.span(file);
        FileProvenance {
            path: file.to_string(),
            lines: counted,
            attributed,
            first_write,
            last_write,
            origins,
            ranges,
            cut_from_line: None,
        }
    }

    /// The day each line of `content` was written, when a write holds it, with the words saying so: the
    /// anchor of the line's relative dates.
    pub fn line_dates(&self, file: &str, content: &str) -> Vec<Option<(NaiveDate, String)>> {
        self.lines(file, content)
            .into_iter()
            .map(|found| {
                let (w, _) = found?;
                let day = DateTime::parse_from_rfc3339(&w.timestamp)
                    .ok()?
                    .date_naive();
                let short: String = w.session.chars().take(8).collect();
                Some((
                    day,
                    format!(
                        "the transcript that wrote the line (session {short}, {})",
                        w.timestamp
                    ),
                ))
            })
            .collect()
    }
}

impl Provenance {
    /// When each line of each file in `loaded` (its texts from `texts`, and MEMORY.md) was written: the
    /// anchors of relative dates.
    /// A file no transcript dates a line of is left out (the same as a line without a date), so a memory
    /// the transcripts say nothing of costs nothing here.
    pub fn write_dates(&self, loaded: &Loaded, texts: Texts) -> WriteDates {
        let mut out = WriteDates::new();
        let mut add = |path: &str, text: &str| {
            let dates = self.line_dates(path, text);
            if dates.iter().any(Option::is_some) {
                out.insert(path.to_string(), dates);
            }
        };
        // Only the files some write went to are read (again, for a snapshot that dropped its texts).
        for (i, f) in texts.files().iter().enumerate() {
            if self.writes_to(f.path.as_str()).next().is_some() {
                add(f.path.as_str(), &texts.get(i));
            }
        }
        if let Some(index) = loaded.index.as_deref().map(String::from_utf8_lossy) {
            add(INDEX_NAME, &index);
        }
        out
    }
}

/// Every transcript file of `folders`, with its size and modification time.
fn transcripts(folders: &[PathBuf]) -> Vec<Job> {
    let mut out = Vec::new();
    for folder in folders {
        let Ok(root) = std::fs::canonicalize(folder) else {
            continue;
        };
        if !root.is_dir() {
            continue;
        }
        for entry in walk::builder(&root, 1).build().filter_map(|e| e.ok()) {
            let Found::Transcript(t) = walk::classify(&root, &entry) else {
                continue;
            };
            let Ok(meta) = std::fs::symlink_metadata(&t.path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            out.push(Job {
                key: FileKey {
                    path: t.path.display().to_string(),
                    size: meta.len(),
                    mtime_ns: u64::try_from(mtime_ns).unwrap_or(u64::MAX),
                },
                path: t.path,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(n: usize) -> Origin {
        Origin {
            session: format!("session-{n}"),
            uuid: format!("uuid-{n}"),
            timestamp: "2026-03-01T10:00:00Z".to_string(),
            tool: "Write".to_string(),
            user: Some("x".repeat(200)),
        }
    }

    fn range(from: usize, to: usize, origin: Option<usize>) -> LineRange {
        LineRange {
            from,
            to,
            origin,
            normalised: false,
        }
    }

    fn provenance() -> FileProvenance {
        FileProvenance {
            path: "notes.md".to_string(),
            lines: 30,
            attributed: 25,
            first_write: None,
            last_write: None,
            origins: (0..3).map(origin).collect(),
            ranges: vec![
                range(1, 10, Some(0)),
                range(11, 15, None),
                range(16, 20, Some(2)),
                range(21, 30, Some(1)),
            ],
            cut_from_line: None,
        }
    }

    #[test]
    fn a_part_keeps_its_own_ranges_clamped_and_only_the_origins_they_name() {
        let part = provenance().within(8..18, usize::MAX);
        assert_eq!(
            part.ranges,
            [
                range(8, 10, Some(0)),
                range(11, 15, None),
                range(16, 17, Some(1))
            ]
        );
        let sessions: Vec<&str> = part.origins.iter().map(|o| o.session.as_str()).collect();
        assert_eq!(sessions, ["session-0", "session-2"]);
        assert_eq!(part.cut_from_line, None);
        let sessions_of = |p: &FileProvenance| -> Vec<(usize, usize, Option<String>)> {
            p.ranges
                .iter()
                .map(|r| (r.from, r.to, r.origin.map(|o| p.origins[o].session.clone())))
                .collect()
        };
        let whole = provenance().within(1..usize::MAX, usize::MAX);
        assert_eq!(sessions_of(&whole), sessions_of(&provenance()));
        assert_eq!(whole.origins.len(), 3);
    }

    #[test]
    fn provenance_over_its_budget_is_cut_at_a_line_and_says_where() {
        let budget = 700;
        let part = provenance().within(1..usize::MAX, budget);
        let len = serde_json::to_string(&part).unwrap().len();
        assert!(len <= budget, "{len} > {budget}");
        assert!(
            !part.ranges.is_empty() && part.ranges.len() < 4,
            "{:?}",
            part.ranges
        );
        let next = part.ranges.last().unwrap().to + 1;
        assert_eq!(part.cut_from_line, Some(next));
        for r in &part.ranges {
            assert!(r.origin.is_none_or(|o| o < part.origins.len()));
        }
    }
}
