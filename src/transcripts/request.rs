//! What a search asks for ([`GrepRequest`], shared by the MCP tool and the CLI) and its checked, compiled
//! form ([`Query`]).

use std::collections::HashSet;
use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Deserialize;

use super::error::GrepError;
use super::pattern::Matchers;
use super::preset::{self, Preset};
use super::scope::{RoleFilter, Scope};

/// Hits returned when `max_results` is not given.
pub const DEFAULT_MAX_RESULTS: usize = 10;
/// Most hits one answer returns, whatever `max_results` says.
pub const MAX_RESULTS_LIMIT: usize = 200;
/// Characters of context on each side of a match when `context_chars` is not given.
pub const DEFAULT_CONTEXT_CHARS: usize = 80;
/// Most characters of context on each side of a match, whatever `context_chars` says.
pub const MAX_CONTEXT_CHARS: usize = 1000;
/// How many of the newest hits an ungrouped search reads to fill `max_results` with distinct snippets.
pub const DISTINCT_POOL: usize = 500;
/// Longest accepted session id.
const MAX_SESSION_ID: usize = 64;

/// A transcript search as the tool and the CLI take it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrepRequest {
    /// Rust regex over message text. This or `preset`.
    pub pattern: Option<String>,
    /// A named pattern; `remember` reads the user's words, `errors` tool output too.
    pub preset: Option<Preset>,
    /// Ignore case.
    #[serde(default)]
    pub case_insensitive: bool,
    /// Whose words (default user and assistant, or the preset's).
    pub role: Option<RoleFilter>,
    /// Only from this time: `YYYY-MM-DD` or RFC 3339.
    pub since: Option<String>,
    /// Only these session ids.
    #[serde(default)]
    pub sessions: Vec<String>,
    /// Only sessions written since the last consolidation.
    #[serde(default)]
    pub since_last_dream: bool,
    /// Also search tool calls and results (default: for `errors` only).
    pub include_tool_output: Option<bool>,
    /// Most hits (default 10, at most 200).
    pub max_results: Option<usize>,
    /// Characters each side of the match (default 80, at most 1000).
    pub context_chars: Option<usize>,
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// Group alike hits across sessions, most sessions first.
    #[serde(default)]
    pub group: bool,
}

/// A checked, compiled request, ready to run over a transcripts directory.
#[derive(Debug)]
pub struct Query {
    pub(crate) matchers: Matchers,
    pub(crate) scope: Scope,
    /// Records before this time (ms since the epoch) are skipped.
    pub(crate) since_ms: Option<i64>,
    /// When `since_last_dream` was asked: the last consolidation, if there was one.
    pub(crate) last_dream: Option<Option<SystemTime>>,
    pub(crate) sessions: Option<HashSet<String>>,
    pub(crate) max_results: usize,
    pub(crate) context_chars: usize,
    /// Whether hits are grouped ([`super::group`]); `max_results` then counts groups.
    pub(crate) group: bool,
    /// Whether the pattern is a preset's (the answer then does not repeat it).
    pub(crate) preset: bool,
}

impl Query {
    /// Checks and compiles `req`. `last_consolidation` is the time `since_last_dream` means (the lock's
    /// mtime before any dream now running took it; `None` when there was never a consolidation).
    pub fn new(
        req: &GrepRequest,
        last_consolidation: Option<SystemTime>,
    ) -> Result<Query, GrepError> {
        let (pattern, preset) = match (&req.pattern, req.preset) {
            (Some(p), None) => (p.as_str(), None),
            (None, Some(p)) => (p.pattern(), Some(p)),
            _ => {
                return Err(GrepError::PatternOrPreset {
                    presets: preset::names(),
                });
            }
        };
        let matchers = Matchers::new(pattern, req.case_insensitive)?;
        let scope = Scope {
            role: req.role.or(preset.and_then(Preset::default_role)),
            tool_output: req
                .include_tool_output
                .unwrap_or(preset.is_some_and(Preset::default_tool_output)),
        };
        let since = req.since.as_deref().map(parse_since).transpose()?;
        let sessions = if req.sessions.is_empty() {
            None
        } else {
            for id in &req.sessions {
                check_session_id(id)?;
            }
            Some(req.sessions.iter().cloned().collect())
        };
        let last_dream = req.since_last_dream.then_some(last_consolidation);
        Ok(Query {
            matchers,
            scope,
            since_ms: since.map(|t| t.timestamp_millis()),
            last_dream,
            sessions,
            max_results: req
                .max_results
                .unwrap_or(DEFAULT_MAX_RESULTS)
                .clamp(1, MAX_RESULTS_LIMIT),
            context_chars: req
                .context_chars
                .unwrap_or(DEFAULT_CONTEXT_CHARS)
                .min(MAX_CONTEXT_CHARS),
            group: req.group,
            preset: preset.is_some(),
        })
    }

