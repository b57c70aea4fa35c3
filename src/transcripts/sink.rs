//! What happens to each raw candidate line of one file: decode it, apply the filters, re-check the match on
//! the decoded text, and keep the hit if it ranks among the newest. Separate from the walk and from output.

use std::borrow::Cow;
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use grep_searcher::{Searcher, Sink, SinkMatch};

use super::clip::Clipped;
use super::record::{self, Record};
use super::request::Query;
use super::result::{Hit, MAX_WARNINGS, Warning, WarningKind};
use super::snippet::{self, Redaction};
use super::top::{RankKey, TopHits};
use super::walk::TranscriptFile;
use crate::secrets;

/// Lines longer than this many bytes are skipped with an [`WarningKind::OversizedLine`] warning and never
/// buffered whole. Real lines this long are tool output or inline images; user and assistant text is far
/// shorter. It bounds the memory of each search thread to about this much plus the decoded line.
pub const MAX_LINE_BYTES: usize = 8 << 20;
/// Bytes on each side of a snippet also scanned for credentials, so a secret cut by the snippet's edge, or
/// a private key whose header lies outside it, is still recognised and hidden.
const REDACTION_MARGIN: usize = 4096;

/// What one search thread has gathered.
#[derive(Debug)]
pub struct Tally {
    /// The newest hits.
    pub top: TopHits,
    /// Lines whose raw bytes matched.
    pub raw_line_matches: u64,
    /// Lines with a real match after decoding and filters.
    pub matching_lines: u64,
    /// Up to twice [`MAX_WARNINGS`] warnings, the first by file and line.
    pub warnings: Vec<Warning>,
    /// All warnings.
    pub warnings_total: u64,
}

impl Tally {
    /// An empty tally keeping `max_results` hits.
    pub fn new(max_results: usize) -> Tally {
        Tally {
            top: TopHits::new(max_results),
            raw_line_matches: 0,
            matching_lines: 0,
            warnings: Vec::new(),
            warnings_total: 0,
        }
    }

    /// Records a warning; only the first by file and line are kept, so memory stays bounded and the
    /// listed ones are the same on every run.
    pub fn warn(&mut self, file: &str, line: Option<u64>, kind: WarningKind, message: String) {
        self.warnings_total += 1;
        self.warnings.push(Warning {
            file: file.to_string(),
            line,
            kind,
            message,
        });
        if self.warnings.len() >= 2 * MAX_WARNINGS {
            self.warnings.sort();
            self.warnings.truncate(MAX_WARNINGS);
        }
    }

    /// Adds another thread's tally.
    pub fn merge(&mut self, other: Tally) {
        self.top.merge(other.top);
        self.raw_line_matches += other.raw_line_matches;
        self.matching_lines += other.matching_lines;
        self.warnings_total += other.warnings_total;
        self.warnings.extend(other.warnings);
        self.warnings.sort();
        self.warnings.truncate(MAX_WARNINGS);
    }

    /// Warns about lines the reader cut because they were over [`MAX_LINE_BYTES`].
    pub fn warn_clipped(&mut self, file: &str, clipped: &[Clipped]) {
        for c in clipped {
            self.warn(
                file,
                None,
                WarningKind::OversizedLine,
                format!(
                    "skipped a line of {} bytes at byte offset {} (lines over {} bytes are not searched)",
                    c.len, c.offset, MAX_LINE_BYTES
                ),
            );
        }
    }
}

/// The sink for one file's raw matches.
#[derive(Debug)]
pub struct FileSink<'a> {
    /// The compiled query.
    pub query: &'a Query,
    /// The file being searched.
    pub file: &'a TranscriptFile,
    /// The file's mtime in ms, the rank of lines without a timestamp.
    pub mtime_ms: i64,
    /// Where hits and warnings go.
    pub tally: &'a mut Tally,
    /// Set when the search should stop.
    pub cancel: Option<&'a AtomicBool>,
}

