//! What a search returns: evidence (who, when, which session, a snippet) and the numbers behind it.

use schemars::JsonSchema;
use serde::Serialize;

use super::group::{self, HitGroup};
use super::record::{Kind, Role};

/// Largest answer, in bytes of compact JSON (hence at most as many characters): hits stop being added
/// before the whole result would pass it. Well under Claude Code's ~50,000-character limit, past which a
/// tool result is saved to a file instead of shown.
pub const MAX_ANSWER_CHARS: usize = 40_000;
// Claude Code saves results over about 50,000 characters to a file; answers must stay below that.
const _: () = assert!(MAX_ANSWER_CHARS < 50_000);
/// Most warnings listed in one answer; the rest are counted in `warnings_total`.
pub const MAX_WARNINGS: usize = 20;

/// One line of a transcript that matched. In JSON, `file` is left out when it is `<session>.jsonl` and
/// `kind` when it is `text`: what every ordinary hit would repeat.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
pub struct Hit {
    /// The session the line belongs to (its `sessionId`, else the transcript's name): with `uuid`, what
    /// a write's `evidence` cites.
    #[serde(rename = "session")]
    pub session_id: Option<String>,
    /// The line's `uuid`, to find it again.
    pub uuid: Option<String>,
    /// When the line was written (RFC 3339, from the transcript).
    pub timestamp: Option<String>,
    /// The day of `timestamp` (YYYY-MM-DD, UTC), for turning relative dates into absolute ones (not in
    /// the answer, whose `timestamp` starts with it).
    #[serde(skip)]
    pub date: Option<String>,
    /// Who said it: `user` (typed by the user), `assistant`, `tool` (tool output), `agent` (the main
    /// agent briefing a subagent), `system` (inserted by Claude Code).
    pub role: Role,
    /// What it is: `text` (when absent), `thinking`, `tool_use`, `tool_result`, `summary`.
    #[serde(default = "text_kind")]
    pub kind: Kind,
    /// The text around the first match in the line, the match between « and », credentials replaced by
    /// `[REDACTED ...]`, whitespace runs shown as one space.
    pub snippet: String,
    /// The transcript file, relative to the transcripts directory (absent when `<session>.jsonl`).
    #[serde(default)]
    pub file: String,
    /// The line number in that file (from 1).
    pub line: u64,
    /// Older hits with the same snippet (other sessions or lines), left out of the answer.
    #[serde(default)]
    pub repeats: u64,
}

/// The `kind` of a hit whose JSON leaves it out.
fn text_kind() -> Kind {
    Kind::Text
}

impl Hit {
    /// Whether `file` is only the session's own transcript, `<session>.jsonl`.
    fn file_is_session(&self) -> bool {
        self.session_id.as_deref().is_some_and(|s| {
            self.file
                .strip_suffix(".jsonl")
                .is_some_and(|stem| stem == s)
        })
    }
}

impl Serialize for Hit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let file = !self.file_is_session();
        let kind = self.kind != Kind::Text;
        let repeats = self.repeats != 0;
        let fields = 6 + usize::from(file) + usize::from(kind) + usize::from(repeats);
        let mut s = serializer.serialize_struct("Hit", fields)?;
        s.serialize_field("session", &self.session_id)?;
        s.serialize_field("uuid", &self.uuid)?;
        s.serialize_field("timestamp", &self.timestamp)?;
        s.serialize_field("role", &self.role)?;
        if kind {
            s.serialize_field("kind", &self.kind)?;
        }
        s.serialize_field("snippet", &self.snippet)?;
        if file {
            s.serialize_field("file", &self.file)?;
        }
        s.serialize_field("line", &self.line)?;
        if repeats {
            s.serialize_field("repeats", &self.repeats)?;
        }
        s.end()
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn one_or_none(folders: &[String]) -> bool {
    folders.len() <= 1
}

/// What went wrong with a file or a line; the search goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The file or a folder could not be opened or read (permissions, I/O error).
    Unreadable,
    /// The file disappeared between listing and opening.
    Vanished,
    /// The file is empty.
    Empty,
    /// A symlink in the transcripts directory, which is never followed.
    Symlink,
    /// Not a regular file where a transcript was expected.
    NotAFile,
    /// A matching line that is not a JSON object.
    NotJson,
    /// A matching line with invalid UTF-8 (searched with the bad bytes replaced).
    InvalidUtf8,
    /// The file's last line has no newline and does not parse: a session still being written.
    IncompleteLastLine,
    /// A line longer than the line limit, skipped (in practice a huge tool result or inline image).
    OversizedLine,
}

