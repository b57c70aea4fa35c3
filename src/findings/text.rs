//! The text of one memory file prepared for scanning: its lines with byte offsets, which of them are in
//! fenced code blocks, where its body starts after the frontmatter, the spans of a line that are code or
//! URLs, and the dates it carries. Lines are split as they are read, never kept in a table: a large
//! memory has millions.

use std::ops::Range;
use std::sync::OnceLock;
use std::time::SystemTime;

use chrono::{DateTime, Local, NaiveDate};
use regex::Regex;

use crate::memory::frontmatter::{self, MemoryType, Parsed};

/// A regex compiled on first use. The patterns are constants checked by tests; should one fail to compile
/// anyway, the failure is logged once and the pattern matches nothing, so findings degrade instead of
/// failing a tool call.
pub(crate) struct LazyRegex {
    pattern: &'static str,
    cell: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// A regex for `pattern`, compiled when first used.
    pub(crate) const fn new(pattern: &'static str) -> LazyRegex {
        LazyRegex {
            pattern,
            cell: OnceLock::new(),
        }
    }

    /// The compiled regex, or `None` when the pattern does not compile.
    pub(crate) fn get(&self) -> Option<&Regex> {
        self.cell
            .get_or_init(|| match Regex::new(self.pattern) {
                Ok(re) => Some(re),
                Err(e) => {
                    tracing::error!("pattern {:?} does not compile: {e}", self.pattern);
                    None
                }
            })
            .as_ref()
    }
}

/// One line of a memory file.
#[derive(Debug, Clone)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The line without its line ending.
    pub text: &'a str,
    /// Whether the line is a code fence or inside a fenced code block.
    pub in_code: bool,
}

/// A memory file ready for the findings that read its text.
#[derive(Debug)]
pub(crate) struct Doc<'a> {
    /// Path relative to the memory directory.
    pub file: &'a str,
    /// The whole text.
    pub text: &'a str,
    /// Index among the lines of the first line after the frontmatter (0 when there is none).
    pub body_start: usize,
    /// `metadata.modified` (or a `date:` / `updated:` / `created:` value) from the frontmatter, if any.
    pub frontmatter_date: Option<NaiveDate>,
    /// A date in the file name (`2026-03-16-deploy.md`), if any.
    pub file_name_date: Option<NaiveDate>,
    /// When the transcripts show each line was written (index 0 is line 1), with the words naming the
    /// write: the anchor of a line's relative dates after a date on the line itself.
    pub transcript_dates: Option<&'a [Option<(NaiveDate, String)>]>,
    /// Whether the frontmatter says this is a `feedback` memory (rules, not events).
    pub is_feedback: bool,
    /// The local date of the file's last modification, if known.
    pub modified: Option<NaiveDate>,
    /// Whether this is MEMORY.md.
    pub is_index: bool,
}

/// Frontmatter keys whose date says when the memory was written.
const DATE_KEYS: [&str; 6] = [
    "modified",
    "updated",
    "last_updated",
    "date",
    "written",
    "created",
];

static DATE: LazyRegex = LazyRegex::new(r"(?-u:\b)(\d{4})-(\d{2})-(\d{2})(?:T|(?-u:\b))");
static URL: LazyRegex =
    LazyRegex::new(r"(?i)(?-u:\b)(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>()\[\]`]+");

impl<'a> Doc<'a> {
    /// Finds the body and the frontmatter date of `text`.
    pub(crate) fn new(
        file: &'a str,
        text: &'a str,
        modified: Option<NaiveDate>,
        is_index: bool,
    ) -> Doc<'a> {
        let (body_start, frontmatter_date, is_feedback) = match frontmatter::parse(text) {
            Parsed::Present(fm) => {
                let date = DATE_KEYS
                    .iter()
                    .find_map(|k| fm.meta(k).and_then(|v| dates(v).next().map(|(_, d)| d)));
                let feedback = fm.memory_type() == Some(MemoryType::Feedback);
                (fm.end_line, date, feedback)
            }
            _ => (0, None, false),
        };
        let name = file.rsplit('/').next().unwrap_or(file);
        let file_name_date = dates(name).next().map(|(_, d)| d);
        Doc {
            file,
            text,
            body_start,
            frontmatter_date,
            file_name_date,
            transcript_dates: None,
            is_feedback,
            modified,
            is_index,
        }
    }

    /// Every line, fenced code marked.
    pub(crate) fn lines(&self) -> impl Iterator<Item = Line<'a>> + use<'a> {
        let mut fence: Option<(u8, usize)> = None;
        self.text
            .split_inclusive('\n')
            .enumerate()
            .map(move |(i, raw)| {
                let line = raw.trim_end_matches('\n').trim_end_matches('\r');
                let marker = fence_marker(line);
                let in_code = match (fence, marker) {
                    (None, Some(m)) => {
                        fence = Some(m);
                        true
                    }
                    (Some((c, n)), Some((mc, mn))) if c == mc && mn >= n => {
                        fence = None;
                        true
                    }
                    (Some(_), _) => true,
                    (None, None) => false,
                };
                Line {
                    number: i + 1,
                    text: line,
                    in_code,
                }
            })
    }

    /// The lines after the frontmatter.
    pub(crate) fn body(&self) -> impl Iterator<Item = Line<'a>> + use<'a> {
        self.lines().skip(self.body_start)
    }

    /// Where each line starts, to find the line of many offsets with one pass over the text (built when
    /// asked, never kept with the doc: a large memory has millions of lines).
    pub(crate) fn line_starts(&self) -> LineStarts {
        let mut starts = Vec::new();
        let mut at = 0;
        for raw in self.text.split_inclusive('\n') {
            starts.push(at);
            at += raw.len();
        }
        LineStarts(starts)
    }
}

