//! `contradiction`: the same subject with conflicting state or value in two places, within the memory or
//! against the project's CLAUDE.md:
//! - an item (a PR or issue number) said to be open / pending / not merged in one place and merged /
//!   shipped / closed / done in another, the state written right next to it (`PR #554 merged`,
//!   `#711 OPEN`);
//! - two values for the same setting: `port 5432` / `port 5433`, `API_URL=a` / `API_URL=b`.
//!
//! Feedback rules that CLAUDE.md contradicts in words (not as an item state or a setting) are not found yet.
//!
//! Each finding names both places and, when a date is known on both sides (on the lines, or for two
//! files their modification dates), which looks newer, so the model can keep the newer one after checking it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::text::{Doc, LazyRegex, dates};
use super::{ContradictionEvidence, Evidence, Finding, Kind, Location, Severity};

/// An item with its state right after it.
static ITEM_STATE: LazyRegex = LazyRegex::new(concat!(
    r"(?i)(?P<item>(?:PR|pull request|issue|MR)\s*#?\d+|#\d{2,})",
    r"[\s:*—–-]{0,4}(?:is\s+|was\s+|now\s+)?(?P<state>",
    r"(?P<open>open|pending|in\s+progress|not\s+(?:yet\s+)?(?:merged|committed|shipped|done)|unmerged|draft|wip)",
    r"|(?P<done>merged|shipped|closed|done|complete|completed|fixed|resolved|landed|deployed|removed))(?-u:\b)"
));

/// A setting with its value: `port 5432`, `port: 5432`, `KEY=value`.
static SETTING: LazyRegex = LazyRegex::new(concat!(
    r"(?i)(?-u:\b)(?P<key>port)s?\s*[:=]?\s*(?P<num>\d{2,5})(?-u:\b)",
    r"|(?-i:(?-u:\b)(?P<env>[A-Z][A-Z0-9_]{2,})=(?P<val>[A-Za-z0-9_./:-]+)(?:[\s`'\x22,;)]|$))"
));

/// The name a finding gives the project's CLAUDE.md (it is not a memory file).
pub(crate) const PROJECT_CLAUDE_MD: &str = "(project) CLAUDE.md";

struct Claim {
    subject: String,
    value: String,
    file: String,
    line: usize,
    /// What a location quotes of the line (its first 160 characters).
    text: String,
    /// The date on the line, if any.
    date: Option<NaiveDate>,
    /// The file's modification date, if known.
    modified: Option<NaiveDate>,
}

/// The contradictions among `docs` (the memory's files; a doc named [`PROJECT_CLAUDE_MD`] stands for the
/// project's instructions, compared with the memory but not with itself).
#[cfg(test)]
fn check<'a>(docs: impl IntoIterator<Item = &'a Doc<'a>>) -> Vec<Finding> {
    let mut claims = Claims::default();
    for doc in docs {
        claims.add(doc);
    }
    claims.finish()
}

/// The item states and settings stated so far, by subject, kept apart from the texts they were read in:
/// [`Claims::add`] reads one doc at a time, so a large memory's texts need not be held together.
#[derive(Default)]
pub(crate) struct Claims(BTreeMap<String, Vec<Claim>>);

impl Claims {
    /// Adds what `doc` states (in the order [`check`] reads the docs).
    pub(crate) fn add(&mut self, doc: &Doc) {
        for line in doc.body() {
            if line.in_code {
                continue;
            }
            let date = dates(line.text).last().map(|(_, d)| d);
            let mut push = |subject: String, value: String| {
                self.0.entry(subject.clone()).or_default().push(Claim {
                    subject,
                    value,
                    file: doc.file.to_string(),
                    line: line.number,
                    text: line.text.chars().take(160).collect(),
                    date,
                    modified: doc.modified,
                });
            };
            if let Some(re) = ITEM_STATE.get() {
                for c in re.captures_iter(line.text) {
                    let Some(item) = c.name("item") else { continue };
                    let state = if c.name("open").is_some() {
                        "open"
                    } else {
                        "done"
                    };
                    push(item_key(item.as_str()), state.to_string());
                }
            }
            if let Some(re) = SETTING.get() {
                for c in re.captures_iter(line.text) {
                    if let (Some(k), Some(v)) = (c.name("key"), c.name("num")) {
                        push(k.as_str().to_ascii_lowercase(), v.as_str().to_string());
                    } else if let (Some(k), Some(v)) = (c.name("env"), c.name("val"))
                        && !v.as_str().contains("...")
                    {
                        push(k.as_str().to_string(), v.as_str().to_string());
                    }
                }
            }
        }
    }

