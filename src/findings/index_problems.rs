//! Index findings: what is wrong with MEMORY.md as Claude Code loads it. The rules live in
//! [`crate::memory::index`]; this module turns them into findings.
//!
//! - `over_line_limit` / `over_byte_limit`: lines past 200 or 25,000 bytes are cut silently, and since the
//!   index grows by appending, they are the newest entries.
//! - `dead_link`: a link to a topic file that is not there.
//! - `orphan`: a topic file no index line links to, so no session is pointed at it.
//! - `not_a_pointer`: a line carrying memory content instead of a link to where it lives.
//! - `long_entry`: a pointer line over 150 characters; over 200, detail that belongs in the topic file.
//! - `duplicate_link`: a topic file linked from several lines; one entry per file is enough.
//! - `frontmatter`: the index starts with a frontmatter block, which it must not have.

use crate::memory::dir::INDEX_NAME;
use crate::memory::index::{
    Index, LONG_ENTRY_CHARS, Length, MAX_BYTES, MAX_LINES, VERY_LONG_ENTRY_CHARS,
};
use crate::memory::snapshot::IndexSummary;

use super::{CutEvidence, Evidence, Finding, Kind, LinesEvidence, Severity};

/// How many line numbers a `duplicate_link` or `long_entry` message names (the evidence lists them all).
const LINES_NAMED: usize = 6;

/// Claude Code starts warning at this share of a loading limit.
const WARN_PERCENT: usize = 80;

/// The findings about MEMORY.md (`index`, summarised in `summary`).
pub(crate) fn check(index: &Index, summary: &IndexSummary) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |kind, severity, line, message: String, suggestion: &str| Finding {
        kind,
        severity,
        file: INDEX_NAME.to_string(),
        line,
        message,
        suggestion: Some(suggestion.to_string()),
        evidence: None,
    };
    let total = index.lines.len();
    if total > MAX_LINES {
        let mut f = at(
            Kind::OverLineLimit,
            Severity::Error,
            MAX_LINES + 1,
            format!(
                "MEMORY.md has {total} lines; Claude Code loads the first {MAX_LINES}, so lines {}-{total}, the newest entries, are cut silently",
                MAX_LINES + 1
            ),
            "merge entries and move detail into topic files until the index is well under 200 lines",
        );
        f.evidence = Some(Box::new(cut(index, MAX_LINES + 1)));
        out.push(f);
    }
    if let Some(first) = index.first_line_past_bytes() {
        let mut f = at(
            Kind::OverByteLimit,
            Severity::Error,
            first.line,
            format!(
                "MEMORY.md is {} bytes; Claude Code loads at most {MAX_BYTES}, so line {} onward is cut silently",
                index.bytes, first.line
            ),
            "shorten entries to one line each and move detail into topic files",
        );
        f.evidence = Some(Box::new(cut(index, first.line)));
        out.push(f);
    }
    if index.has_frontmatter {
        out.push(at(
            Kind::Frontmatter,
            Severity::Warning,
            1,
            "MEMORY.md starts with a frontmatter block; the index has none".to_string(),
            "remove the block; rewrite_index refuses an index that has one",
        ));
    }
    for dead in &summary.dead_links {
        out.push(at(
            Kind::DeadLink,
            Severity::Error,
            dead.line,
            format!("link to `{}`: {}", dead.target, dead.reason),
            "remove the entry, or point it at the file that holds that memory now",
        ));
    }
    for orphan in &summary.orphans {
        out.push(Finding {
            file: orphan.clone(),
            ..at(
                Kind::Orphan,
                Severity::Warning,
                1,
                "no line of MEMORY.md links to this file, so no session is pointed at it"
                    .to_string(),
                "add a one-line pointer to MEMORY.md, or merge the file into one that is linked",
            )
        });
    }
    for (file, lines) in index.repeated_links() {
        let mut list: Vec<String> = lines
            .iter()
            .take(LINES_NAMED)
            .map(ToString::to_string)
            .collect();
        if lines.len() > LINES_NAMED {
            list.push("...".to_string());
        }
        let mut f = at(
            Kind::DuplicateLink,
            Severity::Warning,
            lines[0],
            format!(
                "`{file}` is linked from {} lines ({})",
                lines.len(),
                list.join(", ")
            ),
            "keep one entry per topic file; fold what the other lines say into the file itself",
        );
        f.evidence = Some(Box::new(Evidence::Lines(LinesEvidence { lines })));
        out.push(f);
    }
    out.extend(content_blocks(index));
    for line in &index.lines {
        if let Some(target) = &line.outside {
            out.push(at(
                Kind::OutsidePointer,
                Severity::Info,
                line.line,
                format!("points at `{target}`, outside the memory directory"),
                "fine as a pointer; the dream's tools cannot read or change that file, and recall never selects it",
            ));
        }
    }
    out.extend(long_entries(index));
    out
}

