//! The inventory of a memory directory: what the Orient phase needs in one call.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::frontmatter::{self, Parsed};
use crate::index::{self, DeadLink, Index, IndexLine};
use crate::memory_dir::{MemoryDir, MemoryPath, Skipped};

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

/// The state of MEMORY.md against Claude Code's loading limits.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexSummary {
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
    /// SHA-256 of MEMORY.md (empty when it does not exist).
    pub sha256: String,
    /// Entries (list items with links), in order.
    pub entries: Vec<IndexEntry>,
    /// Lines Claude Code cuts today, with their numbers.
    pub cut_lines: Vec<IndexEntry>,
    /// Links that lead to no existing topic file.
    pub dead_links: Vec<DeadLink>,
    /// Topic files no index line links to.
    pub orphans: Vec<String>,
}

/// Everything `list_memory` and `dream-mcp check` report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Inventory {
    /// The memory directory (canonical).
    pub memory_dir: String,
    /// The index's state.
    pub index: IndexSummary,
    /// Every topic file, sorted by path.
    pub files: Vec<TopicFile>,
    /// Entries the tools leave alone (folders, symlinks, other file types), with reasons.
    pub skipped: Vec<Skipped>,
}

impl Inventory {
    /// Whether the index has problems that lose information: over a limit, or dead links.
    pub fn index_has_problems(&self) -> bool {
        self.index.over_limit || !self.index.dead_links.is_empty()
    }
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
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Every readable topic file, sorted by path.
    pub files: Vec<LoadedFile>,
    /// The bytes of MEMORY.md, when it exists.
    pub index: Option<Vec<u8>>,
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
    let index = match dir.read_opt(&MemoryPath::index()) {
        Ok(bytes) => bytes,
        Err(Error::ContentRefused { rule, .. } | Error::PathRefused { rule, .. }) => {
            skipped.push(Skipped {
                path: MemoryPath::index().to_string(),
                reason: rule,
            });
            None
        }
        Err(e) => return Err(e),
    };
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Loaded {
        files,
        index,
        skipped,
    })
}

/// Builds the inventory of `dir`.
pub fn inventory(dir: &MemoryDir) -> Result<Inventory> {
    let loaded = load(dir)?;
    Ok(build(
        dir,
        &loaded.files,
        loaded.index.as_deref(),
        loaded.skipped,
    ))
}

/// Builds the inventory from files already loaded (so callers that also compute findings read once).
pub fn build(
    dir: &MemoryDir,
    files: &[LoadedFile],
    index_bytes: Option<&[u8]>,
    skipped: Vec<Skipped>,
) -> Inventory {
    let index_text = index_bytes.map(String::from_utf8_lossy);
    let index = Index::parse(index_text.as_deref().unwrap_or(""));
    let mut summaries: Vec<TopicFile> = files.iter().map(|f| f.summary.clone()).collect();
    // An index the tools cannot read (over the size cap) is still there, and over Claude Code's limits.
    let unread_index_bytes = skipped
        .iter()
        .any(|s| s.path == crate::memory_dir::INDEX_NAME)
        .then(|| dir.meta(&MemoryPath::index()).ok().flatten())
        .flatten()
        .map(|m| usize::try_from(m.len).unwrap_or(usize::MAX));
    let mut orphans = Vec::new();
    for (file, summary) in files.iter().zip(summaries.iter_mut()) {
        summary.linked_from_index = !index.lines_linking(&file.path).is_empty();
        if !summary.linked_from_index {
            orphans.push(summary.path.clone());
        }
    }
    Inventory {
        memory_dir: dir.root().display().to_string(),
        index: IndexSummary {
            exists: index_bytes.is_some() || unread_index_bytes.is_some(),
            lines: index.lines.len(),
            bytes: unread_index_bytes.unwrap_or(index.bytes),
            max_lines: index::MAX_LINES,
            max_bytes: index::MAX_BYTES,
            over_limit: index.over_limits()
                || unread_index_bytes.is_some_and(|b| b > index::MAX_BYTES),
            sha256: index_bytes.map(sha256_hex).unwrap_or_default(),
            entries: index
                .lines
                .iter()
                .filter(|l| l.is_entry())
                .map(entry)
                .collect(),
            cut_lines: index.cut_lines().map(entry).collect(),
            dead_links: index.dead_links(dir),
            orphans,
        },
        files: summaries,
        skipped,
    }
}
