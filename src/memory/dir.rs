//! The memory directory, and the one type that decides which paths inside it may be touched.
//!
//! Every tool path is relative to the memory directory and goes through [`MemoryPath::parse`] (the
//! syntactic rules) and [`MemoryDir::resolve`] (the rules that need the filesystem: symlinks, hard links,
//! directories). Nothing else in the crate opens a memory file: reads, atomic writes, deletes and listings
//! all live here.

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::memory::atomic;
use crate::os;

/// The index file Claude Code loads at every session start.
pub const INDEX_NAME: &str = "MEMORY.md";
/// The one subdirectory tools may write: memories shared with teammates.
pub const TEAM_DIR: &str = "team";
/// Folders that belong to Claude Code or to session logs; never read or written through the tools.
pub const PROTECTED_DIRS: [&str; 4] = [".git", "agents", "logs", "sessions"];
/// Longest relative path accepted, in bytes; real memory names are far shorter.
pub const MAX_PATH_BYTES: usize = 200;
/// Largest topic file a tool may write or read, in bytes. Memory notes are a few kilobytes; anything near
/// this is content that belongs elsewhere.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// A relative path inside the memory directory that passed the syntactic rules.
///
/// It is `<name>.md` at the top level or `team/<name>.md`, where `<name>` uses only ASCII letters, digits,
/// `-`, `_` and `.` and does not start with a dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemoryPath {
    rel: String,
}

/// What the caller means to do with a path; writes have stricter rules than reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading content or metadata.
    Read,
    /// Creating, replacing or deleting a topic file.
    Write,
}

impl MemoryPath {
    /// Checks `raw` against every rule that needs no filesystem access.
    ///
    /// Refused: empty, absolute, backslashes, `.` or `..` segments, empty segments, control characters, any
    /// non-ASCII character (look-alikes of `/`, `.` or `MEMORY.md`), hidden names, protected folders,
    /// subfolders other than `team/`, names not ending in `.md`, and paths over [`MAX_PATH_BYTES`].
    pub fn parse(raw: &str) -> Result<MemoryPath> {
        let refuse = |rule: &str| Err(Error::refused(raw, rule));
        if raw.is_empty() {
            return refuse("the path is empty; give a file name like `feedback_testing.md`");
        }
        if raw.len() > MAX_PATH_BYTES {
            return refuse(&format!(
                "the path is {} bytes long; at most {MAX_PATH_BYTES} are allowed",
                raw.len()
            ));
        }
        if raw.chars().any(|c| c.is_control()) {
            return refuse("the path contains a NUL or control character");
        }
        if !raw.is_ascii() {
            return refuse(
                "the path contains non-ASCII characters; names may use only ASCII letters, digits, '-', '_' and '.'",
            );
        }
        if raw.starts_with('/') || raw.starts_with('~') {
            return refuse(
                "absolute paths are not allowed; paths are relative to the memory directory",
            );
        }
        if raw.contains('\\') {
            return refuse(
                "backslashes are not allowed; use '/' (only `team/<name>.md` has a folder)",
            );
        }
        let segments: Vec<&str> = raw.split('/').collect();
        for seg in &segments {
            match *seg {
                "" => return refuse("empty path segment (leading, trailing or doubled '/')"),
                "." | ".." => {
                    return refuse("'.' and '..' segments are not allowed; name the file directly");
                }
                _ => {}
            }
        }
        if let Some(first) = segments.first()
            && segments.len() > 1
            && PROTECTED_DIRS.contains(first)
        {
            return refuse(&format!(
                "`{first}/` is protected (owned by Claude Code or session logs) and cannot be used by the tools"
            ));
        }
        if segments.len() > 2 || (segments.len() == 2 && segments[0] != TEAM_DIR) {
            return refuse("only top-level files and `team/<name>.md` are allowed");
        }
        let name = segments[segments.len() - 1];
        if name.starts_with('.') {
            return refuse("hidden names (starting with '.') are not allowed");
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return refuse(&format!(
                "character {bad:?} is not allowed; names may use only ASCII letters, digits, '-', '_' and '.'"
            ));
        }
        if !name.ends_with(".md") || name.len() <= 3 {
            return refuse("only Markdown files named `<name>.md` are allowed");
        }
        if name.eq_ignore_ascii_case(INDEX_NAME) && name != INDEX_NAME {
            return refuse(
                "a name differing from MEMORY.md only by case would clash with the index",
            );
        }
        if segments.len() == 2 && name == INDEX_NAME {
            return refuse("MEMORY.md exists only at the top level");
        }
        Ok(MemoryPath {
            rel: raw.to_string(),
        })
    }

