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
    /// The file part of a local target (without `#anchor`), or `None` for URLs, pure anchors and files
    /// outside the memory directory.
    pub fn local_file(&self) -> Option<&str> {
        let t = self.target.trim();
        if t.contains("://") || t.starts_with("mailto:") || t.starts_with('#') || t.is_empty() {
            return None;
        }
        if is_outside(t) {
            return None;
        }
        Some(t.split('#').next().unwrap_or(t))
    }

    /// Whether the target is a file outside the memory directory (`~/.claude/knowledge/x.md`, `/etc/x`,
    /// `D:\notes\x.md`, `../x.md`).
    pub fn is_outside(&self) -> bool {
        is_outside(self.target.trim())
    }
}

/// Whether `target` names a place outside the memory directory: home, absolute, a drive, or `..`.
pub fn is_outside(target: &str) -> bool {
    let b = target.as_bytes();
    target.starts_with(['~', '/', '\\'])
        || target.starts_with("../")
        || target.starts_with("..\\")
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
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
    /// Whether the line is inside an HTML comment (`<!-- ... -->`), which is not memory content.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_comment: bool,
    /// A file outside the memory directory the line points at (a Markdown link target, or a path
    /// written plainly like `~/.claude/knowledge/x.md` or `D:\notes\x.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside: Option<String>,
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
    /// not a heading, not an HTML comment, has no link and points at no file outside the memory.
    pub fn is_content(&self) -> bool {
        let t = self.text.trim();
        !t.is_empty()
            && !t.starts_with('#')
            && !self.in_comment
            && self.links.is_empty()
            && self.outside.is_none()
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
        let mut in_comment = false;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            offset += raw.len();
            let body = raw.trim_end_matches('\n').trim_end_matches('\r');
            let fence =
                body.trim_start().starts_with("```") || body.trim_start().starts_with("~~~");
            let quoted = in_fence || fence;
            in_fence ^= fence;
            let (comment, still_open) = comment_state(in_comment, body);
            in_comment = still_open;
            let links = if quoted || comment {
                Vec::new()
            } else {
                links(body)
            };
            let outside = if quoted || comment {
                None
            } else {
                links
                    .iter()
                    .find(|l| l.is_outside())
                    .map(|l| l.target.clone())
                    .or_else(|| links.is_empty().then(|| plain_outside_path(body)).flatten())
            };
            lines.push(IndexLine {
                line: i + 1,
                text: body.to_string(),
                links,
                loaded: i < MAX_LINES && offset <= MAX_BYTES,
                end: offset,
                in_comment: comment,
                outside,
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
                let folder = file.ends_with('/') || dir.root().join(file).is_dir();
                let reason = match dir.resolve(file, Access::Read) {
                    _ if folder => Some(
                        "it is a directory, not a topic file: link the file inside it that holds the memory"
                            .to_string(),
                    ),
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

/// Whether a line is wholly inside an HTML comment, given whether one was open before it, and whether
/// one is open after it. A line with text outside the comment is not a comment line.
fn comment_state(open_before: bool, line: &str) -> (bool, bool) {
    let mut open = open_before;
    let mut outside_text = false;
    let mut rest = line;
    loop {
        if open {
            match rest.find("-->") {
                Some(i) => {
                    open = false;
                    rest = &rest[i + 3..];
                }
                None => break,
            }
        } else {
            let (text, after) = match rest.find("<!--") {
                Some(i) => (&rest[..i], Some(&rest[i + 4..])),
                None => (rest, None),
            };
            outside_text |= !text.trim().is_empty();
            match after {
                Some(a) => {
                    open = true;
                    rest = a;
                }
                None => break,
            }
        }
    }
    let touched = open_before || open || line.contains("<!--");
    (touched && !outside_text, open)
}

/// A path outside the memory written plainly on a list line: `~/.claude/knowledge/x.md`, `/srv/x.md`,
/// `D:\notes\x.md`.
fn plain_outside_path(line: &str) -> Option<String> {
    let t = line.trim_start();
    let item = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
    item.split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')')
        .find(|w| {
            let b = w.as_bytes();
            let drive = b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\';
            (w.starts_with("~/") || (w.starts_with('/') && w[1..].contains('/')) || drive)
                && w.contains('.')
        })
        .map(|w| w.trim_end_matches([';', ',', '.', ':']).to_string())
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
/// frontmatter, every link to an existing topic file inside the memory directory; warns on long entries
/// and unlinked files.
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
    // An existing index may point outside (a pointer, reported as such); a new one written by the tools
    // links only topic files inside the memory directory, so those links are refused with the path rule.
    let mut dead = index.dead_links(dir);
    for line in &index.lines {
        for link in line.links.iter().filter(|l| l.is_outside()) {
            let reason = match dir.resolve(&link.target, Access::Read) {
                Err(e) => e.to_string(),
                Ok(_) => {
                    "outside the memory directory; the index links only topic files".to_string()
                }
            };
            dead.push(DeadLink {
                line: line.line,
                target: link.target.clone(),
                reason,
            });
        }
    }
    dead.sort_by_key(|d| d.line);
    for dead in dead {
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

/// A `[[wiki-link]]` in a memory file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WikiLink {
    /// 1-based line number.
    pub line: usize,
    /// The target as written (without `|alias` or `#heading`).
    pub target: String,
}

/// Every `[[target]]`, `[[target|alias]]` and `[[target#heading]]` in `text`, outside fenced code and
/// inline code spans.
pub fn wiki_links(text: &str) -> Vec<WikiLink> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        let mut ticks = 0;
        while let Some(open) = rest.find("[[") {
            ticks += rest[..open].matches('`').count();
            let after = &rest[open + 2..];
            let Some(close) = after.find("]]") else { break };
            let inner = &after[..close];
            let target = inner.split(['|', '#']).next().unwrap_or("").trim();
            if ticks % 2 == 0 && !target.is_empty() && !inner.contains('[') {
                out.push(WikiLink {
                    line: i + 1,
                    target: target.to_string(),
                });
            }
            ticks += inner.matches('`').count();
            rest = &after[close + 2..];
        }
    }
    out
}

/// Resolves wiki-links the way Claude Code does: by frontmatter `name`, by file stem, `-` and `_` alike,
/// case-insensitive; also by the stem without its `feedback_` / `project_` / `reference_` / `user_`
/// prefix, and by a heading of the linking file itself.
#[derive(Debug, Default)]
pub struct WikiResolver {
    keys: HashMap<String, String>,
}

/// A wiki-link target in the form it is compared in.
fn wiki_key(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace('_', "-")
        .trim_end_matches(".md")
        .to_string()
}

impl WikiResolver {
    /// A resolver over the topic files `(path, name)`.
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> WikiResolver {
        let mut keys = HashMap::new();
        let mut weak = Vec::new();
        for (path, name) in files {
            let stem = path.trim_end_matches(".md");
            let base = stem.rsplit('/').next().unwrap_or(stem);
            for k in [Some(stem), Some(base), name].into_iter().flatten() {
                keys.entry(wiki_key(k)).or_insert_with(|| path.to_string());
            }
            for prefix in ["feedback", "project", "reference", "user"] {
                if let Some(rest) = wiki_key(base).strip_prefix(&format!("{prefix}-")) {
                    weak.push((rest.to_string(), path.to_string()));
                }
            }
        }
        for (k, path) in weak {
            keys.entry(k).or_insert(path);
        }
        WikiResolver { keys }
    }

    /// The topic file `target` names, if any.
    pub fn resolve(&self, target: &str) -> Option<&str> {
        self.keys.get(&wiki_key(target)).map(String::as_str)
    }

    /// The headings of `text` in the form links are compared in: a link to one of them is a link within
    /// the file. Built once a file, so a file of many links is not scanned once a link.
    pub fn headings_of(text: &str) -> HeadingKeys {
        HeadingKeys(
            text.lines()
                .filter_map(|l| l.trim_start().strip_prefix('#'))
                .map(|h| wiki_key(h.trim_start_matches('#')))
                .collect(),
        )
    }
}

/// The headings of one file, as [`WikiResolver::headings_of`] keys them.
#[derive(Debug, Default)]
pub struct HeadingKeys(std::collections::HashSet<String>);

impl HeadingKeys {
    /// Whether `target` names one of the headings.
    pub fn names(&self, target: &str) -> bool {
        self.0.contains(&wiki_key(target))
    }
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
    fn wiki_links_resolve_by_name_stem_and_prefixless_stem() {
        let text = "See [[reference-gsim-xml]] and [[project-829-calibration|the run]].\n\
                    `[[not-a-link]]` and [[finish-the-job]] and [[Aller jusqu'au bout]]\n\
                    ```\n[[in-code]]\n```\n[[deploy]]\n";
        let links: Vec<(usize, String)> = wiki_links(text)
            .into_iter()
            .map(|l| (l.line, l.target))
            .collect();
        assert_eq!(
            links,
            [
                (1, "reference-gsim-xml".to_string()),
                (1, "project-829-calibration".to_string()),
                (2, "finish-the-job".to_string()),
                (2, "Aller jusqu'au bout".to_string()),
                (6, "deploy".to_string()),
            ]
        );
        let r = WikiResolver::new([
            ("reference_gsim_xml_config.md", Some("reference-gsim-xml")),
            ("project_829_calibration.md", Some("Calibration run")),
            ("feedback_finish_the_job.md", None),
        ]);
        assert_eq!(
            r.resolve("reference-gsim-xml"),
            Some("reference_gsim_xml_config.md")
        );
        assert_eq!(
            r.resolve("project-829-calibration"),
            Some("project_829_calibration.md")
        );
        assert_eq!(
            r.resolve("calibration run"),
            Some("project_829_calibration.md")
        );
        assert_eq!(
            r.resolve("finish-the-job"),
            Some("feedback_finish_the_job.md")
        );
        assert_eq!(r.resolve("deploy"), None);
        let headings = WikiResolver::headings_of("x\n## Aller jusqu'au bout\n#no-space\n");
        assert!(headings.names("Aller jusqu'au bout"));
        assert!(headings.names("no-space"));
        assert!(!headings.names("x"));
    }

    #[test]
    fn html_comments_and_outside_pointers_are_not_content() {
        let idx = Index::parse(
            "<!-- maintained by hand\n- keep this\n-->\n- [K](~/.claude/knowledge/k.md) — shared\n\
             - D:\\notes\\team.md has the rest\n- [A](a.md) — reads /etc/redis/redis.conf;\n<!-- a --> text after\nPrefers tabs.\n",
        );
        let content: Vec<usize> = idx
            .lines
            .iter()
            .filter(|l| l.is_content())
            .map(|l| l.line)
            .collect();
        assert_eq!(content, [7, 8]);
        assert_eq!(idx.lines[5].outside, None);
        assert!(idx.lines[..3].iter().all(|l| l.in_comment));
        assert_eq!(
            idx.lines[3].outside.as_deref(),
            Some("~/.claude/knowledge/k.md")
        );
        assert_eq!(idx.lines[3].links[0].local_file(), None);
        assert_eq!(idx.lines[4].outside.as_deref(), Some("D:\\notes\\team.md"));
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
