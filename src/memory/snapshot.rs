//! A snapshot of a memory directory: every topic file read and parsed once, and the index facts
//! derived from it, shared by the inventory and the findings so neither reads the directory twice.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::digest::{Digest256, sha256_hex};
use super::dir::{INDEX_NAME, Listing, MemoryDir, MemoryPath, Skipped, Stamp};
use super::frontmatter::{self, Parsed};
use super::index::{self, DeadLink, Index, IndexLine};
use crate::error::{Error, Result};

/// One topic file with its frontmatter and the facts needed to decide what to do with it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TopicFile {
    /// Path relative to the memory directory.
    pub path: String,
    /// Its frontmatter and size.
    #[serde(flatten)]
    pub facts: FileFacts,
    /// Last modification time, RFC 3339 in UTC.
    pub modified: String,
    /// SHA-256 of the content; pass it as `expected_sha256` when changing the file.
    pub sha256: String,
    /// Whether MEMORY.md links to it.
    pub linked_from_index: bool,
}

/// A topic file's frontmatter and size, as a snapshot holds them and its row shows them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileFacts {
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
    /// What the inventory says of it.
    pub summary: Summary,
    /// Its stamp when it was listed, when settled (see [`Stamp::settled`]): a later snapshot with the
    /// same stamp reuses this one instead of reading the file again. Boxed: a large memory read once
    /// holds a hundred thousand files and no stamp.
    pub stamp: Option<Box<Stamp>>,
}

/// What a snapshot keeps of a topic file for its [`TopicFile`] row, compactly (a snapshot of a large
/// memory holds a hundred thousand): the time and the digest as values, the path only in
/// [`LoadedFile::path`].
#[derive(Debug, Clone)]
pub struct Summary {
    /// Its frontmatter and size.
    pub facts: FileFacts,
    /// Last modification time.
    pub modified: SystemTime,
    /// SHA-256 of the content.
    pub sha256: Digest256,
}

impl LoadedFile {
    /// Its row in the inventory, `linked` when MEMORY.md links to it.
    pub fn row(&self, linked: bool) -> TopicFile {
        self.summary.clone().into_row(&self.path, linked)
    }

    /// [`LoadedFile::row`], taking the file: its strings are moved, not copied.
    pub fn into_row(self, linked: bool) -> TopicFile {
        self.summary.into_row(&self.path, linked)
    }
}

impl Summary {
    fn into_row(self, path: &MemoryPath, linked: bool) -> TopicFile {
        TopicFile {
            path: path.to_string(),
            facts: self.facts,
            modified: DateTime::<Utc>::from(self.modified).to_rfc3339(),
            sha256: self.sha256.to_string(),
            linked_from_index: linked,
        }
    }
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
    /// Whether the topic files' texts were dropped once summarised ([`load_summaries`]): [`Texts`] then
    /// reads them again.
    pub texts_dropped: bool,
    /// With the texts dropped: the `[[wiki-link]]` targets of each topic file (its place in `files`, the
    /// target as written), kept so the orphan count needs no pass over the texts.
    pub wiki_targets: Vec<(usize, String)>,
}

/// The texts of a snapshot's topic files, one at a time: the ones it holds, or for a snapshot loaded by
/// [`load_summaries`] each read again from the directory, so a large memory's texts are never all held.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    dir: &'a MemoryDir,
    loaded: &'a Loaded,
}

impl<'a> Texts<'a> {
    /// The texts of `loaded`'s topic files, read again from `dir` when the snapshot dropped them.
    pub fn new(dir: &'a MemoryDir, loaded: &'a Loaded) -> Texts<'a> {
        Texts { dir, loaded }
    }

    /// The topic files, sorted by path (their texts empty when dropped).
    pub fn files(&self) -> &'a [LoadedFile] {
        &self.loaded.files
    }

    /// The text of topic file `i`; a file read again that is gone or unreadable since the snapshot
    /// reads as empty.
    pub fn get(&self, i: usize) -> std::borrow::Cow<'a, str> {
        let Some(file) = self.loaded.files.get(i) else {
            return std::borrow::Cow::Borrowed("");
        };
        if !self.loaded.texts_dropped {
            return std::borrow::Cow::Borrowed(file.text.as_str());
        }
        match self.dir.read(&file.path) {
            Ok(bytes) => std::borrow::Cow::Owned(super::dir::into_text(bytes)),
            Err(_) => std::borrow::Cow::Borrowed(""),
        }
    }

    /// Calls `f` with each topic file and its text, in order.
    pub fn each(&self, mut f: impl FnMut(&'a LoadedFile, &str)) {
        for (i, file) in self.loaded.files.iter().enumerate() {
            f(file, &self.get(i));
        }
    }
}