/// One problem met during the search.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Warning {
    /// The file, relative to the transcripts directory.
    pub file: String,
    /// The line, when the problem is one line.
    pub line: Option<u64>,
    /// What kind of problem.
    pub kind: WarningKind,
    /// The problem in words.
    pub message: String,
}

/// The numbers behind a search, so an empty or partial answer can be told from a wrong one.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Stats {
    /// The regular expression searched, when given as `pattern` (empty for a preset, which names its own).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pattern: String,
    /// Transcript files searched.
    pub files_searched: u64,
    /// Transcript files left out by `since`, `sessions` or `since_last_dream` without being read.
    #[serde(skip_serializing_if = "is_zero")]
    pub files_skipped: u64,
    /// Bytes read (shown to people, not in JSON).
    #[serde(skip)]
    pub bytes_searched: u64,
    /// Lines whose raw JSON matched (candidates, before decoding and filters; not in JSON).
    #[serde(skip)]
    pub raw_line_matches: u64,
    /// Lines with a real match in the searched text, after every filter.
    pub matching_lines: u64,
    /// Hits in this answer.
    pub hits_returned: usize,
    /// True when matching lines were left out (by `max_results`, the answer-size cap, or cancellation).
    pub truncated: bool,
    /// True when the search was cancelled before it finished.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
    /// Wall time of the search, in milliseconds (shown to people, not in JSON).
    #[serde(skip)]
    pub elapsed_ms: u64,
    /// With `since_last_dream`: when the last consolidation ended (RFC 3339), or null if never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_dream: Option<Option<String>>,
    /// Problems met, first by file and line (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// All problems met, listed or not.
    #[serde(skip_serializing_if = "is_zero")]
    pub warnings_total: u64,
    /// The transcript folders searched: the project's own, then its subfolders' and worktrees' (files
    /// in those are named `../<folder>/<file>`); in JSON only when there is more than one.
    #[serde(skip_serializing_if = "one_or_none")]
    pub folders: Vec<String>,
}

/// The answer of `grep_transcripts`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GrepResult {
    /// Matching lines, newest first, one a snippet (none with `group`).
    pub hits: Vec<Hit>,
    /// With `group`: alike hits across sessions, most sessions first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<HitGroup>,
    /// Counts, limits reached, and warnings.
    pub stats: Stats,
}

impl GrepResult {
    /// Builds the answer from hits sorted newest first: the first `max_results` distinct snippets (each
    /// counting its older `repeats`) that fit under [`MAX_ANSWER_CHARS`], setting `hits_returned` and
    /// `truncated`.
    pub(crate) fn fitted(sorted: Vec<Hit>, mut stats: Stats, max_results: usize) -> GrepResult {
        stats.warnings.sort();
        stats.warnings.truncate(MAX_WARNINGS);
        let hits = fit(distinct(sorted, max_results), &stats);
        stats.hits_returned = hits.len();
        let covered: u64 = hits.iter().map(|h| 1 + h.repeats).sum();
        stats.truncated = stats.cancelled || covered < stats.matching_lines;
        GrepResult {
            hits,
            groups: Vec::new(),
            stats,
        }
    }

    /// Builds the answer of a grouped search from hits sorted newest first: the first `max_groups`
    /// groups that fit under [`MAX_ANSWER_CHARS`].
    pub(crate) fn grouped(sorted: Vec<Hit>, mut stats: Stats, max_groups: usize) -> GrepResult {
        stats.warnings.sort();
        stats.warnings.truncate(MAX_WARNINGS);
        let pooled = sorted.len();
        let (mut groups, ungrouped) = group::group(sorted);
        let formed = groups.len();
        groups.truncate(max_groups);
        let groups = fit(groups, &stats);
        let grouped: usize = groups.iter().map(|g| g.hits).sum();
        stats.hits_returned = groups.iter().map(|g| g.examples.len()).sum();
        stats.truncated = stats.cancelled
            || (pooled as u64) < stats.matching_lines
            || groups.len() < formed
            || ungrouped > 0
            || grouped < pooled;
        GrepResult {
            hits: Vec::new(),
            groups,
            stats,
        }
    }
}

/// The first `max` distinct snippets of `sorted` (newest first), each counting the older hits with the
/// same snippet in its `repeats`.
fn distinct(sorted: Vec<Hit>, max: usize) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::with_capacity(max.min(sorted.len()));
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for hit in sorted {
        match at.get(&hit.snippet) {
            Some(&i) => out[i].repeats += 1,
            None if out.len() < max => {
                at.insert(hit.snippet.clone(), out.len());
                out.push(hit);
            }
            None => {}
        }
    }
    out
}