    /// The index path, `MEMORY.md`.
    pub fn index() -> MemoryPath {
        MemoryPath {
            rel: INDEX_NAME.to_string(),
        }
    }

    /// The path relative to the memory directory, as tools show it.
    pub fn as_str(&self) -> &str {
        &self.rel
    }

    /// Whether this is the index, `MEMORY.md`.
    pub fn is_index(&self) -> bool {
        self.rel == INDEX_NAME
    }

    /// Whether this file lives in the shared `team/` folder.
    pub fn is_team(&self) -> bool {
        self.rel.starts_with("team/")
    }
}

impl std::fmt::Display for MemoryPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rel)
    }
}

/// Size and time facts about a memory file, read without following symlinks.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// Size in bytes.
    pub len: u64,
    /// Last modification time.
    pub modified: SystemTime,
}

/// Something in the memory directory the tools do not manage, and why (so nothing is silently invisible).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// Path relative to the memory directory.
    pub path: String,
    /// Why the tools leave it alone.
    pub reason: String,
}

/// The result of listing the memory directory: managed Markdown files and everything else.
#[derive(Debug, Default)]
pub struct Listing {
    /// Topic files (not the index), sorted by path.
    pub files: Vec<MemoryPath>,
    /// Entries the tools leave alone, with reasons.
    pub skipped: Vec<Skipped>,
}

/// An existing memory directory. All file access inside it goes through this type.
#[derive(Debug, Clone)]
pub struct MemoryDir {
    root: PathBuf,
}

impl MemoryDir {
    /// Opens the memory directory at `path`, which must exist and be a directory.
    ///
    /// The root is canonicalised once here (a memory directory that is itself a symlink, as in a dotfiles
    /// setup, is allowed); nothing below it is ever followed through a symlink.
    pub fn open(path: &Path) -> Result<MemoryDir> {
        let meta = fs::metadata(path).map_err(|e| Error::MemoryDir {
            path: path.to_path_buf(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "does not exist (Claude Code creates it when it first saves a memory; check `dream-mcp where`)"
                    .to_string()
            } else {
                e.to_string()
            },
        })?;
        if !meta.is_dir() {
            return Err(Error::MemoryDir {
                path: path.to_path_buf(),
                reason: "is not a directory".to_string(),
            });
        }
        let root = fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        Ok(MemoryDir { root })
    }

