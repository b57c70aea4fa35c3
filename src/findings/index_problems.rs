//! Index findings: what is wrong with MEMORY.md as Claude Code loads it. The rules live in
//! [`crate::index`]; this module turns them into findings.
//!
//! - `over_line_limit` / `over_byte_limit`: lines past 200 or 25,000 bytes are cut silently, and since the
//!   index grows by appending, they are the newest entries.
//! - `dead_link`: a link to a topic file that is not there.
//! - `orphan`: a topic file no index line links to, so no session is pointed at it.
//! - `not_a_pointer`: a line carrying memory content instead of a link to where it lives.
//! - `long_entry`: a pointer line over 150 characters; over 200, detail that belongs in the topic file.
//! - `duplicate_link`: a topic file linked from several lines; one entry per file is enough.
//! - `frontmatter`: the index starts with a frontmatter block, which it must not have.

use crate::index::{Index, LONG_ENTRY_CHARS, Length, MAX_BYTES, MAX_LINES, VERY_LONG_ENTRY_CHARS};
use crate::inventory::IndexSummary;
use crate::memory_dir::INDEX_NAME;

use super::{CutEvidence, Evidence, Finding, Kind, LinesEvidence, Severity};

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
        f.evidence = Some(cut(index, MAX_LINES + 1));
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
        f.evidence = Some(cut(index, first.line));
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
        let list: Vec<String> = lines.iter().map(ToString::to_string).collect();
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
        f.evidence = Some(Evidence::Lines(LinesEvidence { lines }));
        out.push(f);
    }
    for line in &index.lines {
        if line.is_content() {
            out.push(at(
                Kind::NotAPointer,
                Severity::Warning,
                line.line,
                "content in the index instead of a pointer to a topic file".to_string(),
                "move it into the topic file it belongs to (the index holds only `- [Title](file.md) — hook` lines)",
            ));
            continue;
        }
        let chars = line.chars();
        match line.length() {
            Length::VeryLong => out.push(at(
                Kind::LongEntry,
                Severity::Warning,
                line.line,
                format!(
                    "{chars} characters, over {VERY_LONG_ENTRY_CHARS}: this line carries content"
                ),
                "move the detail to the topic file and keep a one-line pointer",
            )),
            Length::Long => out.push(at(
                Kind::LongEntry,
                Severity::Info,
                line.line,
                format!("{chars} characters; entries aim for under {LONG_ENTRY_CHARS}"),
                "shorten the hook to what tells a session when to open the file",
            )),
            Length::Fine => {}
        }
    }
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