/// One `not_a_pointer` finding per block of consecutive content lines (a pasted paragraph is one
/// problem, not one per line).
fn content_blocks(index: &Index) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut block: Vec<usize> = Vec::new();
    let flush = |block: &mut Vec<usize>, out: &mut Vec<Finding>| {
        let Some(&first) = block.first() else { return };
        let message = match block.len() {
            1 => "content in the index instead of a pointer to a topic file".to_string(),
            n => format!(
                "{n} lines of content ({first}-{}) in the index instead of a pointer to a topic file",
                first + n - 1
            ),
        };
        out.push(Finding {
            kind: Kind::NotAPointer,
            severity: Severity::Warning,
            file: INDEX_NAME.to_string(),
            line: first,
            message,
            suggestion: Some(
                "move it into the topic file it belongs to (the index holds only `- [Title](file.md) — hook` lines)"
                    .to_string(),
            ),
            evidence: Some(Box::new(Evidence::Lines(LinesEvidence {
                lines: std::mem::take(block),
            }))),
        });
    };
    for line in &index.lines {
        if line.is_content() && block.last().is_none_or(|&l| l + 1 == line.line) {
            block.push(line.line);
        } else {
            flush(&mut block, &mut out);
            if line.is_content() {
                block.push(line.line);
            }
        }
    }
    flush(&mut block, &mut out);
    out
}

/// Whether the index is within [`WARN_PERCENT`] of either loading limit, where every long entry costs
/// lines that are cut.
fn near_limits(index: &Index) -> bool {
    index.bytes * 100 >= MAX_BYTES * WARN_PERCENT
        || index.lines.len() * 100 >= MAX_LINES * WARN_PERCENT
}

/// Long entries: near the limits each one over [`VERY_LONG_ENTRY_CHARS`] is a warning of its own
/// (shortening them is what keeps the newest lines loaded); the others, and all of them in an index
/// with room to spare, are one info finding listing their lines, longest first.
fn long_entries(index: &Index) -> Vec<Finding> {
    let near = near_limits(index);
    let mut out = Vec::new();
    let mut rest: Vec<(usize, usize)> = Vec::new();
    for line in index.lines.iter().filter(|l| !l.is_content()) {
        let chars = line.chars();
        match line.length() {
            Length::VeryLong if near => out.push(Finding {
                kind: Kind::LongEntry,
                severity: Severity::Warning,
                file: INDEX_NAME.to_string(),
                line: line.line,
                message: format!(
                    "{chars} characters, over {VERY_LONG_ENTRY_CHARS}, in an index near its loading limit: this line carries content"
                ),
                suggestion: Some("move the detail to the topic file and keep a one-line pointer".to_string()),
                evidence: None,
            }),
            Length::VeryLong | Length::Long => rest.push((chars, line.line)),
            Length::Fine => {}
        }
    }
    if rest.is_empty() {
        return out;
    }
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let named: Vec<String> = rest
        .iter()
        .take(LINES_NAMED)
        .map(|(c, l)| format!("{l} ({c})"))
        .collect();
    out.push(Finding {
        kind: Kind::LongEntry,
        severity: Severity::Info,
        file: INDEX_NAME.to_string(),
        line: rest[0].1,
        message: format!(
            "{} entries over {LONG_ENTRY_CHARS} characters; longest: lines {}{}",
            rest.len(),
            named.join(", "),
            if rest.len() > LINES_NAMED {
                ", ..."
            } else {
                ""
            }
        ),
        suggestion: Some(
            "shorten each hook to what tells a session when to open the file".to_string(),
        ),
        evidence: Some(Box::new(Evidence::Lines(LinesEvidence {
            lines: rest.iter().map(|(_, l)| *l).collect(),
        }))),
    });
    out
}