    /// The contradictions among the claims added.
    pub(crate) fn finish(self) -> Vec<Finding> {
        let mut out = Vec::new();
        for group in self.0.values() {
            // A line stating both sides ("#12 open -> merged") is a history, not a contradiction.
            let first = &group[0];
            let Some(other) = group.iter().find(|c| {
                c.value != first.value && !(c.file == first.file && c.line == first.line)
            }) else {
                continue;
            };
            if first.file == PROJECT_CLAUDE_MD && other.file == PROJECT_CLAUDE_MD {
                continue;
            }
            let same_line_both = group
                .iter()
                .any(|c| c.file == other.file && c.line == other.line && c.value == first.value);
            if same_line_both {
                continue;
            }
            out.push(finding(first, other));
        }
        out
    }
}

/// `PR #12`, `pull request 12`, `#12` all name item 12.
fn item_key(item: &str) -> String {
    let n: String = item.chars().filter(char::is_ascii_digit).collect();
    format!("#{n}")
}

fn finding(a: &Claim, b: &Claim) -> Finding {
    // Dates on the lines decide; the files' modification dates only for two files.
    let (x, y) = match (a.date, b.date) {
        (Some(x), Some(y)) => (Some(x), Some(y)),
        _ if a.file != b.file => (a.date.or(a.modified), b.date.or(b.modified)),
        _ => (None, None),
    };
    let newer = match (x, y) {
        (Some(x), Some(y)) if x != y => Some(usize::from(y > x)),
        _ => None,
    };
    let loc = |c: &Claim| Location {
        file: c.file.to_string(),
        line: c.line,
        text: c.text.clone(),
    };
    let newer_words = match newer {
        Some(i) => {
            let c = if i == 0 { a } else { b };
            format!("; {}:{} looks newer", c.file, c.line)
        }
        None => String::new(),
    };
    Finding {
        kind: Kind::Contradiction,
        severity: Severity::Warning,
        file: a.file.to_string(),
        line: a.line,
        message: format!(
            "`{}` is {} here and {} at {}:{}{newer_words}",
            a.subject, a.value, b.value, b.file, b.line
        ),
        suggestion: Some(
            "check which is true now (the project, the transcripts), keep that one with its date and fix or drop the other"
                .to_string(),
        ),
        evidence: Some(Box::new(Evidence::Contradiction(ContradictionEvidence {
            subject: a.subject.clone(),
            locations: vec![loc(a), loc(b)],
            values: vec![a.value.clone(), b.value.clone()],
            newer,
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(files: &[(&str, &str, &str)]) -> Vec<(String, String, Vec<String>, Option<usize>)> {
        let docs: Vec<Doc> = files
            .iter()
            .map(|(name, text, modified)| Doc::new(name, text, modified.parse().ok(), false))
            .collect();
        check(&docs)
            .into_iter()
            .map(|f| match f.evidence.map(|e| *e) {
                Some(Evidence::Contradiction(e)) => (
                    e.subject,
                    e.locations
                        .iter()
                        .map(|l| format!("{}:{}", l.file, l.line))
                        .collect::<Vec<_>>()
                        .join(" "),
                    e.values,
                    e.newer,
                ),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn patterns_compile() {
        assert!(ITEM_STATE.get().is_some() && SETTING.get().is_some());
    }

    #[test]
    fn an_item_open_in_one_place_and_done_in_another() {
        let f = found(&[
            (
                "a.md",
                "- PR #554 is open, waiting on review\n",
                "2026-07-01",
            ),
            (
                "b.md",
                "- 2026-07-09: PR #554 merged\n- #600 open\n",
                "2026-07-10",
            ),
        ]);
        assert_eq!(
            f,
            [(
                "#554".to_string(),
                "a.md:1 b.md:1".to_string(),
                vec!["open".to_string(), "done".to_string()],
                Some(1)
            )]
        );
    }

    #[test]
    fn two_values_for_one_setting() {
        let f = found(&[
            (
                "db.md",
                "- Postgres on port 5432\n- API_URL=https://a.test\n- path=/x user=root\n",
                "",
            ),
            (
                "ops.md",
                "- the db listens on port: 5433\n- API_URL=https://a.test\n- path=/y user=app\n",
                "",
            ),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "port");
        assert_eq!(f[0].2, ["5432", "5433"]);
        assert_eq!(f[0].3, None);
    }

    #[test]
    fn the_project_claude_md_is_compared_with_the_memory_not_with_itself() {
        let f = found(&[
            ("db.md", "- dev server on port 3000\n", ""),
            (
                PROJECT_CLAUDE_MD,
                "- Run the dev server on port 8080.\n- port 9090 for metrics\n",
                "",
            ),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].1, format!("db.md:1 {PROJECT_CLAUDE_MD}:1"));
        let own = found(&[(PROJECT_CLAUDE_MD, "- port 1\n- port 2\n", "")]);
        assert_eq!(own, []);
    }

    #[test]
    fn agreement_and_history_on_one_line_are_not_contradictions() {
        let f = found(&[
            (
                "a.md",
                "- PR #12 merged\n- #12 open -> #12 merged (same day)\n",
                "",
            ),
            (
                "b.md",
                "- PR #12 merged 2026-07-01\n- port 80 here\n- port 80 there\n",
                "",
            ),
        ]);
        assert_eq!(f, []);
    }
}
