//! The inventory of a memory directory: what the Orient phase needs in one call.

use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::findings::brief::{self, Brief};
use crate::findings::{self, Finding, Severity};
use crate::memory::dir::{MemoryDir, Skipped};
use crate::memory::index::{DeadLink, Index};
use crate::memory::snapshot::{self, IndexSize, IndexSummary, Loaded, Texts, TopicFile};
use crate::provenance::Provenance;

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

/// Builds the inventory of `dir`, with its findings; paths named in memories are checked against
/// `project_dir`.
pub fn inventory(dir: &MemoryDir, project_dir: Option<&Path>) -> Result<Inventory> {
    Ok(build_owned(
        dir,
        snapshot::load_summaries(dir, snapshot::MAX_HELD_TEXT_BYTES)?,
        project_dir,
        None,
    ))
}

/// The inventory of `dir` with the relative dates of each line anchored on when `provenance` shows the
/// line was written.
pub fn inventory_dated(
    dir: &MemoryDir,
    project_dir: Option<&Path>,
    provenance: &Provenance,
) -> Result<Inventory> {
    let loaded = snapshot::load_summaries(dir, snapshot::MAX_HELD_TEXT_BYTES)?;
    let dates = provenance.write_dates(&loaded, Texts::new(dir, &loaded));
    Ok(build_owned(dir, loaded, project_dir, Some(&dates)))
}

/// Builds the inventory and its findings from a snapshot; `write_dates` (from the transcripts) anchor
/// relative dates when given.
pub fn build(
    dir: &MemoryDir,
    loaded: &Loaded,
    project_dir: Option<&Path>,
    write_dates: Option<&findings::WriteDates>,
) -> Inventory {
    let (inventory, index) = without_files(dir, loaded, project_dir, write_dates);
    Inventory {
        files: snapshot::topic_files(loaded, &index),
        ..inventory
    }
}

/// [`build`], taking the snapshot: its file summaries are moved into the inventory, not copied.
fn build_owned(
    dir: &MemoryDir,
    loaded: Loaded,
    project_dir: Option<&Path>,
    write_dates: Option<&findings::WriteDates>,
) -> Inventory {
    let (inventory, index) = without_files(dir, &loaded, project_dir, write_dates);
    Inventory {
        files: snapshot::into_topic_files(loaded, &index),
        ..inventory
    }
}

/// The inventory of a snapshot with its findings but no file table yet, and the index parsed.
fn without_files(
    dir: &MemoryDir,
    loaded: &Loaded,
    project_dir: Option<&Path>,
    write_dates: Option<&findings::WriteDates>,
) -> (Inventory, Index) {
    let index_text = loaded.index.as_deref().map(String::from_utf8_lossy);
    let index = Index::parse(index_text.as_deref().unwrap_or(""));
    let summary = snapshot::index_summary(dir, loaded, &index);
    let findings = findings::collect(&findings::Input {
        texts: Texts::new(dir, loaded),
        index_text: index_text.as_deref(),
        index: &index,
        index_modified: loaded.index_modified,
        summary: &summary,
        project_dir,
        write_dates,
    });
    let inventory = Inventory {
        memory_dir: dir.root().display().to_string(),
        index: summary,
        // Filled after the findings, whose work is the most memory a large check holds at once.
        files: Vec::new(),
        skipped: loaded.skipped.clone(),
        project_dir: project_dir.map(|p| p.display().to_string()),
        findings,
    };
    (inventory, index)
}

/// Most topic files one `list_memory` answer lists by default: none, the files with findings are named
/// apart; the table is asked for, a page at a time, with `files_limit` and `files_offset`.
pub const DEFAULT_FILES_LIMIT: usize = 0;
/// Most orphans, dead links, skipped entries and files with findings one answer names (each with its
/// total).
pub const MAX_NAMED: usize = 50;
/// Most topic files one answer may list.
pub const MAX_FILES_LIMIT: usize = 500;
/// Most findings of each kind one answer carries by default (the counts always cover all of them).
pub const DEFAULT_FINDINGS_PER_KIND: usize = 3;
/// Most findings of each kind one answer may carry.
pub const MAX_FINDINGS_PER_KIND: usize = 200;

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

/// A topic file as one answer lists it: what the model needs to choose what to read and to change it
/// without reading (the full record is in `dream-mcp check --json`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileRow {
    /// Path relative to the memory directory.
    pub path: String,
    /// Frontmatter `description`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Frontmatter `type` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_type: Option<String>,
    /// Number of lines.
    pub lines: usize,
    /// SHA-256 of the content; pass it as `expected_sha256` when changing the file.
    pub sha256: String,
    /// What is off about the file as a whole: `no frontmatter`, `invalid type`, `not in the index`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<&'static str>,
}