/// The byte offset where each line of a text starts (see [`Doc::line_starts`]).
pub(crate) struct LineStarts(Vec<usize>);

impl LineStarts {
    /// The 1-based number of the line holding byte `offset` (the last line past the end).
    pub(crate) fn line_at(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset).max(1)
    }
}

/// The fence character and length when `line` opens or closes a fenced code block.
fn fence_marker(line: &str) -> Option<(u8, usize)> {
    let t = line.trim_start();
    let c = *t.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = t.bytes().take_while(|&b| b == c).count();
    (n >= 3).then_some((c, n))
}

/// The local date of a modification time.
pub(crate) fn local_date(time: SystemTime) -> NaiveDate {
    DateTime::<Local>::from(time).date_naive()
}

/// Every valid `YYYY-MM-DD` date in `text`, with its byte range.
pub(crate) fn dates(text: &str) -> impl Iterator<Item = (Range<usize>, NaiveDate)> + '_ {
    DATE.get().into_iter().flat_map(move |re| {
        re.captures_iter(text).filter_map(|c| {
            let num = |i: usize| c.get(i)?.as_str().parse::<u32>().ok();
            let date = NaiveDate::from_ymd_opt(num(1)? as i32, num(2)?, num(3)?)?;
            Some((c.get(0)?.range(), date))
        })
    })
}

/// Byte ranges of `line` that are URLs.
pub(crate) fn url_spans(line: &str) -> Vec<Range<usize>> {
    URL.get()
        .map(|re| re.find_iter(line).map(|m| m.range()).collect())
        .unwrap_or_default()
}

/// Byte ranges of `line` that are inline code spans (between matching runs of backticks) or URLs.
pub(crate) fn masked_spans(line: &str) -> Vec<Range<usize>> {
    let bytes = line.as_bytes();
    let mut spans = url_spans(line);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let open_end = i + run;
        let mut j = open_end;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let r = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                if r == run {
                    close = Some(j + r);
                    break;
                }
                j += r;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                spans.push(i..end);
                i = end;
            }
            None => i = open_end,
        }
    }
    spans
}

/// Whether `range` overlaps any of `spans`.
pub(crate) fn overlaps(range: &Range<usize>, spans: &[Range<usize>]) -> bool {
    spans
        .iter()
        .any(|s| s.start < range.end && range.start < s.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        assert!(DATE.get().is_some() && URL.get().is_some());
    }

    #[test]
    fn marks_fenced_code_and_finds_the_body() {
        let text = "---\nname: x\ndate: 2026-03-16\n---\nprose\n```sh\nyesterday\n```\nafter\n";
        let doc = Doc::new("x.md", text, None, false);
        let code: Vec<usize> = doc
            .lines()
            .filter(|l| l.in_code)
            .map(|l| l.number)
            .collect();
        assert_eq!(code, [6, 7, 8]);
        assert_eq!(doc.body().next().map(|l| l.text), Some("prose"));
        assert_eq!(doc.frontmatter_date, NaiveDate::from_ymd_opt(2026, 3, 16));
        let starts = doc.line_starts();
        assert_eq!(starts.line_at(0), 1);
        assert_eq!(starts.line_at(text.find("after").unwrap_or(0)), 9);
    }

    #[test]
    fn line_at_counts_the_lines_starting_at_or_before_an_offset() {
        for text in ["", "a", "a\n", "a\nb", "a\r\n\nb\n", "\n\n\n", "x\ny\nz\n"] {
            let doc = Doc::new("x.md", text, None, false);
            // Where each line starts, as the lines are split.
            let mut starts = Vec::new();
            let mut at = 0;
            for raw in text.split_inclusive('\n') {
                starts.push(at);
                at += raw.len();
            }
            assert_eq!(starts.len(), doc.lines().count());
            let line_starts = doc.line_starts();
            for offset in 0..=text.len() + 2 {
                let expected = starts.iter().filter(|&&s| s <= offset).count().max(1);
                assert_eq!(
                    line_starts.line_at(offset),
                    expected,
                    "{text:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn a_longer_fence_is_not_closed_by_a_shorter_one() {
        let doc = Doc::new("x.md", "````\n```\nstill code\n````\nout\n", None, false);
        let flags: Vec<bool> = doc.lines().map(|l| l.in_code).collect();
        assert_eq!(flags, [true, true, true, true, false]);
    }

    #[test]
    fn masks_code_spans_and_urls() {
        let line = "see `src/a.ts` and https://x.io/docs/a.md, then ``b `c` d`` end `open";
        let spans: Vec<&str> = masked_spans(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(
            spans,
            ["https://x.io/docs/a.md,", "`src/a.ts`", "``b `c` d``"]
        );
    }

    #[test]
    fn finds_only_valid_dates() {
        let found: Vec<NaiveDate> = dates("2026-02-30, 2026-13-01, 2026-02-28 and x2026-01-01")
            .map(|(_, d)| d)
            .collect();
        assert_eq!(
            found,
            NaiveDate::from_ymd_opt(2026, 2, 28)
                .into_iter()
                .collect::<Vec<_>>()
        );
    }
}
