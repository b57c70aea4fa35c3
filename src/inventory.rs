//! The inventory of a memory directory: what the Orient phase needs in one call.

use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::findings::{self, Finding, Severity};
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
    /// The project directory paths named in memories were checked against (absent: not checked).
    pub project_dir: Option<String>,
    /// What decayed: relative dates, stale paths, duplicates, index problems, frontmatter, credentials;
    /// errors first, each with its file, line, message, suggestion and evidence.
    pub findings: Vec<Finding>,
}

impl Inventory {
    /// Whether any finding is an error: index lines cut, dead links, or credentials stored in memory.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
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

/// Builds the inventory of `dir`, with its findings; paths named in memories are checked against
/// `project_dir`.
pub fn inventory(dir: &MemoryDir, project_dir: Option<&Path>) -> Result<Inventory> {
    Ok(build(dir, &load(dir)?, project_dir))
}

/// Builds the inventory and its findings from what [`load`] read.
pub fn build(dir: &MemoryDir, loaded: &Loaded, project_dir: Option<&Path>) -> Inventory {
    let index_bytes = loaded.index.as_deref();
    let files = &loaded.files;
    let index_text = index_bytes.map(String::from_utf8_lossy);
    let index = Index::parse(index_text.as_deref().unwrap_or(""));
    let mut summaries: Vec<TopicFile> = files.iter().map(|f| f.summary.clone()).collect();
    let mut orphans = Vec::new();
    for (file, summary) in files.iter().zip(summaries.iter_mut()) {
        summary.linked_from_index = !index.lines_linking(&file.path).is_empty();
        if !summary.linked_from_index {
            orphans.push(summary.path.clone());
        }
    }
    let unread = loaded
        .index_unread_bytes
        .map(|b| usize::try_from(b).unwrap_or(usize::MAX));
    let summary = IndexSummary {
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
    };
    let findings = findings::collect(&findings::Input {
        files,
        index_text: index_text.as_deref(),
        index: &index,
        index_modified: loaded.index_modified,
        summary: &summary,
        project_dir,
    });
    Inventory {
        memory_dir: dir.root().display().to_string(),
        index: summary,
        files: summaries,
        skipped: loaded.skipped.clone(),
        project_dir: project_dir.map(|p| p.display().to_string()),
        findings,
    }
}

/// Most topic files one `list_memory` answer lists by default.
pub const DEFAULT_FILES_LIMIT: usize = 100;
/// Most topic files one answer may list.
pub const MAX_FILES_LIMIT: usize = 500;
/// Most findings of each kind one answer carries by default (the counts always cover all of them).
pub const DEFAULT_FINDINGS_PER_KIND: usize = 5;
/// Most findings of each kind one answer may carry.
pub const MAX_FINDINGS_PER_KIND: usize = 200;

/// Most cut index lines one answer names (the rest follow them to the end of MEMORY.md).
pub const MAX_CUT_LINES_LISTED: usize = 50;

/// Which part of the inventory one answer carries, so a large memory directory still fits in the
/// model's context: a page of files and the first findings of each kind, with full counts.
#[derive(Debug, Clone, Copy)]
pub struct PageOptions {
    /// Index of the first topic file listed.
    pub files_offset: usize,
    /// How many topic files to list (capped at [`MAX_FILES_LIMIT`]).
    pub files_limit: usize,
    /// How many findings of each kind to include (capped at [`MAX_FINDINGS_PER_KIND`]).
    pub findings_per_kind: usize,
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions {
            files_offset: 0,
            files_limit: DEFAULT_FILES_LIMIT,
            findings_per_kind: DEFAULT_FINDINGS_PER_KIND,
        }
    }
}

/// An index line named by number and target only (the model reads MEMORY.md for the text).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LineRef {
    /// 1-based line number in MEMORY.md.
    pub line: usize,
    /// The line's first link target (empty when it has none).
    pub target: String,
}

/// MEMORY.md's state in numbers, for one answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexState {
    /// Size, limits and hash.
    #[serde(flatten)]
    pub size: IndexSize,
    /// Number of entries (list items with links).
    pub entries: usize,
    /// How many lines Claude Code cuts today.
    pub cut_lines_total: usize,
    /// The first of the lines Claude Code cuts today (at most 50; they run to the end of the file).
    pub cut_lines: Vec<LineRef>,
    /// Links that lead to no existing topic file.
    pub dead_links: Vec<DeadLink>,
    /// Topic files no index line links to.
    pub orphans: Vec<String>,
}

/// One answer's worth of the inventory (see [`PageOptions`]).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventoryPage {
    /// The memory directory (canonical).
    pub memory_dir: String,
    /// The project directory paths in memories were checked against.
    pub project_dir: Option<String>,
    /// MEMORY.md in numbers.
    pub index: IndexState,
    /// How many topic files there are in all.
    pub files_total: usize,
    /// Index of the first file listed here; ask again with a higher `files_offset` for more.
    pub files_offset: usize,
    /// This page of topic files, sorted by path.
    pub files: Vec<TopicFile>,
    /// Entries the tools leave alone, with reasons.
    pub skipped: Vec<Skipped>,
    /// How many findings of each kind there are in all.
    pub findings_by_kind: std::collections::BTreeMap<String, usize>,
    /// The first findings of each kind, errors first.
    pub findings: Vec<Finding>,
    /// How many findings were left out of this answer (raise `findings_per_kind` to see them).
    pub findings_omitted: usize,
}

impl Inventory {
    /// The part of the inventory `options` asks for, with full counts.
    pub fn page(&self, options: PageOptions) -> InventoryPage {
        let limit = options.files_limit.min(MAX_FILES_LIMIT);
        let per_kind = options.findings_per_kind.min(MAX_FINDINGS_PER_KIND);
        let mut findings_by_kind = std::collections::BTreeMap::new();
        let mut findings = Vec::new();
        for f in &self.findings {
            let seen = findings_by_kind
                .entry(f.kind.as_str().to_string())
                .or_insert(0);
            *seen += 1;
            if *seen <= per_kind {
                findings.push(f.clone());
            }
        }
        let idx = &self.index;
        InventoryPage {
            memory_dir: self.memory_dir.clone(),
            project_dir: self.project_dir.clone(),
            index: IndexState {
                size: idx.size.clone(),
                entries: idx.entries.len(),
                cut_lines_total: idx.cut_lines.len(),
                cut_lines: idx
                    .cut_lines
                    .iter()
                    .take(MAX_CUT_LINES_LISTED)
                    .map(|e| LineRef {
                        line: e.line,
                        target: e.target.clone(),
                    })
                    .collect(),
                dead_links: idx.dead_links.clone(),
                orphans: idx.orphans.clone(),
            },
            files_total: self.files.len(),
            files_offset: options.files_offset,
            files: self
                .files
                .iter()
                .skip(options.files_offset)
                .take(limit)
                .cloned()
                .collect(),
            skipped: self.skipped.clone(),
            findings_omitted: self.findings.len() - findings.len(),
            findings_by_kind,
            findings,
        }
    }
}