/// The first of `items` that fit, with `stats`, under [`MAX_ANSWER_CHARS`].
fn fit<T: Serialize>(items: Vec<T>, stats: &Stats) -> Vec<T> {
    // Room for the counters still to be filled in, whose digits change the size a little.
    const SLACK: usize = 64;
    let mut used = json_len(&GrepResult {
        hits: Vec::new(),
        groups: Vec::new(),
        stats: stats.clone(),
    }) + SLACK;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let len = json_len(&item) + 1;
        if used + len > MAX_ANSWER_CHARS {
            break;
        }
        used += len;
        out.push(item);
    }
    out
}

fn json_len<T: Serialize>(v: &T) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(n: usize, snippet_len: usize) -> Hit {
        Hit {
            session_id: Some("s".into()),
            uuid: Some(format!("u{n}")),
            timestamp: None,
            date: None,
            role: Role::User,
            kind: Kind::Text,
            snippet: format!("{n} {}", "x".repeat(snippet_len)),
            file: "s.jsonl".into(),
            line: n as u64,
            repeats: 0,
        }
    }

    #[test]
    fn a_hit_leaves_out_only_what_every_ordinary_hit_repeats() {
        let plain = serde_json::to_value(hit(1, 3)).unwrap();
        assert_eq!(plain["session"], "s");
        assert_eq!(plain["uuid"], "u1");
        assert_eq!(plain["line"], 1);
        for absent in ["session_id", "file", "kind", "repeats", "date"] {
            assert_eq!(plain.get(absent), None, "{absent} in {plain}");
        }
        let other = Hit {
            kind: Kind::ToolResult,
            file: "../app-sub/s.jsonl".into(),
            repeats: 2,
            ..hit(2, 3)
        };
        let v = serde_json::to_value(other).unwrap();
        assert_eq!(v["kind"], "tool_result");
        assert_eq!(v["file"], "../app-sub/s.jsonl");
        assert_eq!(v["repeats"], 2);
        let nameless = Hit {
            session_id: None,
            ..hit(3, 3)
        };
        let v = serde_json::to_value(nameless).unwrap();
        assert_eq!(
            v["file"], "s.jsonl",
            "without a session the file names the line"
        );
    }

    #[test]
    fn the_answer_stays_under_the_cap_and_says_it_was_truncated() {
        let hits: Vec<Hit> = (0..200).map(|n| hit(n, 2000)).collect();
        let stats = Stats {
            matching_lines: 200,
            ..Stats::default()
        };
        let r = GrepResult::fitted(hits, stats, 200);
        let len = serde_json::to_string(&r).unwrap().len();
        assert!(len <= MAX_ANSWER_CHARS, "{len}");
        assert!(r.stats.truncated);
        assert_eq!(r.stats.hits_returned, r.hits.len());
        assert!(r.hits.len() > 10 && r.hits.len() < 200);
        assert_eq!(r.hits[0].line, 0, "keeps the first (newest) hits");
    }

    #[test]
    fn small_answers_are_whole() {
        let hits: Vec<Hit> = (0..3).map(|n| hit(n, 10)).collect();
        let stats = Stats {
            matching_lines: 3,
            ..Stats::default()
        };
        let r = GrepResult::fitted(hits, stats, 10);
        assert_eq!(r.hits.len(), 3);
        assert!(!r.stats.truncated);
    }

    #[test]
    fn repeated_snippets_are_one_hit_counting_the_rest() {
        let mut hits: Vec<Hit> = (0..6).map(|n| hit(n, 10)).collect();
        for h in &mut hits {
            h.snippet = if h.line == 4 { "other" } else { "same" }.into();
        }
        let stats = Stats {
            matching_lines: 6,
            ..Stats::default()
        };
        let r = GrepResult::fitted(hits, stats, 10);
        let shown: Vec<(u64, u64)> = r.hits.iter().map(|h| (h.line, h.repeats)).collect();
        assert_eq!(
            shown,
            [(0, 4), (4, 0)],
            "the newest of each snippet, with its repeats"
        );
        assert!(
            !r.stats.truncated,
            "every matching line is shown or counted"
        );
        let r = GrepResult::fitted(
            (0..6).map(|n| hit(n, 1)).collect(),
            Stats {
                matching_lines: 6,
                ..Stats::default()
            },
            2,
        );
        assert_eq!(r.hits.len(), 2);
        assert!(
            r.stats.truncated,
            "distinct snippets past max_results are left out"
        );
    }
}
