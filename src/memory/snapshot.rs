//! A snapshot of a memory directory: every topic file read and parsed once, and the index facts
//! derived from it, shared by the inventory and the findings so neither reads the directory twice.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::digest::sha256_hex;
use super::dir::{MemoryDir, MemoryPath, Skipped};
use super::frontmatter::{self, Parsed};
use super::index::{self, DeadLink, Index, IndexLine};
use crate::error::{Error, Result};

/// One topic file with its frontmatter and the facts needed to decide what to do with it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TopicFile {
    /// Path relative to the memory directory.
    pub path: String,
    /// Frontmatter `name`, if any.
    pub name: Option<String>,
    /// Frontmatter `description`, if any.
    pub description: Option<String>,
    /// Frontmatter `type` as written (`user`, `feedback`, `project` or `reference` when valid).
    pub memory_type: Option<String>,
    /// Whether `memory_type` is one of the four valid types.
    pub type_valid: bool,
    /// Whether the file starts with a complete frontmatter block.
    pub has_frontmatter: bool,
    /// Number of lines.
    pub lines: usize,
    /// Size in bytes.
    pub bytes: u64,
    /// Last modification time, RFC 3339 in UTC.
    pub modified: String,
    /// SHA-256 of the content; pass it as `expected_sha256` when changing the file.
    pub sha256: String,
    /// Whether MEMORY.md links to it.
    pub linked_from_index: bool,
}

/// An index entry (a list item with a link).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexEntry {
    /// 1-based line number.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// The first link's target.
    pub target: String,
}

/// MEMORY.md's size against Claude Code's loading limits, and its identity.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexSize {
    /// Whether MEMORY.md exists.
    pub exists: bool,
    /// Number of lines.
    pub lines: usize,
    /// Size in bytes.
    pub bytes: usize,
    /// Claude Code's line limit (200).
    pub max_lines: usize,
    /// Claude Code's byte limit (25,000).
    pub max_bytes: usize,
    /// Whether the index is over either limit, so its newest lines are silently not loaded.
    pub over_limit: bool,
    /// SHA-256 of MEMORY.md (empty when it does not exist): `expected_sha256` for rewrite_index.
    pub sha256: String,
}

/// The state of MEMORY.md against Claude Code's loading limits.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexSummary {
    /// Size, limits and hash.
    #[serde(flatten)]
    pub size: IndexSize,
    /// Entries (list items with links), in order.
    pub entries: Vec<IndexEntry>,
    /// Lines Claude Code cuts today, with their numbers.
    pub cut_lines: Vec<IndexEntry>,
    /// Links that lead to no existing topic file.
    pub dead_links: Vec<DeadLink>,
    /// Topic files no index line links to.
    pub orphans: Vec<String>,
}

fn entry(line: &IndexLine) -> IndexEntry {
    IndexEntry {
        line: line.line,
        text: line.text.clone(),
        target: line
            .links
            .first()
            .map(|l| l.target.clone())
            .unwrap_or_default(),
    }
}

/// A topic file read and parsed once, shared by the inventory and the findings.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// Where it is.
    pub path: MemoryPath,
    /// Its text (lossily decoded when it is not valid UTF-8).
    pub text: String,
    /// Its summary for the inventory.
    pub summary: TopicFile,
}

/// Everything read from a memory directory in one pass.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every readable topic file, sorted by path.
    pub files: Vec<LoadedFile>,
    /// The bytes of MEMORY.md, when it exists.
    pub index: Option<Vec<u8>>,
    /// MEMORY.md's modification time, when it exists.
    pub index_modified: Option<SystemTime>,
    /// MEMORY.md's size when it exists but the tools cannot read it (over the size cap); `index` is then
    /// `None` and the reason is in `skipped`.
    pub index_unread_bytes: Option<u64>,
    /// Entries the tools leave alone, with reasons (including topic files too large to read).
    pub skipped: Vec<Skipped>,
}