/// Reads every topic file and the index.
///
/// One file the tools cannot read (over the size cap, replaced by a symlink, or removed since the listing)
/// does not hide the others: it is reported in `skipped`, or left out when it is gone. The same holds for
/// MEMORY.md itself, so an index grown past the cap is reported rather than failing the whole inventory.
pub fn load(dir: &MemoryDir) -> Result<Loaded> {
    refresh(dir, Loaded::default(), SystemTime::now())
}

/// Most bytes of topic-file text [`load_summaries`] keeps: a memory within it is held whole, as [`load`]
/// holds it; past it every text is dropped and read again when needed, so memory stays bounded at the cost
/// of reading each file a few more times.
pub const MAX_HELD_TEXT_BYTES: usize = 64 << 20;

/// [`load`], dropping every topic file's text once summarised when the texts together pass `max_held`
/// bytes (read them again through [`Texts`]), so one analysis of a large directory never holds every text
/// at once. The files carry no stamp, so no [`refresh`] reuses them.
pub fn load_summaries(dir: &MemoryDir, max_held: usize) -> Result<Loaded> {
    let listing = dir.list()?;
    let now = SystemTime::now();
    // The listing's sizes tell before any read whether the texts fit: held until they pass the budget
    // and then dropped, the first 64 MiB of a large memory's texts would stay with the allocator, in
    // the process's memory, for the rest of the run.
    let listed: u64 = listing.stamps.iter().map(Stamp::bytes).sum();
    if listed > max_held as u64 {
        return load_dropped(dir, listing, now);
    }
    let mut skipped = listing.skipped;
    let mut files: Vec<LoadedFile> = Vec::with_capacity(listing.files.len());
    let mut held = 0usize;
    // A file grown since the listing can still pass the budget.
    let mut dropped = false;
    let mut wiki_targets = Vec::new();
    for (path, stamp) in listing.files.into_iter().zip(listing.stamps) {
        if let Some(mut file) = read_file(dir, path, stamp, now, &mut skipped)? {
            file.stamp = None;
            held = held.saturating_add(file.text.len());
            if !dropped && held > max_held {
                dropped = true;
                for (at, f) in files.iter_mut().enumerate() {
                    drop_text(at, f, &mut wiki_targets);
                }
            }
            if dropped {
                drop_text(files.len(), &mut file, &mut wiki_targets);
            }
            files.push(file);
        }
    }
    let mut loaded = with_index(dir, files, skipped)?;
    loaded.texts_dropped = dropped;
    loaded.wiki_targets = wiki_targets;
    Ok(loaded)
}

/// [`load_summaries`] of a memory whose texts are not held: two threads read and summarise half the
/// listing each (reading, hashing and parsing a large memory is a fifth of its check), keeping of each
/// text only its `[[wiki-link]]` targets.
fn load_dropped(dir: &MemoryDir, listing: Listing, now: SystemTime) -> Result<Loaded> {
    let Listing {
        files,
        stamps,
        mut skipped,
    } = listing;
    let mut first: Vec<(MemoryPath, Stamp)> = files.into_iter().zip(stamps).collect();
    let second = first.split_off(first.len().div_ceil(2));
    let read_part = |part: Vec<(MemoryPath, Stamp)>| -> Result<Part> {
        let mut out = Part::default();
        out.files.reserve(part.len());
        for (path, stamp) in part {
            if let Some(mut file) = read_file(dir, path, stamp, now, &mut out.skipped)? {
                file.stamp = None;
                drop_text(out.files.len(), &mut file, &mut out.wiki_targets);
                out.files.push(file);
            }
        }
        Ok(out)
    };
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| read_part(second));
        let first = read_part(first);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let (mut first, second) = (first?, second?);
    let offset = first.files.len();
    first.files.extend(second.files);
    skipped.extend(first.skipped);
    skipped.extend(second.skipped);
    first.wiki_targets.extend(
        second
            .wiki_targets
            .into_iter()
            .map(|(at, target)| (at + offset, target)),
    );
    let mut loaded = with_index(dir, first.files, skipped)?;
    loaded.texts_dropped = true;
    loaded.wiki_targets = first.wiki_targets;
    Ok(loaded)
}

/// Drops `file`'s text, keeping in `wiki_targets` the `[[wiki-link]]` targets it held, under `at`, its
/// place among the files (see [`Loaded::wiki_targets`]).
fn drop_text(at: usize, file: &mut LoadedFile, wiki_targets: &mut Vec<(usize, String)>) {
    wiki_targets.extend(
        index::wiki_links(&file.text)
            .into_iter()
            .map(|l| (at, l.target)),
    );
    file.text = String::new();
}

