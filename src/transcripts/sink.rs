//! What happens to each raw candidate line of one file: decode it, apply the filters, re-check the match on
//! the decoded text, and keep the hit if it ranks among the newest. Separate from the walk and from output.

use std::borrow::Cow;
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use grep_searcher::{Searcher, Sink, SinkMatch};
use regex::Regex;

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
    /// A raw candidate line. A line holding a likely credential counts as a candidate, and gets a
    /// warning, only when it yields a hit: otherwise whether the raw bytes matched would tell a probing
    /// pattern what the redacted text hides.
    fn line(&mut self, raw: &[u8], number: u64) {
        let terminated = raw.ends_with(b"\n");
        let body = raw.strip_suffix(b"\n").unwrap_or(raw);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.len() >= MAX_LINE_BYTES {
            // The head of a line the reader cut; it is warned about once, as oversized.
            return;
        }
        let (text, bad_utf8) = match std::str::from_utf8(body) {
            Ok(s) => (Cow::Borrowed(s), None),
            Err(e) => (String::from_utf8_lossy(body), Some(e.valid_up_to())),
        };
        let guarded = secrets::might_hold(&text);
        if !guarded {
            self.tally.raw_line_matches += 1;
        }
        if let (Some(at), false) = (bad_utf8, guarded) {
            self.warn(
                number,
                WarningKind::InvalidUtf8,
                format!(
                    "invalid UTF-8 at byte {at} of the line; searched with the bad bytes replaced"
                ),
            );
        }
        let before = self.tally.matching_lines;
        match record::parse(&text, self.query.scope.wanted()) {
            Ok(rec) => self.record(rec, number),
            Err(_) if guarded => {}
            Err(e) if !terminated => self.warn(
                number,
                WarningKind::IncompleteLastLine,
                format!("last line has no newline and does not parse ({e}); the session may still be writing it"),
            ),
            Err(e) => self.warn(number, WarningKind::NotJson, format!("not a JSON object: {e}")),
        }
        if guarded && self.tally.matching_lines > before {
            self.tally.raw_line_matches += 1;
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
            let redacted = Redacted::new(&p.text);
            redacted
                .find(q.matchers.decoded())
                .map(|range| (p, redacted, range))
        });
        let Some((piece, redacted, range)) = found else {
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
            snippet: snippet::snippet(&redacted.text, range, q.context_chars, &redacted.spans),
            file: self.file.rel.clone(),
            line: number,
            repeats: 0,
        };
        self.tally.top.push(key, hit);
    }

    fn warn(&mut self, line: u64, kind: WarningKind, message: String) {
        self.tally.warn(&self.file.rel, Some(line), kind, message);
    }
}

/// A piece's text with every likely credential replaced by `[REDACTED <kind>]`, and where those
/// replacements are. Searches run on this text and may not match inside a replacement, so a pattern
/// cannot probe a secret: whether it matches depends only on text the caller would be shown anyway.
pub(crate) struct Redacted<'t> {
    /// The text with every credential replaced by `[REDACTED <kind>]`.
    pub(crate) text: Cow<'t, str>,
    /// The replacements, as redactions of themselves, so a snippet never cuts or marks inside one.
    spans: Vec<Redaction>,
}

