//! `MEMORY.md`, the index Claude Code loads at every session start: its limits, its entries and links, and
//! the rules a new index must meet before `rewrite_index` writes it.

use std::collections::HashMap;

use serde::Serialize;

use crate::memory::dir::{Access, MemoryDir, MemoryPath};

/// Claude Code loads only this many lines of the index; the rest is cut silently.
pub const MAX_LINES: usize = 200;
/// Claude Code loads at most this many bytes of the index.
pub const MAX_BYTES: usize = 25_000;
/// An entry longer than this (in characters) should be shortened.
pub const LONG_ENTRY_CHARS: usize = 150;
/// An entry longer than this is carrying content that belongs in a topic file.
pub const VERY_LONG_ENTRY_CHARS: usize = 200;

/// A Markdown link `[title](target)` found on an index line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Link {
    /// The link text.
    pub title: String,
    /// The link target as written (anchors included).
    pub target: String,
}

impl Link {
    /// The file part of a local target (without `#anchor`), or `None` for URLs and pure anchors.
    pub fn local_file(&self) -> Option<&str> {
        let t = self.target.trim();
        if t.contains("://") || t.starts_with("mailto:") || t.starts_with('#') || t.is_empty() {
            return None;
        }
        Some(t.split('#').next().unwrap_or(t))
    }
}

/// One line of the index.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexLine {
    /// 1-based line number.
    pub line: usize,
    /// The text, without the line ending.
    pub text: String,
    /// Links on this line.
    pub links: Vec<Link>,
    /// Whether Claude Code loads this line (within the first 200 lines and 25,000 bytes).
    pub loaded: bool,
    /// Byte offset just past this line and its line ending.
    pub end: usize,
}

impl IndexLine {
    /// Whether this line is an index entry: a list item carrying at least one link.
    pub fn is_entry(&self) -> bool {
        let t = self.text.trim_start();
        (t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ "))
            && !self.links.is_empty()
    }

    /// Length in characters, the unit of the entry-length guidance.
    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }

    /// How this line's length compares with the entry-length guidance.
    pub fn length(&self) -> Length {
        match self.chars() {
            n if n > VERY_LONG_ENTRY_CHARS => Length::VeryLong,
            n if n > LONG_ENTRY_CHARS => Length::Long,
            _ => Length::Fine,
        }
    }

    /// Whether this line carries memory content instead of pointing at a topic file: it is not blank,
    /// not a heading, and has no link.
    pub fn is_content(&self) -> bool {
        let t = self.text.trim();
        !t.is_empty() && !t.starts_with('#') && self.links.is_empty()
    }
}

/// An index line's length against the guidance: one line per entry, aiming under [`LONG_ENTRY_CHARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// At most [`LONG_ENTRY_CHARS`].
    Fine,
    /// Over [`LONG_ENTRY_CHARS`]: worth shortening.
    Long,
    /// Over [`VERY_LONG_ENTRY_CHARS`]: carrying detail that belongs in the topic file.
    VeryLong,
}

/// A parsed index.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Every line, in order.
    pub lines: Vec<IndexLine>,
    /// Total size in bytes.
    pub bytes: usize,
    /// Whether the file starts with a `---` frontmatter block (the index must not have one).
    pub has_frontmatter: bool,
}