/// What is lost from line `first` on: how many lines, and the topic files only those lines link to.
fn cut(index: &Index, first: usize) -> Evidence {
    let (kept, lost) = index
        .lines
        .split_at(first.saturating_sub(1).min(index.lines.len()));
    let linked_before = |file: &str| {
        kept.iter()
            .any(|l| l.links.iter().any(|k| k.local_file() == Some(file)))
    };
    let mut unreachable: Vec<String> = Vec::new();
    for file in lost
        .iter()
        .flat_map(|l| l.links.iter().filter_map(|k| k.local_file()))
    {
        if !linked_before(file) && !unreachable.iter().any(|u| u == file) {
            unreachable.push(file.to_string());
        }
    }
    Evidence::Cut(CutEvidence {
        first_line: first,
        last_line: index.lines.len(),
        lines_cut: lost.len(),
        files_linked_only_from_cut_lines: unreachable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory;
    use crate::memory::dir::MemoryDir;

    /// The index findings of a memory directory holding `files` (name, content).
    fn findings(files: &[(&str, &str)]) -> Vec<Finding> {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (name, content) in files {
            std::fs::write(tmp.path().join(name), content).unwrap_or_else(|e| panic!("{e}"));
        }
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let inv = inventory::inventory(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        let index = Index::parse(
            files
                .iter()
                .find(|f| f.0 == "MEMORY.md")
                .map_or("", |f| f.1),
        );
        check(&index, &inv.index)
    }

    fn kinds_at(found: &[Finding]) -> Vec<(Kind, usize)> {
        found.iter().map(|f| (f.kind, f.line)).collect()
    }

    const TOPIC: &str = "---\nname: a\ndescription: b\ntype: project\n---\nbody\n";

    #[test]
    fn a_tidy_index_has_no_findings() {
        let index = "# Memory\n\n## Build\n- [Build](a.md) — how to build\n\n## People\n- [Sam](b.md) — who Sam is\n";
        assert_eq!(
            kinds_at(&findings(&[
                ("MEMORY.md", index),
                ("a.md", TOPIC),
                ("b.md", TOPIC)
            ])),
            []
        );
    }

    #[test]
    fn reports_each_problem_on_its_line() {
        let long = format!("- [B](b.md) — {}", "x".repeat(160));
        let very_long = format!("- [A](a.md) — {}", "y".repeat(200));
        let index = format!(
            "---\ntitle: no\n---\n- [A](a.md) — a\n- [Gone](gone.md) — was here\nPrefers tabs.\n{long}\n{very_long}\n"
        );
        let found = findings(&[
            ("MEMORY.md", &index),
            ("a.md", TOPIC),
            ("b.md", TOPIC),
            ("c.md", TOPIC),
        ]);
        let mut got = kinds_at(&found);
        got.sort();
        let mut want = vec![
            (Kind::DeadLink, 5),
            (Kind::Orphan, 1),
            // The frontmatter block's three lines are one block of content.
            (Kind::NotAPointer, 1),
            (Kind::NotAPointer, 6),
            (Kind::DuplicateLink, 4),
            // A small index: the long entries are one info finding at the longest.
            (Kind::LongEntry, 8),
            (Kind::Frontmatter, 1),
        ];
        want.sort();
        assert_eq!(got, want);
        let orphan = found
            .iter()
            .find(|f| f.kind == Kind::Orphan)
            .map(|f| f.file.as_str());
        assert_eq!(orphan, Some("c.md"));
        let long: Vec<(Severity, Option<Box<Evidence>>)> = found
            .iter()
            .filter(|f| f.kind == Kind::LongEntry)
            .map(|f| (f.severity, f.evidence.clone()))
            .collect();
        assert_eq!(
            long,
            [(
                Severity::Info,
                Some(Box::new(Evidence::Lines(LinesEvidence {
                    lines: vec![8, 7]
                })))
            )]
        );
        let block = found
            .iter()
            .find(|f| f.kind == Kind::NotAPointer && f.line == 1);
        assert_eq!(
            block.and_then(|f| f.evidence.clone()),
            Some(Box::new(Evidence::Lines(LinesEvidence {
                lines: vec![1, 2, 3]
            })))
        );
        let repeated = found.iter().find(|f| f.kind == Kind::DuplicateLink);
        assert_eq!(
            repeated.and_then(|f| f.evidence.clone()),
            Some(Box::new(Evidence::Lines(LinesEvidence {
                lines: vec![4, 8]
            })))
        );
    }

    #[test]
    fn over_the_line_limit_names_the_files_only_cut_lines_link() {
        let mut index: String = (0..MAX_LINES).map(|_| "- [A](a.md) — a\n").collect();
        index.push_str("- [B](b.md) — newest\n- [A](a.md) — again\n");
        let found = findings(&[("MEMORY.md", &index), ("a.md", TOPIC), ("b.md", TOPIC)]);
        let over = found
            .iter()
            .find(|f| f.kind == Kind::OverLineLimit)
            .unwrap_or_else(|| panic!("{found:?}"));
        assert_eq!((over.severity, over.line), (Severity::Error, MAX_LINES + 1));
        assert_eq!(
            over.evidence,
            Some(Box::new(Evidence::Cut(CutEvidence {
                first_line: 201,
                last_line: 202,
                lines_cut: 2,
                files_linked_only_from_cut_lines: vec!["b.md".to_string()],
            })))
        );
        assert!(found.iter().all(|f| f.kind != Kind::OverByteLimit));
    }

    #[test]
    fn near_the_limits_each_very_long_entry_is_a_warning() {
        let very_long = format!("- [A](a.md) — {}\n", "v".repeat(300));
        let long = format!("- [A](a.md) — {}\n", "l".repeat(170));
        let index = format!("{}{long}", very_long.repeat(70));
        let found = findings(&[("MEMORY.md", &index), ("a.md", TOPIC)]);
        let long: Vec<(Severity, usize)> = found
            .iter()
            .filter(|f| f.kind == Kind::LongEntry)
            .map(|f| (f.severity, f.line))
            .collect();
        assert_eq!(long.len(), 71, "{long:?}");
        assert!(long[..70].iter().all(|(s, _)| *s == Severity::Warning));
        assert_eq!(long[70], (Severity::Info, 71));
    }

    #[test]
    fn outside_pointers_and_folder_links_are_named_as_such() {
        let index = "- [K](~/.claude/knowledge/k.md) — shared notes\n- [Team](team/) — team notes\n- [A](a.md) — a\n";
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("MEMORY.md"), index).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("a.md"), TOPIC).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(tmp.path().join("team")).unwrap_or_else(|e| panic!("{e}"));
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let inv = inventory::inventory(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        let found = check(&Index::parse(index), &inv.index);
        assert_eq!(
            kinds_at(&found),
            [(Kind::DeadLink, 2), (Kind::OutsidePointer, 1)]
        );
        assert!(
            found[0].message.contains("is a directory"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn over_the_byte_limit_points_at_the_first_line_cut() {
        let line = format!("- [A](a.md) — {}\n", "z".repeat(980));
        let index = line.repeat(30);
        let found = findings(&[("MEMORY.md", &index), ("a.md", TOPIC)]);
        let over: Vec<(Kind, usize)> = kinds_at(&found)
            .into_iter()
            .filter(|(k, _)| matches!(k, Kind::OverByteLimit | Kind::OverLineLimit))
            .collect();
        let first = 25_000 / line.len() + 1;
        assert_eq!(over, [(Kind::OverByteLimit, first)]);
    }
}