/// Reads every topic file and the index.
///
/// One file the tools cannot read (over the size cap, replaced by a symlink, or removed since the listing)
/// does not hide the others: it is reported in `skipped`, or left out when it is gone. The same holds for
/// MEMORY.md itself, so an index grown past the cap is reported rather than failing the whole inventory.
pub fn load(dir: &MemoryDir) -> Result<Loaded> {
    let listing = dir.list()?;
    let mut skipped = listing.skipped;
    let mut files = Vec::with_capacity(listing.files.len());
    for path in listing.files {
        let bytes = match dir.read(&path) {
            Ok(bytes) => bytes,
            Err(Error::NotFound { .. }) => continue,
            Err(Error::ContentRefused { rule, .. } | Error::PathRefused { rule, .. }) => {
                skipped.push(Skipped {
                    path: path.to_string(),
                    reason: rule,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let modified = dir
            .meta(&path)?
            .map(|m| DateTime::<Utc>::from(m.modified).to_rfc3339())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let fm = match frontmatter::parse(&text) {
            Parsed::Present(fm) => Some(fm),
            _ => None,
        };
        let summary = TopicFile {
            path: path.to_string(),
            name: fm.as_ref().and_then(|f| f.name.clone()),
            description: fm.as_ref().and_then(|f| f.description.clone()),
            memory_type: fm.as_ref().and_then(|f| f.type_raw.clone()),
            type_valid: fm
                .as_ref()
                .and_then(frontmatter::Frontmatter::memory_type)
                .is_some(),
            has_frontmatter: fm.is_some(),
            lines: text.lines().count(),
            bytes: bytes.len() as u64,
            modified,
            sha256: sha256_hex(&bytes),
            linked_from_index: false,
        };
        files.push(LoadedFile {
            path,
            text,
            summary,
        });
    }
    let index_meta = dir.meta(&MemoryPath::index())?;
    let (index, index_unread_bytes) = match dir.read_opt(&MemoryPath::index()) {
        Ok(bytes) => (bytes, None),
        Err(Error::ContentRefused { rule, .. } | Error::PathRefused { rule, .. }) => {
            skipped.push(Skipped {
                path: MemoryPath::index().to_string(),
                reason: rule,
            });
            (None, index_meta.as_ref().map(|m| m.len))
        }
        Err(e) => return Err(e),
    };
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Loaded {
        files,
        index,
        index_modified: index_meta.map(|m| m.modified),
        index_unread_bytes,
        skipped,
    })
}

/// The topic files a `[[wiki-link]]` in the index or in another topic file points at: such a file is
/// reachable, so it is no orphan.
fn wiki_linked(loaded: &Loaded) -> std::collections::HashSet<&str> {
    let resolver = index::WikiResolver::new(
        loaded
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.summary.name.as_deref())),
    );
    let index_text = loaded.index.as_deref().map(String::from_utf8_lossy);
    let mut linked = std::collections::HashSet::new();
    let sources = loaded
        .files
        .iter()
        .map(|f| (Some(f.path.as_str()), f.text.as_str()))
        .chain(index_text.as_deref().map(|t| (None, t)));
    for (from, text) in sources {
        for link in index::wiki_links(text) {
            if let Some(to) = resolver.resolve(&link.target)
                && Some(to) != from
                && let Some(f) = loaded.files.iter().find(|f| f.path.as_str() == to)
            {
                linked.insert(f.path.as_str());
            }
        }
    }
    linked
}

/// Works out the index facts of a snapshot: its size against the limits, entries, the lines Claude Code
/// cuts, dead links and orphans. Marks each file's `linked_from_index` on the way.
pub fn index_summary(
    dir: &MemoryDir,
    loaded: &Loaded,
    index: &Index,
    summaries: &mut [TopicFile],
) -> IndexSummary {
    let index_bytes = loaded.index.as_deref();
    let wiki_linked = wiki_linked(loaded);
    let mut orphans = Vec::new();
    let linked = index.linked_files();
    for (file, summary) in loaded.files.iter().zip(summaries.iter_mut()) {
        summary.linked_from_index = linked.contains(file.path.as_str());
        if !summary.linked_from_index && !wiki_linked.contains(file.path.as_str()) {
            orphans.push(summary.path.clone());
        }
    }
    let unread = loaded
        .index_unread_bytes
        .map(|b| usize::try_from(b).unwrap_or(usize::MAX));
    IndexSummary {
        size: IndexSize {
            exists: index_bytes.is_some() || unread.is_some(),
            lines: index.lines.len(),
            bytes: unread.unwrap_or(index.bytes),
            max_lines: index::MAX_LINES,
            max_bytes: index::MAX_BYTES,
            over_limit: index.over_limits() || unread.is_some_and(|b| b > index::MAX_BYTES),
            sha256: index_bytes.map(sha256_hex).unwrap_or_default(),
        },
        entries: index
            .lines
            .iter()
            .filter(|l| l.is_entry())
            .map(entry)
            .collect(),
        cut_lines: index.cut_lines().map(entry).collect(),
        dead_links: index.dead_links(dir),
        orphans,
    }
}
