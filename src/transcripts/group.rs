//! Hits grouped by similar text across sessions (`group: true`): what the user said in several
//! sessions (a correction made three times, a request repeated) is the strongest candidate for a
//! feedback memory.
//!
//! A hit's words are its snippet's, lower-cased, split on anything not a letter or digit, common English
//! words and one-letter words dropped. Hits, newest first, join the first group whose first hit shares at
//! least [`SIMILAR_PERCENT`] of their words together (Jaccard similarity), else start a group. The work
//! is bounded: at most [`POOL`] hits are grouped and [`MAX_GROUPS`] groups kept, so a pattern matching
//! everything costs the same as one matching a pool's worth.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use super::result::Hit;
use crate::findings::is_stopword;

/// How many of the newest hits are grouped.
pub const POOL: usize = 2_000;
/// Most groups formed; a hit like none of them is counted in `ungrouped`.
const MAX_GROUPS: usize = 500;
/// Two hits are alike when their shared words are at least this percentage of all their words.
pub const SIMILAR_PERCENT: usize = 40;
/// Most example hits a group shows (one per session, newest first); `sessions` counts all.
pub const MAX_EXAMPLES: usize = 5;

/// Hits of similar text, across sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HitGroup {
    /// Distinct sessions the text occurs in.
    pub sessions: usize,
    /// Hits in the group.
    pub hits: usize,
    /// The day of the oldest hit (YYYY-MM-DD, UTC).
    pub first_date: Option<String>,
    /// The day of the newest hit.
    pub last_date: Option<String>,
    /// One hit per session and snippet, newest first (at most 5); `repeats` counts the other sessions
    /// with the same snippet.
    pub examples: Vec<Hit>,
}

/// The groups of `hits` (newest first), most sessions first, then newest; and how many hits fit no
/// group once [`MAX_GROUPS`] were formed.
pub fn group(hits: Vec<Hit>) -> (Vec<HitGroup>, usize) {
    struct Forming {
        words: BTreeSet<String>,
        sessions: BTreeSet<String>,
        group: HitGroup,
    }
    let mut groups: Vec<Forming> = Vec::new();
    let mut ungrouped = 0;
    for hit in hits.into_iter().take(POOL) {
        let words = words(&hit.snippet);
        let session = hit.session_id.clone().unwrap_or_else(|| hit.file.clone());
        let found = groups
            .iter()
            .position(|g| !words.is_empty() && similar(&g.words, &words));
        let at = match found {
            Some(at) => at,
            None if groups.len() < MAX_GROUPS => {
                groups.push(Forming {
                    words,
                    sessions: BTreeSet::new(),
                    group: HitGroup {
                        sessions: 0,
                        hits: 0,
                        first_date: hit.date.clone(),
                        last_date: hit.date.clone(),
                        examples: Vec::new(),
                    },
                });
                groups.len() - 1
            }
            None => {
                ungrouped += 1;
                continue;
            }
        };
        let g = &mut groups[at];
        g.group.hits += 1;
        if hit.date.is_some() {
            g.group.first_date = hit.date.clone();
        }
        if g.sessions.insert(session) {
            g.group.sessions += 1;
            let examples = &mut g.group.examples;
            if let Some(same) = examples.iter_mut().find(|e| e.snippet == hit.snippet) {
                same.repeats += 1;
            } else if examples.len() < MAX_EXAMPLES {
                examples.push(hit);
            }
        }
    }
    let mut out: Vec<HitGroup> = groups.into_iter().map(|g| g.group).collect();
    // Stable: among groups with as many sessions, the newest (formed first) stays first.
    out.sort_by_key(|g| std::cmp::Reverse(g.sessions));
    (out, ungrouped)
}

/// The words of a snippet, as the module says (the match markers and redactions are not words).
fn words(snippet: &str) -> BTreeSet<String> {
    snippet
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1)
        .map(str::to_lowercase)
        .filter(|w| !is_stopword(w) && w != "redacted")
        .collect()
}

/// Whether `a` and `b` share at least [`SIMILAR_PERCENT`] of their union.
fn similar(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    union > 0 && shared * 100 >= SIMILAR_PERCENT * union
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcripts::record::{Kind, Role};

    fn hit(session: &str, date: &str, snippet: &str) -> Hit {
        Hit {
            session_id: Some(session.to_string()),
            uuid: Some(format!("{session}-{date}")),
            timestamp: Some(format!("{date}T10:00:00Z")),
            date: Some(date.to_string()),
            role: Role::User,
            kind: Kind::Text,
            snippet: snippet.to_string(),
            file: format!("{session}.jsonl"),
            line: 1,
            repeats: 0,
        }
    }

    #[test]
    fn a_correction_repeated_in_three_sessions_is_one_group_counting_them() {
        let hits = vec![
            hit(
                "c",
                "2026-03-03",
                "«no», use pnpm not npm for installing packages here",
            ),
            hit(
                "x",
                "2026-03-02",
                "the «deploy» script failed on staging again",
            ),
            hit(
                "b",
                "2026-03-02",
                "«no» - use pnpm, not npm, when installing packages",
            ),
            hit(
                "b",
                "2026-03-02",
                "«no», use pnpm not npm for installing the packages",
            ),
            hit(
                "a",
                "2026-03-01",
                "«no» use pnpm instead of npm for installing packages",
            ),
        ];
        let (groups, ungrouped) = group(hits);
        assert_eq!(ungrouped, 0);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        let g = &groups[0];
        assert_eq!((g.sessions, g.hits), (3, 4));
        assert_eq!(g.first_date.as_deref(), Some("2026-03-01"));
        assert_eq!(g.last_date.as_deref(), Some("2026-03-03"));
        let sessions: Vec<_> = g
            .examples
            .iter()
            .filter_map(|h| h.session_id.as_deref())
            .collect();
        assert_eq!(
            sessions,
            ["c", "b", "a"],
            "one example a session, newest first"
        );
        assert_eq!(groups[1].sessions, 1);
    }

    #[test]
    fn the_same_snippet_in_several_sessions_is_one_example_counting_them() {
        let said = "«no», use pnpm not npm for installing packages here";
        let hits = vec![
            hit("c", "2026-03-03", said),
            hit("b", "2026-03-02", said),
            hit(
                "a",
                "2026-03-01",
                "«no» use pnpm instead of npm for installing packages",
            ),
            hit("z", "2026-02-28", said),
        ];
        let (groups, _) = group(hits);
        assert_eq!(groups.len(), 1, "{groups:#?}");
        let g = &groups[0];
        assert_eq!((g.sessions, g.hits), (4, 4));
        let shown: Vec<(&str, u64)> = g
            .examples
            .iter()
            .map(|h| (h.session_id.as_deref().unwrap_or_default(), h.repeats))
            .collect();
        assert_eq!(shown, [("c", 2), ("a", 0)]);
    }

    #[test]
    fn past_the_group_limit_unlike_hits_are_counted_not_kept() {
        let hits: Vec<Hit> = (0..MAX_GROUPS + 3)
            .map(|i| {
                hit(
                    &format!("s{i}"),
                    "2026-03-01",
                    &format!("word{i} other{i} thing{i}"),
                )
            })
            .collect();
        let (groups, ungrouped) = group(hits);
        assert_eq!(groups.len(), MAX_GROUPS);
        assert_eq!(ungrouped, 3);
    }
}