impl From<&TopicFile> for FileRow {
    fn from(f: &TopicFile) -> FileRow {
        let problems = [
            (!f.facts.has_frontmatter, "no frontmatter"),
            (
                f.facts.has_frontmatter && !f.facts.type_valid,
                "invalid type",
            ),
            (!f.linked_from_index, "not in the index"),
        ]
        .into_iter()
        .filter_map(|(off, what)| off.then_some(what))
        .collect();
        FileRow {
            path: f.path.clone(),
            description: f.facts.description.clone(),
            memory_type: f.facts.memory_type.clone(),
            lines: f.facts.lines,
            sha256: f.sha256.clone(),
            problems,
        }
    }
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
    /// The first line Claude Code cuts today (the cut runs to the end of the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_from_line: Option<usize>,
    /// Links that lead to no existing topic file.
    pub dead_links: Vec<DeadLink>,
    /// Topic files no index line links to (the first 50).
    pub orphans: Vec<String>,
    /// How many topic files no index line links to.
    pub orphans_total: usize,
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
    pub files: Vec<FileRow>,
    /// Entries the tools leave alone, with reasons (the first 50).
    pub skipped: Vec<Skipped>,
    /// The topic files with findings and how many each has, most first (the first 50).
    pub files_with_findings: Vec<(String, usize)>,
    /// How many topic files have findings.
    pub files_with_findings_total: usize,
    /// The first findings of each kind (errors first), their advice, and the counts of all of them
    /// (raise `findings_per_kind` to see more).
    #[serde(flatten)]
    pub findings: Brief,
}

impl Inventory {
    /// The part of the inventory `options` asks for, with full counts.
    pub fn page(&self, options: PageOptions) -> InventoryPage {
        let limit = options.files_limit.min(MAX_FILES_LIMIT);
        let per_kind = options.findings_per_kind.min(MAX_FINDINGS_PER_KIND);
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for f in self
            .findings
            .iter()
            .filter(|f| f.file != crate::memory::dir::INDEX_NAME)
        {
            *counts.entry(f.file.as_str()).or_insert(0) += 1;
        }
        let mut with_findings: Vec<(&str, usize)> = counts.into_iter().collect();
        with_findings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let idx = &self.index;
        InventoryPage {
            memory_dir: self.memory_dir.clone(),
            project_dir: self.project_dir.clone(),
            index: IndexState {
                size: idx.size.clone(),
                entries: idx.entries.len(),
                cut_lines_total: idx.cut_lines.len(),
                cut_from_line: idx.cut_lines.first().map(|e| e.line),
                dead_links: idx.dead_links.iter().take(MAX_NAMED).cloned().collect(),
                orphans: idx.orphans.iter().take(MAX_NAMED).cloned().collect(),
                orphans_total: idx.orphans.len(),
            },
            files_total: self.files.len(),
            files_offset: options.files_offset,
            files: self
                .files
                .iter()
                .skip(options.files_offset)
                .take(limit)
                .map(FileRow::from)
                .collect(),
            skipped: self.skipped.iter().take(MAX_NAMED).cloned().collect(),
            files_with_findings_total: with_findings.len(),
            files_with_findings: with_findings
                .into_iter()
                .take(MAX_NAMED)
                .map(|(file, n)| (file.to_string(), n))
                .collect(),
            findings: brief::brief(&self.findings, per_kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Kind;

    #[test]
    fn an_inventory_from_texts_read_again_is_the_one_from_texts_held() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let dir = MemoryDir::open(&root.join("messy-memory")).unwrap_or_else(|e| panic!("{e}"));
        let project = root.join("messy-project");
        // Within the budget the texts are held, as `load` holds them; past it every one is dropped.
        let within = snapshot::load_summaries(&dir, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        assert!(!within.texts_dropped);
        assert!(within.files.iter().all(|f| !f.text.is_empty()));
        let budget = within.files[0].text.len() + 1;
        let summaries = snapshot::load_summaries(&dir, budget).unwrap_or_else(|e| panic!("{e}"));
        assert!(summaries.texts_dropped);
        assert!(summaries.files.iter().all(|f| f.text.is_empty()));
        let streamed = build(&dir, &summaries, Some(&project), None);
        let loaded = snapshot::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(loaded.files.iter().any(|f| !f.text.is_empty()));
        let held = build(&dir, &loaded, Some(&project), None);
        for kind in [
            Kind::Duplicate,
            Kind::Contradiction,
            Kind::StalePath,
            Kind::RelativeDate,
        ] {
            assert!(
                streamed.findings.iter().any(|f| f.kind == kind),
                "no {kind} in the example"
            );
        }
        assert_eq!(streamed.findings, held.findings);
        let json = |inv: &Inventory| serde_json::to_string(inv).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json(&streamed), json(&held));
        // What `check` runs: the snapshot (held, this memory being small), its summaries moved into the
        // inventory.
        let owned = inventory(&dir, Some(&project)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json(&owned), json(&held));
        let streamed_within = build(&dir, &within, Some(&project), None);
        assert_eq!(json(&streamed_within), json(&held));
    }

    #[test]
    fn a_file_linked_only_by_a_wiki_link_is_no_orphan_when_the_texts_are_dropped() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let put = |name: &str, text: &str| {
            std::fs::write(tmp.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
        };
        put("MEMORY.md", "- [A](a.md) — a\n");
        put(
            "a.md",
            "---\nname: a\ndescription: d\n---\nSee [[b-note]] and [[a]].\n",
        );
        put("b_note.md", "---\nname: b-note\ndescription: d\n---\nB.\n");
        put(
            "c.md",
            "---\nname: c\ndescription: d\n---\nC links [[c]] only.\n",
        );
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        for budget in [0, usize::MAX] {
            let loaded = snapshot::load_summaries(&dir, budget).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(loaded.texts_dropped, budget == 0);
            let inv = build(&dir, &loaded, None, None);
            assert_eq!(inv.index.orphans, ["c.md"], "budget {budget}");
        }
    }
}