impl<'t> Redacted<'t> {
    /// `original` with its credentials replaced.
    pub(crate) fn new(original: &'t str) -> Redacted<'t> {
        let found = secrets::find(original);
        if found.is_empty() {
            return Redacted {
                text: Cow::Borrowed(original),
                spans: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut spans = Vec::with_capacity(found.len());
        let mut at = 0;
        for m in found {
            text.push_str(&original[at..m.range.start]);
            let replacement = format!("[REDACTED {}]", m.kind.as_str());
            spans.push(Redaction {
                range: text.len()..text.len() + replacement.len(),
                replacement: replacement.clone(),
            });
            text.push_str(&replacement);
            at = m.range.end;
        }
        text.push_str(&original[at..]);
        Redacted {
            text: Cow::Owned(text),
            spans,
        }
    }

    /// The first match of `re` that overlaps no replacement.
    fn find(&self, re: &Regex) -> Option<Range<usize>> {
        let mut from = 0;
        while from <= self.text.len() {
            let m = re.find_at(&self.text, from)?;
            match self
                .spans
                .iter()
                .find(|s| s.range.start < m.end() && m.start() < s.range.end)
            {
                None => return Some(m.range()),
                Some(span) => from = span.range.end.max(m.start() + 1),
            }
            while !self.text.is_char_boundary(from) {
                from += 1;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::transcripts::request::{GrepRequest, Query};
    use crate::transcripts::result::GrepResult;
    use crate::transcripts::{Control, grep};

    const SECRETS: &[&str] = &[
        "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "Authorization: Bearer abcDEF123456ghiJKL789xyzMNO",
        "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "glpat-AbCdEfGhIj0123456789xy",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
        "pypi-AgEIcHlwaS5vcmcCJDU3YjFlNzA0LWE1NjQtNGE0Zi05ZmQzLTEyMzQ1Njc4OTBhYgACKlsz",
        "SG.AbCdEfGhIjKlMnOpQrStUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG",
        "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz01",
        "xapp-1-A0123456789-1234567890123-abcdef0123456789",
        "AccountKey=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCd==",
        r#"{"auths":{"ghcr.io":{"auth":"dXNlcjpodW50ZXIy"}}}"#,
        "docker login -u ci -p Zx9!kq2Lm",
        "비밀번호는 qwer1234!",
        "mật khẩu là Abc@12345",
    ];

    fn transcripts(texts: &[String]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let lines: String = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                serde_json::json!({
                    "type": "user", "sessionId": "s1", "uuid": format!("u{i}"),
                    "timestamp": "2026-01-01T00:00:00Z",
                    "message": {"role": "user", "content": t},
                })
                .to_string()
                    + "\n"
            })
            .collect();
        std::fs::write(dir.path().join("s1.jsonl"), lines).unwrap();
        dir
    }

    fn search(dir: &std::path::Path, pattern: &str) -> GrepResult {
        let req = GrepRequest {
            pattern: Some(pattern.to_string()),
            max_results: Some(crate::transcripts::request::MAX_RESULTS_LIMIT),
            ..GrepRequest::default()
        };
        grep(dir, &Query::new(&req, None).unwrap(), &Control::default()).unwrap()
    }

    /// The answer without what differs between runs or echoes the pattern.
    fn signal(r: &GrepResult) -> String {
        let mut v = serde_json::to_value(r).unwrap();
        let stats = v["stats"].as_object_mut().unwrap();
        stats.remove("elapsed_ms");
        stats.remove("pattern");
        v.to_string()
    }

    #[test]
    fn every_format_is_redacted_in_snippets_and_is_not_matchable() {
        let texts: Vec<String> = SECRETS
            .iter()
            .map(|s| format!("deploy note: {s} end"))
            .collect();
        let dir = transcripts(&texts);
        let r = search(dir.path(), "deploy note");
        let found: u64 = r.hits.iter().map(|h| 1 + h.repeats).sum();
        assert_eq!(found, SECRETS.len() as u64, "each line shown or counted");
        for hit in &r.hits {
            assert!(hit.snippet.contains("[REDACTED "), "{}", hit.snippet);
        }
        for secret in [
            "AbCdEfGhIj",
            "dXNlcjpodW50ZXIy",
            "Zx9!kq2Lm",
            "qwer1234",
            "Abc@12345",
            "abcDEF123456",
        ] {
            assert!(
                r.hits.iter().all(|h| !h.snippet.contains(secret)),
                "{secret}"
            );
            let probe = search(dir.path(), &regex::escape(secret));
            assert!(probe.hits.is_empty(), "{secret} matched: {:?}", probe.hits);
        }
    }

    #[test]
    fn probing_a_token_character_by_character_gives_no_signal() {
        let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        let dir = transcripts(&[
            format!("the CI token is {token} for now"),
            "nothing here".to_string(),
        ]);
        let mut answers = std::collections::BTreeSet::new();
        for prefix_len in 4..12 {
            let known = &token[..prefix_len];
            for c in ['A', 'b', 'C', 'd', 'x', '0', '9', 'Z'] {
                for pattern in [
                    format!("{known}{c}"),
                    format!("REDACTED|{known}{c}"),
                    format!("is {known}{c}"),
                ] {
                    answers.insert(signal(&search(dir.path(), &pattern)));
                }
            }
        }
        // Right and wrong guesses give the same answer (one per pattern shape at most).
        assert!(answers.len() <= 3, "{answers:#?}");
        let r = search(dir.path(), "REDACTED|ghp_A");
        assert!(
            r.hits.is_empty() && r.stats.raw_line_matches == 0,
            "{}",
            signal(&r)
        );
    }

    #[test]
    fn a_long_private_key_is_hidden_whole_from_any_match() {
        let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n".repeat(300);
        let text = format!(
            "key -----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY----- after marker"
        );
        let dir = transcripts(&[text]);
        let r = search(dir.path(), "marker");
        assert_eq!(r.hits.len(), 1);
        let snippet = &r.hits[0].snippet;
        assert!(
            !snippet.contains("MIIE") && !snippet.contains("gun"),
            "{snippet}"
        );
        assert!(search(dir.path(), "ffAt0gun").hits.is_empty());
    }
}