impl Index {
    /// Parses index text, marking which lines Claude Code would load.
    pub fn parse(text: &str) -> Index {
        let mut lines = Vec::new();
        let mut offset = 0usize;
        let mut in_fence = false;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            offset += raw.len();
            let body = raw.trim_end_matches('\n').trim_end_matches('\r');
            let fence =
                body.trim_start().starts_with("```") || body.trim_start().starts_with("~~~");
            let quoted = in_fence || fence;
            in_fence ^= fence;
            lines.push(IndexLine {
                line: i + 1,
                text: body.to_string(),
                links: if quoted { Vec::new() } else { links(body) },
                loaded: i < MAX_LINES && offset <= MAX_BYTES,
                end: offset,
            });
        }
        Index {
            lines,
            bytes: text.len(),
            has_frontmatter: text.trim_start_matches('\u{feff}').starts_with("---"),
        }
    }

    /// Whether the index is over either limit, so some lines are not loaded.
    pub fn over_limits(&self) -> bool {
        self.lines.len() > MAX_LINES || self.bytes > MAX_BYTES
    }

    /// Lines Claude Code cuts today (the newest entries, since the index grows by appending).
    pub fn cut_lines(&self) -> impl Iterator<Item = &IndexLine> {
        self.lines.iter().filter(|l| !l.loaded)
    }

    /// The first line cut because it ends past [`MAX_BYTES`], whatever the line limit does.
    pub fn first_line_past_bytes(&self) -> Option<&IndexLine> {
        self.lines.iter().find(|l| l.end > MAX_BYTES)
    }

    /// Local files linked from more than one line, each with those lines' numbers, in order of first link.
    pub fn repeated_links(&self) -> Vec<(&str, Vec<usize>)> {
        let mut by_file: Vec<(&str, Vec<usize>)> = Vec::new();
        let mut slot: HashMap<&str, usize> = HashMap::new();
        for line in &self.lines {
            for file in line.links.iter().filter_map(Link::local_file) {
                let i = *slot.entry(file).or_insert_with(|| {
                    by_file.push((file, Vec::new()));
                    by_file.len() - 1
                });
                let lines = &mut by_file[i].1;
                if lines.last() != Some(&line.line) {
                    lines.push(line.line);
                }
            }
        }
        by_file.retain(|(_, lines)| lines.len() > 1);
        by_file
    }

    /// Lines whose links point at `path`.
    pub fn lines_linking(&self, path: &MemoryPath) -> Vec<&IndexLine> {
        self.lines
            .iter()
            .filter(|l| {
                l.links
                    .iter()
                    .any(|k| k.local_file() == Some(path.as_str()))
            })
            .collect()
    }

    /// Every topic file some line links to, for checking many files in one pass (instead of
    /// [`Index::lines_linking`] per file, which reads the whole index each time).
    pub fn linked_files(&self) -> std::collections::HashSet<&str> {
        self.lines
            .iter()
            .flat_map(|l| l.links.iter().filter_map(|k| k.local_file()))
            .collect()
    }

    /// Every local link that does not resolve to an existing topic file, with the reason.
    pub fn dead_links(&self, dir: &MemoryDir) -> Vec<DeadLink> {
        let mut dead = Vec::new();
        for line in &self.lines {
            for link in &line.links {
                let Some(file) = link.local_file() else {
                    continue;
                };
                let reason = match dir.resolve(file, Access::Read) {
                    Ok(p) if p.is_index() => Some("points at MEMORY.md itself".to_string()),
                    Ok(p) if !dir.exists(&p) => Some("the file does not exist".to_string()),
                    Ok(_) => None,
                    Err(e) => Some(e.to_string()),
                };
                if let Some(reason) = reason {
                    dead.push(DeadLink {
                        line: line.line,
                        target: link.target.clone(),
                        reason,
                    });
                }
            }
        }
        dead
    }
}

/// A link in the index that leads nowhere.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeadLink {
    /// 1-based line number in MEMORY.md.
    pub line: usize,
    /// The target as written.
    pub target: String,
    /// Why it is dead.
    pub reason: String,
}

/// What `rewrite_index` found wrong (refuses) or worth saying (writes anyway).
#[derive(Debug, Default)]
pub struct Review {
    /// Violations: any one refuses the write. Each names its line.
    pub violations: Vec<String>,
    /// Warnings: the write goes ahead.
    pub warnings: Vec<String>,
}