/// What one thread of [`load_dropped`] read.
#[derive(Default)]
struct Part {
    files: Vec<LoadedFile>,
    skipped: Vec<Skipped>,
    wiki_targets: Vec<(usize, String)>,
}

/// [`load`], reusing from `previous` every topic file whose settled stamp is unchanged at `now`: the
/// directory is listed and every file stat-ed, but only the files written since are read again.
pub fn refresh(dir: &MemoryDir, previous: Loaded, now: SystemTime) -> Result<Loaded> {
    let listing = dir.list()?;
    let mut skipped = listing.skipped;
    // Both are sorted by path: one merge pass pairs each listed file with its previous version.
    let mut kept = previous.files.into_iter().peekable();
    let mut files = Vec::with_capacity(listing.files.len());
    for (path, stamp) in listing.files.into_iter().zip(listing.stamps) {
        while kept.next_if(|f| f.path < path).is_some() {}
        if let Some(file) = kept.next_if(|f| f.path == path && f.stamp.as_deref() == Some(&stamp)) {
            files.push(file);
            continue;
        }
        files.extend(read_file(dir, path, stamp, now, &mut skipped)?);
    }
    with_index(dir, files, skipped)
}

/// [`refresh`] when only the entries `names` can have changed (the kernel said so, see
/// [`MemoryDir::watch`]): only they and the index are read again.
pub fn refresh_names(
    dir: &MemoryDir,
    previous: Loaded,
    names: &[String],
    now: SystemTime,
) -> Result<Loaded> {
    let mut names = names.to_vec();
    names.sort();
    names.dedup();
    let changed = |path: &str| names.binary_search_by(|n| n.as_str().cmp(path)).is_ok();
    let listing = dir.list_names(&names)?;
    let mut files = previous.files;
    files.retain(|f| !changed(f.path.as_str()));
    let mut skipped = previous.skipped;
    skipped.retain(|s| !changed(&s.path) && s.path != INDEX_NAME);
    skipped.extend(listing.skipped);
    for (path, stamp) in listing.files.into_iter().zip(listing.stamps) {
        if let Some(file) = read_file(dir, path, stamp, now, &mut skipped)? {
            let at = files.partition_point(|f| f.path < file.path);
            files.insert(at, file);
        }
    }
    with_index(dir, files, skipped)
}

/// The snapshot of `files` and `skipped` with MEMORY.md read (again).
fn with_index(
    dir: &MemoryDir,
    files: Vec<LoadedFile>,
    mut skipped: Vec<Skipped>,
) -> Result<Loaded> {
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
        texts_dropped: false,
        wiki_targets: Vec::new(),
    })
}