    /// How many of the newest hits the search keeps: the pool grouping reads, or the pool the answer's
    /// distinct snippets are taken from.
    pub(crate) fn kept(&self) -> usize {
        if self.group {
            super::group::POOL
        } else {
            DISTINCT_POOL
        }
    }

    /// Whether a transcript last modified at `mtime` can hold records this query wants: files written
    /// before `since`, or not since the last consolidation, are skipped without being read.
    pub(crate) fn wants_file(&self, mtime: SystemTime) -> bool {
        let ms = DateTime::<Utc>::from(mtime).timestamp_millis();
        self.since_ms.is_none_or(|s| ms >= s) && self.last_dream.flatten().is_none_or(|t| mtime > t)
    }

    /// The regular expression actually searched (the preset's, when one was named).
    pub fn pattern(&self) -> &str {
        self.matchers.source()
    }
}

/// Parses `since`: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
pub fn parse_since(input: &str) -> Result<DateTime<Utc>, GrepError> {
    let s = input.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| GrepError::Since {
            input: input.to_string(),
        })
}

fn check_session_id(id: &str) -> Result<(), GrepError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_SESSION_ID
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(GrepError::SessionId { id: id.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcripts::record::{Kind, Role};

    fn query(req: GrepRequest) -> Result<Query, GrepError> {
        Query::new(&req, None)
    }

    #[test]
    fn exactly_one_of_pattern_or_preset() {
        let both = GrepRequest {
            pattern: Some("x".into()),
            preset: Some(Preset::Errors),
            ..GrepRequest::default()
        };
        let err = query(both).unwrap_err().to_string();
        assert!(
            err.contains("exactly one") && err.contains("corrections"),
            "{err}"
        );
        assert!(query(GrepRequest::default()).is_err());
    }

    #[test]
    fn since_accepts_dates_and_rfc3339_and_names_bad_input() {
        assert_eq!(
            parse_since("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-03-01T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        let err = parse_since("yesterday").unwrap_err().to_string();
        assert!(
            err.contains("\"yesterday\"") && err.contains("YYYY-MM-DD"),
            "{err}"
        );
    }

    #[test]
    fn caps_are_applied_to_limits() {
        let q = query(GrepRequest {
            pattern: Some("x".into()),
            max_results: Some(100_000),
            context_chars: Some(100_000),
            ..GrepRequest::default()
        })
        .unwrap();
        assert_eq!(
            (q.max_results, q.context_chars),
            (MAX_RESULTS_LIMIT, MAX_CONTEXT_CHARS)
        );
    }

    #[test]
    fn bad_session_ids_are_refused() {
        let err = query(GrepRequest {
            pattern: Some("x".into()),
            sessions: vec!["../etc".into()],
            ..GrepRequest::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("\"../etc\""));
    }

    #[test]
    fn default_scope_is_the_user_and_assistant_text() {
        let q = query(GrepRequest {
            pattern: Some("x".into()),
            ..GrepRequest::default()
        })
        .unwrap();
        assert!(q.scope.admits(Role::User, Kind::Text));
        assert!(q.scope.admits(Role::Assistant, Kind::Text));
        assert!(!q.scope.admits(Role::Assistant, Kind::Thinking));
        assert!(!q.scope.admits(Role::Assistant, Kind::ToolUse));
        assert!(!q.scope.admits(Role::Tool, Kind::ToolResult));
        assert!(!q.scope.admits(Role::System, Kind::Summary));
    }

    #[test]
    fn presets_bring_their_defaults_and_explicit_values_win() {
        let q = query(GrepRequest {
            preset: Some(Preset::Errors),
            ..GrepRequest::default()
        })
        .unwrap();
        assert!(q.scope.admits(Role::Tool, Kind::ToolResult));
        let q = query(GrepRequest {
            preset: Some(Preset::Errors),
            include_tool_output: Some(false),
            ..GrepRequest::default()
        })
        .unwrap();
        assert!(!q.scope.admits(Role::Tool, Kind::ToolResult));
        let q = query(GrepRequest {
            preset: Some(Preset::Corrections),
            ..GrepRequest::default()
        })
        .unwrap();
        assert!(q.scope.admits(Role::User, Kind::Text));
        assert!(!q.scope.admits(Role::Assistant, Kind::Text));
    }
}