impl Sink for FileSink<'_> {
    type Error = io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, io::Error> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Ok(false);
        }
        let first = mat.line_number().unwrap_or(0);
        for (i, line) in mat.lines().enumerate() {
            self.line(line, first + i as u64);
        }
        Ok(true)
    }
}

impl FileSink<'_> {
    fn line(&mut self, raw: &[u8], number: u64) {
        self.tally.raw_line_matches += 1;
        let terminated = raw.ends_with(b"\n");
        let body = raw.strip_suffix(b"\n").unwrap_or(raw);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.len() >= MAX_LINE_BYTES {
            // The head of a line the reader cut; it is warned about once, as oversized.
            return;
        }
        let text = match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                self.warn(
                    number,
                    WarningKind::InvalidUtf8,
                    format!(
                        "invalid UTF-8 at byte {} of the line; searched with the bad bytes replaced",
                        e.valid_up_to()
                    ),
                );
                String::from_utf8_lossy(body)
            }
        };
        match record::parse(&text, self.query.scope.wanted()) {
            Ok(rec) => self.record(rec, number),
            Err(e) if !terminated => self.warn(
                number,
                WarningKind::IncompleteLastLine,
                format!("last line has no newline and does not parse ({e}); the session may still be writing it"),
            ),
            Err(e) => self.warn(number, WarningKind::NotJson, format!("not a JSON object: {e}")),
        }
    }

    fn record(&mut self, rec: Record<'_>, number: u64) {
        let q = self.query;
        let time = rec
            .timestamp
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        if let (Some(since), Some(t)) = (q.since_ms, time)
            && t.timestamp_millis() < since
        {
            return;
        }
        let session = rec.session_id.as_deref().or(self.file.session.as_deref());
        if let Some(wanted) = &q.sessions
            && !session.is_some_and(|s| wanted.contains(s))
        {
            return;
        }
        let found = rec.pieces.iter().find_map(|p| {
            if !q.scope.admits(p.role, p.kind) {
                return None;
            }
            q.matchers.decoded().find(&p.text).map(|m| (p, m.range()))
        });
        let Some((piece, range)) = found else {
            return;
        };
        self.tally.matching_lines += 1;
        let key = RankKey {
            time_ms: time.map_or(self.mtime_ms, |t| t.timestamp_millis()),
            file: self.file.rel.clone(),
            line: number,
        };
        if !self.tally.top.accepts(&key) {
            return;
        }
        let hit = Hit {
            session_id: session.map(str::to_string),
            uuid: rec.uuid.as_deref().map(str::to_string),
            timestamp: rec.timestamp.as_deref().map(str::to_string),
            date: time.map(|t| t.format("%Y-%m-%d").to_string()),
            role: piece.role,
            kind: piece.kind,
            snippet: snippet::snippet(
                &piece.text,
                range.clone(),
                q.context_chars,
                &redactions(&piece.text, range, q.context_chars),
            ),
            file: self.file.rel.clone(),
            line: number,
        };
        self.tally.top.push(key, hit);
    }

    fn warn(&mut self, line: u64, kind: WarningKind, message: String) {
        self.tally.warn(&self.file.rel, Some(line), kind, message);
    }
}

/// Likely credentials near a match: the snippet's reach (`context` characters, at most 4 bytes each) plus
/// a margin on each side.
fn redactions(text: &str, m: Range<usize>, context: usize) -> Vec<Redaction> {
    let reach = 4 * context + snippet::MAX_MATCH_CHARS * 4 + REDACTION_MARGIN;
    let mut start = m.start.saturating_sub(reach);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = m.end.saturating_add(reach).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    secrets::find(&text[start..end])
        .into_iter()
        .map(|s| Redaction {
            range: s.range.start + start..s.range.end + start,
            replacement: format!("[REDACTED {}]", s.kind.as_str()),
        })
        .collect()
}