/// Reads one listed topic file: `None` when it is gone since the listing, or refused (then it is added
/// to `skipped`).
fn read_file(
    dir: &MemoryDir,
    path: MemoryPath,
    stamp: Stamp,
    now: SystemTime,
    skipped: &mut Vec<Skipped>,
) -> Result<Option<LoadedFile>> {
    match dir.read(&path) {
        Ok(bytes) => Ok(Some(loaded_file(path, bytes, stamp, now))),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(Error::ContentRefused { rule, .. } | Error::PathRefused { rule, .. }) => {
            skipped.push(Skipped {
                path: path.to_string(),
                reason: rule,
            });
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A topic file's text and summary from its bytes; `stamp` is from the listing, before the read, so a
/// write during the read leaves a stamp that no longer matches.
fn loaded_file(path: MemoryPath, bytes: Vec<u8>, stamp: Stamp, now: SystemTime) -> LoadedFile {
    let (len, sha256) = (bytes.len() as u64, Digest256::of(&bytes));
    let text = super::dir::into_text(bytes);
    let fm = match frontmatter::parse(&text) {
        Parsed::Present(fm) => Some(fm),
        _ => None,
    };
    let facts = FileFacts {
        name: fm.as_ref().and_then(|f| f.name.clone()),
        description: fm.as_ref().and_then(|f| f.description.clone()),
        memory_type: fm.as_ref().and_then(|f| f.type_raw.clone()),
        type_valid: fm
            .as_ref()
            .and_then(frontmatter::Frontmatter::memory_type)
            .is_some(),
        has_frontmatter: fm.is_some(),
        lines: text.lines().count(),
        bytes: len,
    };
    let summary = Summary {
        facts,
        modified: stamp.modified(),
        sha256,
    };
    LoadedFile {
        path,
        text,
        summary,
        stamp: stamp.settled(now).then(|| Box::new(stamp)),
    }
}

/// The topic files a `[[wiki-link]]` in the index or in another topic file points at: such a file is
/// reachable, so it is no orphan.
fn wiki_linked<'a>(loaded: &'a Loaded, texts: Texts<'a>) -> std::collections::HashSet<&'a str> {
    let resolver = index::WikiResolver::new(
        loaded
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.summary.facts.name.as_deref())),
    );
    let index_text = loaded.index.as_deref().map(String::from_utf8_lossy);
    let mut linked = std::collections::HashSet::new();
    let mut link = |from: Option<&str>, target: &str| {
        if let Some(to) = resolver.resolve(target)
            && Some(to) != from
            // The files are sorted by path: one binary search a link.
            && let Ok(at) = loaded.files.binary_search_by(|f| f.path.as_str().cmp(to))
        {
            linked.insert(loaded.files[at].path.as_str());
        }
    };
    if loaded.texts_dropped {
        for (at, target) in &loaded.wiki_targets {
            link(loaded.files.get(*at).map(|f| f.path.as_str()), target);
        }
    } else {
        texts.each(|f, text| {
            for l in index::wiki_links(text) {
                link(Some(f.path.as_str()), &l.target);
            }
        });
    }
    if let Some(text) = index_text.as_deref() {
        for l in index::wiki_links(text) {
            link(None, &l.target);
        }
    }
    linked
}

/// The rows of a snapshot's topic files, each marked `linked_from_index` when `index` links to it.
pub fn topic_files(loaded: &Loaded, index: &Index) -> Vec<TopicFile> {
    let linked = index.linked_files();
    loaded
        .files
        .iter()
        .map(|f| f.row(linked.contains(f.path.as_str())))
        .collect()
}

/// [`topic_files`], taking the snapshot: its summaries are moved out rather than copied, so a large
/// directory's are never held twice.
pub fn into_topic_files(loaded: Loaded, index: &Index) -> Vec<TopicFile> {
    let linked = index.linked_files();
    loaded
        .files
        .into_iter()
        .map(|f| {
            let linked = linked.contains(f.path.as_str());
            f.into_row(linked)
        })
        .collect()
}

/// Works out the index facts of a snapshot: its size against the limits, entries, the lines Claude Code
/// cuts, dead links and orphans.
pub fn index_summary(dir: &MemoryDir, loaded: &Loaded, index: &Index) -> IndexSummary {
    let index_bytes = loaded.index.as_deref();
    let wiki_linked = wiki_linked(loaded, Texts::new(dir, loaded));
    let mut orphans = Vec::new();
    let linked = index.linked_files();
    for file in &loaded.files {
        let path = file.path.as_str();
        if !linked.contains(path) && !wiki_linked.contains(path) {
            orphans.push(file.path.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_settled_file_is_reused_until_its_stamp_moves_even_when_its_mtime_is_set_back() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = tmp.path().join("a.md");
        std::fs::write(&file, "first\n").unwrap_or_else(|e| panic!("{e}"));
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let later = SystemTime::now() + Duration::from_secs(3600);
        let first = refresh(&dir, Loaded::default(), later).unwrap_or_else(|e| panic!("{e}"));
        assert!(first.files[0].stamp.is_some(), "settled an hour later");
        // Unchanged: the kept text is reused (shown by a marker no read could produce).
        let mut marked = first.clone();
        marked.files[0].text = "kept".into();
        let again = refresh(&dir, marked, later).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.files[0].text, "kept");
        // Rewritten in place at the same length with the old mtime put back: ctime still moves.
        let mtime = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, "other\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(mtime))
            .unwrap_or_else(|e| panic!("{e}"));
        let changed = refresh(&dir, again, later).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(changed.files[0].text, "other\n");
    }

    #[test]
    fn a_file_changed_in_the_last_seconds_is_read_again() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("a.md"), "x\n").unwrap_or_else(|e| panic!("{e}"));
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.files[0].stamp, None, "not settled yet: never reused");
    }

    #[test]
    fn refreshing_named_entries_moves_a_file_turned_symlink_to_skipped() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for name in ["a.md", "b.md"] {
            std::fs::write(tmp.path().join(name), "x\n").unwrap_or_else(|e| panic!("{e}"));
        }
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(tmp.path().join("a.md")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("a.md"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("c.md"), "new\n").unwrap_or_else(|e| panic!("{e}"));
        let names = ["a.md".to_string(), "c.md".to_string(), "c.md".to_string()];
        let now = SystemTime::now();
        let after = refresh_names(&dir, loaded, &names, now).unwrap_or_else(|e| panic!("{e}"));
        let paths: Vec<&str> = after.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["b.md", "c.md"]);
        assert_eq!(after.skipped.len(), 1);
        assert_eq!(after.skipped[0].path, "a.md");
        let full = refresh(&dir, Loaded::default(), now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            full.files
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>(),
            paths
        );
        assert_eq!(full.skipped.len(), 1);
    }
}