/// Checks a proposed index against the rules: at most [`MAX_LINES`] lines and [`MAX_BYTES`] bytes, no
/// frontmatter, every local link to an existing topic file; warns on long entries and unlinked files.
pub fn review(text: &str, dir: &MemoryDir, topic_files: &[MemoryPath]) -> Review {
    let index = Index::parse(text);
    let mut r = Review::default();
    if index.lines.len() > MAX_LINES {
        r.violations.push(format!(
            "{} lines: at most {MAX_LINES} load; lines {}-{} would be cut",
            index.lines.len(),
            MAX_LINES + 1,
            index.lines.len()
        ));
    }
    if index.bytes > MAX_BYTES {
        let first_cut = index.first_line_past_bytes().map_or(0, |l| l.line);
        r.violations.push(format!(
            "{} bytes: at most {MAX_BYTES} load; line {first_cut} onward would be cut",
            index.bytes
        ));
    }
    if index.has_frontmatter {
        r.violations
            .push("line 1: the index has no frontmatter; start with the entries".to_string());
    }
    for dead in index.dead_links(dir) {
        r.violations.push(format!(
            "line {}: link to {:?}: {}",
            dead.line, dead.target, dead.reason
        ));
    }
    for line in &index.lines {
        let chars = line.chars();
        match line.length() {
            Length::VeryLong => r.warnings.push(format!(
                "line {}: {chars} characters; move the detail into the topic file and keep a one-line pointer",
                line.line
            )),
            Length::Long => r.warnings.push(format!(
                "line {}: {chars} characters; aim for under {LONG_ENTRY_CHARS}",
                line.line
            )),
            Length::Fine => {}
        }
    }
    for file in topic_files {
        if index.lines_linking(file).is_empty() {
            r.warnings
                .push(format!("{file} is not linked from the new index (orphan)"));
        }
    }
    r
}

/// Finds `[title](target)` links in one line, skipping images and inline code spans.
pub fn links(line: &str) -> Vec<Link> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut in_code = false;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => in_code = !in_code,
            b'[' if !in_code && (i == 0 || bytes[i - 1] != b'!') => {
                if let Some((link, next)) = link_at(line, i) {
                    out.push(link);
                    i = next;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Parses a link starting at the `[` at byte `start`; returns it and the byte after its `)`.
fn link_at(line: &str, start: usize) -> Option<(Link, usize)> {
    let rest = &line[start + 1..];
    let close = rest.find("](")?;
    let title = &rest[..close];
    if title.contains('[') {
        return None;
    }
    let after = &rest[close + 2..];
    let end = after.find(')')?;
    let target = after[..end].trim();
    let target = target.split_whitespace().next().unwrap_or("");
    let target = target.trim_start_matches('<').trim_end_matches('>');
    let next = start + 1 + close + 2 + end + 1;
    Some((
        Link {
            title: title.to_string(),
            target: target.to_string(),
        },
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_but_not_images_or_code() {
        let l = links(
            "- [Build](build.md) — see `[x](y.md)` and ![img](a.png) [Docs](https://x.io/a.md#b)",
        );
        let targets: Vec<&str> = l.iter().map(|k| k.target.as_str()).collect();
        assert_eq!(targets, ["build.md", "https://x.io/a.md#b"]);
        assert_eq!(l[0].local_file(), Some("build.md"));
        assert_eq!(l[1].local_file(), None);
    }

    #[test]
    fn links_inside_fenced_code_are_not_links() {
        let idx = Index::parse("- [A](a.md)\n```\n- [B](b.md)\n```\n- [C](c.md)\n");
        let targets: Vec<&str> = idx
            .lines
            .iter()
            .flat_map(|l| l.links.iter().map(|k| k.target.as_str()))
            .collect();
        assert_eq!(targets, ["a.md", "c.md"]);
    }

    #[test]
    fn marks_lines_past_the_line_limit_as_cut() {
        let text: String = (1..=205).map(|i| format!("- [E{i}](e{i}.md)\n")).collect();
        let idx = Index::parse(&text);
        assert!(idx.over_limits());
        let cut: Vec<usize> = idx.cut_lines().map(|l| l.line).collect();
        assert_eq!(cut, (201..=205).collect::<Vec<_>>());
    }

    #[test]
    fn marks_lines_past_the_byte_limit_as_cut() {
        let line = format!("- [x](x.md) {}\n", "y".repeat(987)); // 1,000 bytes per line
        let text = line.repeat(30);
        let idx = Index::parse(&text);
        assert_eq!(idx.lines.len(), 30);
        assert_eq!(idx.cut_lines().next().map(|l| l.line), Some(26));
        assert!(idx.lines[24].loaded);
    }
}