    /// The canonical absolute path of the memory directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn abs(&self, path: &MemoryPath) -> PathBuf {
        self.root.join(&path.rel)
    }

    /// Checks `raw` against every rule, including those that need the filesystem.
    ///
    /// Beyond [`MemoryPath::parse`]: no symlink anywhere on the way or at the end, the target is not a
    /// directory, it is not hard-linked elsewhere, and with [`Access::Write`] it is not the index.
    pub fn resolve(&self, raw: &str, access: Access) -> Result<MemoryPath> {
        let path = MemoryPath::parse(raw)?;
        if access == Access::Write && path.is_index() {
            return Err(Error::refused(
                raw,
                "MEMORY.md is written only by the rewrite_index tool, which checks the 200-line limit",
            ));
        }
        if path.is_team() {
            let team = self.root.join(TEAM_DIR);
            match fs::symlink_metadata(&team) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::refused(
                        raw,
                        "`team/` is a symlink, which is never followed",
                    ));
                }
                Ok(m) if !m.is_dir() => {
                    return Err(Error::refused(raw, "`team` exists but is not a folder"));
                }
                _ => {}
            }
        }
        match fs::symlink_metadata(self.abs(&path)) {
            Ok(m) => check_entry(raw, &m).map(|()| path),
            Err(_) => Ok(path),
        }
    }

    /// Whether the file exists (as a regular file).
    pub fn exists(&self, path: &MemoryPath) -> bool {
        fs::symlink_metadata(self.abs(path)).is_ok_and(|m| m.is_file())
    }

    /// Size and modification time of a file, or `None` when it does not exist.
    pub fn meta(&self, path: &MemoryPath) -> Result<Option<FileMeta>> {
        let abs = self.abs(path);
        match fs::symlink_metadata(&abs) {
            Ok(m) => Ok(Some(FileMeta {
                len: m.len(),
                modified: m.modified().map_err(|e| Error::io(&abs, e))?,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(abs, e)),
        }
    }

    /// Reads a file's bytes, never through a symlink, refusing files over [`MAX_FILE_BYTES`].
    pub fn read(&self, path: &MemoryPath) -> Result<Vec<u8>> {
        self.read_opt(path)?.ok_or_else(|| Error::NotFound {
            path: path.rel.clone(),
        })
    }

    /// Reads a file's bytes, or `None` when it does not exist.
    pub fn read_opt(&self, path: &MemoryPath) -> Result<Option<Vec<u8>>> {
        let abs = self.abs(path);
        let file = match os::no_follow(OpenOptions::new().read(true), true).open(&abs) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if os::is_symlink_refusal(&e) => {
                return Err(Error::refused(&path.rel, SYMLINK_RULE));
            }
            Err(e) => return Err(Error::io(abs, e)),
        };
        let meta = file.metadata().map_err(|e| Error::io(&abs, e))?;
        check_entry(&path.rel, &meta)?;
        if meta.len() > MAX_FILE_BYTES as u64 {
            return Err(Error::ContentRefused {
                path: path.rel.clone(),
                rule: format!(
                    "the file is {} bytes; the tools handle files up to {MAX_FILE_BYTES} bytes",
                    meta.len()
                ),
            });
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(&abs, e))?;
        Ok(Some(buf))
    }

    /// Checks content against the rules every write obeys: the size cap and no NUL bytes.
    pub fn check_content(path: &MemoryPath, bytes: &[u8]) -> Result<()> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(Error::ContentRefused {
                path: path.rel.clone(),
                rule: format!(
                    "{} bytes is over the {MAX_FILE_BYTES}-byte cap for one memory file; split it into topic files",
                    bytes.len()
                ),
            });
        }
        if bytes.contains(&0) {
            return Err(Error::ContentRefused {
                path: path.rel.clone(),
                rule: "it contains a NUL byte; memory files are text".to_string(),
            });
        }
        Ok(())
    }

    /// Replaces (or creates) a file atomically: a temporary file in the same folder, fsync, rename, fsync
    /// of the folder. A crash at any point leaves either the old or the new content, never a mix.
    ///
    /// `path` must already have been resolved for the kind of write intended; the index is accepted here
    /// because `rewrite_index` and undo write it after their own checks.
    pub(crate) fn write_atomic(&self, path: &MemoryPath, bytes: &[u8]) -> Result<()> {
        Self::check_content(path, bytes)?;
        let abs = self.abs(path);
        if path.is_team() {
            self.ensure_team_dir()?;
        }
        let mode = fs::symlink_metadata(&abs)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        atomic::replace(&abs, bytes, mode)
    }

    /// Removes a file and makes the removal durable.
    pub(crate) fn remove(&self, path: &MemoryPath) -> Result<()> {
        let abs = self.abs(path);
        match fs::remove_file(&abs) {
            Ok(()) => atomic::sync_dir(abs.parent().unwrap_or(&self.root)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound {
                path: path.rel.clone(),
            }),
            Err(e) => Err(Error::io(abs, e)),
        }
    }

    /// Makes a file `image`: `Some(bytes)` writes them atomically, `None` removes the file if it exists.
    /// Every change goes through here, after the journal has recorded the current state.
    pub(crate) fn restore(&self, path: &MemoryPath, image: Option<&[u8]>) -> Result<()> {
        match image {
            Some(bytes) => self.write_atomic(path, bytes),
            None if self.exists(path) => self.remove(path),
            None => Ok(()),
        }
    }

    /// Removes temporary files that a write killed between creating and renaming them left behind
    /// (`.<name>.dream-tmp-<pid>-<n>` whose process is gone). Returns how many were removed.
    pub(crate) fn sweep_temp_files(&self) -> Result<usize> {
        let mut removed = 0;
        for folder in [self.root.clone(), self.root.join(TEAM_DIR)] {
            let Ok(entries) = fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(pid) = atomic::temp_file_pid(&name) else {
                    continue;
                };
                if pid != std::process::id() && !os::pid_alive(pid) {
                    fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    fn ensure_team_dir(&self) -> Result<()> {
        let team = self.root.join(TEAM_DIR);
        match fs::symlink_metadata(&team) {
            Ok(m) if m.is_dir() && !m.file_type().is_symlink() => Ok(()),
            Ok(_) => Err(Error::refused(
                "team/",
                "`team` exists but is not a plain folder",
            )),
            Err(_) => {
                fs::create_dir(&team).map_err(|e| Error::io(&team, e))?;
                atomic::sync_dir(&self.root)
            }
        }
    }

    /// Lists the topic files (top level and `team/`) and everything the tools leave alone.
    pub fn list(&self) -> Result<Listing> {
        let mut listing = Listing::default();
        self.list_folder(&self.root, "", &mut listing)?;
        let team = self.root.join(TEAM_DIR);
        if fs::symlink_metadata(&team).is_ok_and(|m| m.is_dir()) {
            self.list_folder(&team, "team/", &mut listing)?;
        }
        listing.files.sort();
        listing.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(listing)
    }

    fn list_folder(&self, dir: &Path, prefix: &str, listing: &mut Listing) -> Result<()> {
        let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            let file_type = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if name.starts_with('.') {
                continue; // the lock file, editor swap files, .git: never ours to show
            }
            if prefix.is_empty() && (name == TEAM_DIR && file_type.is_dir()) {
                continue;
            }
            if prefix.is_empty() && name == INDEX_NAME && file_type.is_file() {
                continue;
            }
            let skip = |reason: &str| Skipped {
                path: rel.clone(),
                reason: reason.to_string(),
            };
            if file_type.is_symlink() {
                listing.skipped.push(skip(SYMLINK_RULE));
                continue;
            }
            if file_type.is_dir() {
                let reason = if PROTECTED_DIRS.contains(&name.as_str()) {
                    "protected folder (session logs or Claude Code's own); read only to the tools"
                } else {
                    "folder; only top-level files and team/ are managed"
                };
                listing.skipped.push(skip(reason));
                continue;
            }
            match self.resolve(&rel, Access::Read) {
                Ok(path) => listing.files.push(path),
                Err(Error::PathRefused { rule, .. }) => listing.skipped.push(skip(&rule)),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Why a symlink in the memory directory is refused.
const SYMLINK_RULE: &str = "it is a symlink, which is never followed";

/// The rules for an entry that exists: a regular file, not a symlink, not hard-linked elsewhere. Applied to
/// the path before any change and again to the opened file, so every read (the index included) obeys them.
fn check_entry(raw: &str, m: &fs::Metadata) -> Result<()> {
    let rule = if m.file_type().is_symlink() {
        SYMLINK_RULE
    } else if m.is_dir() {
        "it is a directory, not a file"
    } else if !m.is_file() {
        "it is not a regular file"
    } else if m.nlink() > 1 {
        "the file has other hard links (it may be shared with a file outside the memory directory)"
    } else {
        return Ok(());
    };
    Err(Error::refused(raw, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_top_level_and_team_markdown() {
        for ok in [
            "a.md",
            "feedback_testing.md",
            "team/shared-notes.md",
            "MEMORY.md",
            "v1.2.md",
        ] {
            assert_eq!(
                MemoryPath::parse(ok).map(|p| p.rel).ok().as_deref(),
                Some(ok),
                "{ok}"
            );
        }
    }

    #[test]
    fn refuses_each_syntactic_rule_with_its_reason() {
        let cases = [
            ("", "empty"),
            ("/etc/passwd.md", "absolute"),
            ("~/x.md", "absolute"),
            ("../x.md", "'..'"),
            ("team/../x.md", "'..'"),
            ("./MEMORY.md", "'.'"),
            ("a\\b.md", "backslash"),
            ("a//b.md", "empty path segment"),
            ("x.txt", "Markdown"),
            (".md", "hidden"),
            (".hidden.md", "hidden"),
            ("logs/2026/x.md", "protected"),
            ("agents/x.md", "protected"),
            ("notes/x.md", "only top-level"),
            ("team/a/b.md", "only top-level"),
            ("a\0.md", "control"),
            ("a\n.md", "control"),
            ("memory.md", "case"),
            ("team/MEMORY.md", "top level"),
            ("a b.md", "not allowed"),
            ("x\u{2215}y.md", "non-ASCII"),
        ];
        for (raw, needle) in cases {
            match MemoryPath::parse(raw) {
                Err(Error::PathRefused { rule, path }) => {
                    assert_eq!(path, raw);
                    assert!(
                        rule.contains(needle),
                        "{raw:?}: rule {rule:?} lacks {needle:?}"
                    );
                }
                other => panic!("{raw:?} should be refused, got {other:?}"),
            }
        }
        let long = format!("{}.md", "a".repeat(10_000));
        assert!(
            matches!(MemoryPath::parse(&long), Err(Error::PathRefused { rule, .. }) if rule.contains("bytes long"))
        );
    }
}
