//! The memory directory, and the one type that decides which paths inside it may be touched.
//!
//! Every tool path is relative to the memory directory and goes through [`MemoryPath::parse`] (the
//! syntactic rules) and [`MemoryDir::resolve`] (the rules that need the filesystem: symlinks, hard links,
//! directories). Nothing else in the crate opens a memory file: reads, atomic writes, deletes and listings
//! all live here.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::memory::atomic::{self, Staged};
use crate::os::{self, Dir, Open};

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

/// One version of a file as `stat` sees it: size, modification and status-change times, and identity.
/// Two equal stamps mean the file was not written in between, unless both writes fell in one tick of
/// the file system's clock; [`Stamp::settled`] tells when that can no longer happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: SystemTime,
    changed: SystemTime,
    id: (u64, u64),
}

/// How long after its last change a file's stamp is trusted: longer than any file system's clock tick,
/// so a write in the same tick as the one stamped cannot go unseen (git's "racy clean" rule).
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

impl Stamp {
    fn of(m: &os::Meta) -> Stamp {
        Stamp {
            len: m.len,
            modified: m.modified,
            changed: m.changed,
            id: m.id,
        }
    }

    /// The last modification time.
    pub fn modified(&self) -> SystemTime {
        self.modified
    }

    /// The size in bytes.
    pub fn bytes(&self) -> u64 {
        self.len
    }

    /// Whether the file was last changed long enough before `now` that a later write must change the
    /// stamp; a stamp that is not settled says nothing about the content.
    pub fn settled(&self, now: SystemTime) -> bool {
        let last = self.modified.max(self.changed);
        now.duration_since(last).is_ok_and(|age| age >= SETTLE)
    }
}

/// The result of listing the memory directory: managed Markdown files and everything else.
#[derive(Debug, Default)]
pub struct Listing {
    /// Topic files (not the index), sorted by path.
    pub files: Vec<MemoryPath>,
    /// Each file's stamp when it was listed, in the order of `files`.
    pub stamps: Vec<Stamp>,
    /// Entries the tools leave alone, with reasons.
    pub skipped: Vec<Skipped>,
}

/// An existing memory directory. All file access inside it goes through this type, relative to one
/// handle opened once (see [`crate::os`]): no path string below the root is ever walked again.
#[derive(Debug, Clone)]
pub struct MemoryDir {
    root: PathBuf,
    handle: Arc<Dir>,
}

/// The folder a [`MemoryPath`] lives in, opened: the root, or `team/` opened without following it.
enum Folder<'a> {
    Root(&'a Dir),
    Team(Dir),
}

impl std::ops::Deref for Folder<'_> {
    type Target = Dir;
    fn deref(&self) -> &Dir {
        match self {
            Folder::Root(d) => d,
            Folder::Team(d) => d,
        }
    }
}

impl MemoryDir {
    /// Opens the memory directory at `path`, which must exist and be a directory.
    ///
    /// The root is resolved once here (a memory directory that is itself a symlink, as in a dotfiles
    /// setup, is allowed) and held open; nothing below it is ever followed through a symlink.
    pub fn open(path: &Path) -> Result<MemoryDir> {
        let handle = Dir::open(path).map_err(|e| Error::MemoryDir {
            path: path.to_path_buf(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist (Claude Code creates it when it first saves a memory; check `dream-mcp where`)"
                    .to_string(),
                std::io::ErrorKind::NotADirectory => "is not a directory".to_string(),
                _ => e.to_string(),
            },
        })?;
        let root = fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        Ok(MemoryDir {
            root,
            handle: Arc::new(handle),
        })
    }

    /// The canonical absolute path of the memory directory (for messages and commands; never walked).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The open handle of the memory directory itself (the lock file and the directory lock use it).
    pub(crate) fn handle(&self) -> &Dir {
        &self.handle
    }

    fn abs(&self, path: &MemoryPath) -> PathBuf {
        self.root.join(&path.rel)
    }

    /// The opened folder of `path` and its file name there; `Ok(None)` when `team/` does not exist.
    fn folder<'a>(&'a self, path: &'a MemoryPath) -> Result<Option<(Folder<'a>, &'a str)>> {
        match path.rel.split_once('/') {
            None => Ok(Some((Folder::Root(&self.handle), &path.rel))),
            Some((_, name)) => match self.handle.sub(TEAM_DIR) {
                Ok(Some(team)) => Ok(Some((Folder::Team(team), name))),
                Ok(None) => Ok(None),
                Err(e) if os::is_symlink_refusal(&e) => Err(self.team_refusal(&path.rel)),
                Err(e) => Err(Error::io(self.root.join(TEAM_DIR), e)),
            },
        }
    }

    /// Why `team/` cannot be used for `raw`: it is a symlink, or not a folder.
    fn team_refusal(&self, raw: &str) -> Error {
        match self.handle.stat(TEAM_DIR) {
            Ok(Some(m)) if m.kind == os::Kind::Symlink => {
                Error::refused(raw, "`team/` is a symlink, which is never followed")
            }
            _ => Error::refused(raw, "`team` exists but is not a folder"),
        }
    }

    /// Like [`MemoryDir::folder`], creating `team/` when a write needs it.
    fn folder_for_write<'a>(&'a self, path: &'a MemoryPath) -> Result<(Folder<'a>, &'a str)> {
        if let Some(found) = self.folder(path)? {
            return Ok(found);
        }
        let team = self.root.join(TEAM_DIR);
        let (dir, created) = match self.handle.sub_or_create(TEAM_DIR, 0o755) {
            Ok(d) => d,
            Err(e) if os::is_symlink_refusal(&e) => return Err(self.team_refusal(&path.rel)),
            Err(e) => return Err(Error::io(team, e)),
        };
        if created {
            atomic::sync_dir(&self.handle)?;
        }
        let name = path
            .rel
            .split_once('/')
            .map_or(path.rel.as_str(), |(_, n)| n);
        Ok((Folder::Team(dir), name))
    }

    /// Facts about `path` without following it; `None` when it (or `team/`) does not exist.
    fn stat(&self, path: &MemoryPath) -> Result<Option<os::Meta>> {
        let Some((folder, name)) = self.folder(path)? else {
            return Ok(None);
        };
        folder.stat(name).map_err(|e| Error::io(self.abs(path), e))
    }

    /// Checks `raw` against every rule, including those that need the filesystem.
    ///
    /// Beyond [`MemoryPath::parse`]: no symlink anywhere on the way or at the end, the target is not a
    /// directory, it is not hard-linked elsewhere, and with [`Access::Write`] it is not the index. The
    /// same rules are applied again, by the kernel and on the opened file, at every later use.
    pub fn resolve(&self, raw: &str, access: Access) -> Result<MemoryPath> {
        let path = MemoryPath::parse(raw)?;
        if access == Access::Write && path.is_index() {
            return Err(Error::refused(
                raw,
                "MEMORY.md is written only by the rewrite_index tool, which checks the 200-line limit",
            ));
        }
        match self.stat(&path)? {
            Some(m) => check_entry(raw, &m).map(|()| path),
            None => Ok(path),
        }
    }

    /// Whether the file exists (as a regular file).
    pub fn exists(&self, path: &MemoryPath) -> bool {
        self.stat(path)
            .ok()
            .flatten()
            .is_some_and(|m| m.kind == os::Kind::File)
    }

    /// Size and modification time of a file, or `None` when it does not exist.
    pub fn meta(&self, path: &MemoryPath) -> Result<Option<FileMeta>> {
        Ok(self.stat(path)?.map(|m| FileMeta {
            len: m.len,
            modified: m.modified,
        }))
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
        let Some((folder, name)) = self.folder(path)? else {
            return Ok(None);
        };
        let file = match folder.open_file(name, Open::Read) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if os::is_symlink_refusal(&e) => {
                return Err(Error::refused(&path.rel, SYMLINK_RULE));
            }
            Err(e) => return Err(Error::io(abs, e)),
        };
        let meta = os::meta_of(&file).map_err(|e| Error::io(&abs, e))?;
        check_entry(&path.rel, &meta)?;
        if meta.len > MAX_FILE_BYTES as u64 {
            return Err(Error::ContentRefused {
                path: path.rel.clone(),
                rule: format!(
                    "the file is {} bytes; the tools handle files up to {MAX_FILE_BYTES} bytes",
                    meta.len
                ),
            });
        }
        let mut buf = Vec::with_capacity(meta.len as usize);
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

    /// Stages `bytes` for `path` in its (opened) folder: the first half of an atomic replace, keeping
    /// the permission bits of the file it replaces.
    fn stage<'a>(&'a self, path: &'a MemoryPath, bytes: &[u8]) -> Result<(Folder<'a>, Staged)> {
        Self::check_content(path, bytes)?;
        let (folder, name) = self.folder_for_write(path)?;
        let mode = match folder.stat(name) {
            Ok(Some(m)) if m.kind == os::Kind::File => m.mode,
            _ => 0o644,
        };
        let staged = atomic::stage(&folder, name, bytes, mode)?;
        Ok((folder, staged))
    }

    /// Makes every file of `changes` its image — `Some(bytes)` written atomically, `None` removed if it
    /// exists — with the flushes batched: all new contents are written, flushed at once, renamed into
    /// place, and each folder is flushed once. A crash leaves every file either old or new. Every
    /// change goes through here, after the journal has recorded the current state.
    pub(crate) fn restore_all(&self, changes: &[(&MemoryPath, Option<&[u8]>)]) -> Result<()> {
        let mut staged = Vec::new();
        let result = (|| {
            for (path, image) in changes {
                if let Some(bytes) = image {
                    staged.push(self.stage(path, bytes)?);
                }
            }
            let files: Vec<&std::fs::File> = staged.iter().map(|(_, s)| s.file()).collect();
            self.handle
                .sync_files(&files)
                .map_err(|e| Error::io(&self.root, e))
        })();
        if let Err(e) = result {
            for (folder, s) in staged {
                atomic::abandon(&folder, s);
            }
            return Err(e);
        }
        let mut team_touched = false;
        for (folder, s) in staged {
            team_touched |= matches!(folder, Folder::Team(_));
            atomic::commit(&folder, s)?;
        }
        for (path, image) in changes {
            if image.is_none() && self.exists(path) {
                team_touched |= path.is_team();
                self.unlink(path)?;
            }
        }
        atomic::sync_dir(&self.handle)?;
        if team_touched && let Some(team) = self.team()? {
            atomic::sync_dir(&team)?;
        }
        Ok(())
    }

    /// Unlinks `path` (the caller syncs its folder).
    fn unlink(&self, path: &MemoryPath) -> Result<()> {
        let Some((folder, name)) = self.folder(path)? else {
            return Err(Error::NotFound {
                path: path.rel.clone(),
            });
        };
        match folder.remove_file(name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound {
                path: path.rel.clone(),
            }),
            Err(e) => Err(Error::io(self.abs(path), e)),
        }
    }

    /// `team/`, opened without following it; `None` when absent, a symlink or not a folder.
    fn team(&self) -> Result<Option<Dir>> {
        match self.handle.sub(TEAM_DIR) {
            Ok(d) => Ok(d),
            Err(e) if os::is_symlink_refusal(&e) => Ok(None),
            Err(e) => Err(Error::io(self.root.join(TEAM_DIR), e)),
        }
    }

    /// Removes temporary files that a write killed between creating and renaming them left behind
    /// (`.<name>.dream-tmp-<pid>-<n>` whose process is gone), at the top level and in `team/` — never
    /// through a `team` symlink. Returns how many were removed.
    pub fn sweep_temp_files(&self) -> Result<usize> {
        let mut removed = atomic::sweep(&self.handle)?;
        if let Some(team) = self.team()? {
            removed += atomic::sweep(&team)?;
        }
        Ok(removed)
    }

    /// [`MemoryDir::sweep_temp_files`] as housekeeping: a failure is logged, never reported as the
    /// failure of the change or the start that triggered it.
    pub fn sweep_logged(&self) {
        match self.sweep_temp_files() {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} temporary file(s) left by interrupted writes"),
            Err(e) => {
                tracing::warn!("could not remove temporary files left by interrupted writes: {e}")
            }
        }
    }

    /// Lists the topic files (top level and `team/`) and everything the tools leave alone.
    pub fn list(&self) -> Result<Listing> {
        let mut listing = Listing::default();
        self.list_folder(&self.handle, "", &mut listing)?;
        if let Some(team) = self.team()? {
            self.list_folder(&team, "team/", &mut listing)?;
        }
        let mut files: Vec<(MemoryPath, Stamp)> = listing
            .files
            .drain(..)
            .zip(listing.stamps.drain(..))
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        (listing.files, listing.stamps) = files.into_iter().unzip();
        listing.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(listing)
    }

    fn list_folder(&self, dir: &Dir, prefix: &str, listing: &mut Listing) -> Result<()> {
        let entries = dir.entries().map_err(|e| Error::io(dir.path(), e))?;
        for (name, kind) in entries {
            list_entry(dir, prefix, &name, kind, listing)?;
        }
        Ok(())
    }

    /// What [`MemoryDir::list`] says of just the entries `names` (relative to the memory directory, as
    /// [`Watcher::changes`] gives them): the ones that exist, listed or skipped the same way.
    pub fn list_names(&self, names: &[String]) -> Result<Listing> {
        let mut listing = Listing::default();
        let team = match names.iter().any(|n| n.starts_with("team/")) {
            true => self.team()?,
            false => None,
        };
        for rel in names {
            let (dir, prefix, name) = match rel.strip_prefix("team/") {
                Some(name) => match &team {
                    Some(team) => (team, "team/", name),
                    None => continue,
                },
                None => (self.handle.as_ref(), "", rel.as_str()),
            };
            if let Some(m) = dir
                .stat(name)
                .map_err(|e| Error::io(dir.path().join(name), e))?
            {
                list_entry(dir, prefix, name, m.kind, &mut listing)?;
            }
        }
        Ok(listing)
    }

    /// A watch on this directory and its `team/` folder: which names change from now on. `None` where
    /// the system gives no change notifications (callers then look at every file).
    pub fn watch(&self) -> Option<Watcher> {
        let watch = || -> std::io::Result<Watcher> {
            let mut watch = os::Watch::new()?;
            watch.add(&self.handle, "")?;
            if let Ok(Some(team)) = self.team() {
                watch.add(&team, "team/")?;
            }
            Ok(Watcher {
                watch,
                id: self.handle.meta()?.id,
            })
        };
        watch()
            .inspect_err(|e| {
                tracing::debug!("no change notifications for {}: {e}", self.root.display())
            })
            .ok()
    }
}

/// Which names in one memory directory changed, from the kernel (see [`MemoryDir::watch`]).
#[derive(Debug)]
pub struct Watcher {
    watch: os::Watch,
    /// The directory watched (device, inode).
    id: (u64, u64),
}

impl Watcher {
    /// The names (relative to the memory directory) changed since the last call, a name possibly more
    /// than once; `None` when anything may have changed: the kernel lost count, `team/` came or went, a
    /// watched folder moved, or `dir` is not the directory watched.
    pub fn changes(&mut self, dir: &MemoryDir) -> Option<Vec<String>> {
        if dir.handle.meta().ok()?.id != self.id {
            return None;
        }
        let names = self.watch.changes().ok()??;
        (!names.iter().any(|n| n == TEAM_DIR)).then_some(names)
    }
}

/// Adds one entry of a folder (`prefix` names it: `""` or `"team/"`) to `listing`, as a topic file with
/// its stamp or as skipped with the reason; the index, dot files and `team/` itself are left out.
fn list_entry(
    dir: &Dir,
    prefix: &str,
    name: &str,
    kind: os::Kind,
    listing: &mut Listing,
) -> Result<()> {
    let rel = format!("{prefix}{name}");
    if name.starts_with('.') {
        return Ok(()); // the lock file, editor swap files, .git: never ours to show
    }
    if prefix.is_empty() && (name == TEAM_DIR && kind == os::Kind::Dir) {
        return Ok(());
    }
    if prefix.is_empty() && name == INDEX_NAME && kind == os::Kind::File {
        return Ok(());
    }
    let skip = |reason: &str| Skipped {
        path: rel.clone(),
        reason: reason.to_string(),
    };
    match kind {
        os::Kind::Symlink => listing.skipped.push(skip(SYMLINK_RULE)),
        os::Kind::Dir => {
            let reason = if PROTECTED_DIRS.contains(&name) {
                "protected folder (session logs or Claude Code's own); read only to the tools"
            } else {
                "folder; only top-level files and team/ are managed"
            };
            listing.skipped.push(skip(reason));
        }
        _ => match MemoryPath::parse(&rel).and_then(|p| {
            let meta = dir
                .stat(name)
                .map_err(|e| Error::io(dir.path().join(name), e))?;
            meta.as_ref().map_or(Ok(()), |m| check_entry(&rel, m))?;
            Ok(meta.map(|m| (p, Stamp::of(&m))))
        }) {
            Ok(Some((path, stamp))) => {
                listing.files.push(path);
                listing.stamps.push(stamp);
            }
            Ok(None) => {} // removed since the folder was read
            Err(Error::PathRefused { rule, .. }) => listing.skipped.push(skip(&rule)),
            Err(e) => return Err(e),
        },
    }
    Ok(())
}

/// Why a symlink in the memory directory is refused.
const SYMLINK_RULE: &str = "it is a symlink, which is never followed";

/// The rules for an entry that exists: a regular file, not a symlink, not hard-linked elsewhere. Applied to
/// the path before any change and again to the opened file, so every read (the index included) obeys them.
fn check_entry(raw: &str, m: &os::Meta) -> Result<()> {
    let rule = match m.kind {
        os::Kind::Symlink => SYMLINK_RULE,
        os::Kind::Dir => "it is a directory, not a file",
        os::Kind::Other => "it is not a regular file",
        os::Kind::File if m.nlink > 1 => {
            "the file has other hard links (it may be shared with a file outside the memory directory)"
        }
        os::Kind::File => return Ok(()),
    };
    Err(Error::refused(raw, rule))
}

/// A memory file's bytes as text, invalid UTF-8 replaced (as every reader shows it); valid text, the
/// usual case, is taken as it is rather than copied.
pub fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_watch_names_what_changed_and_gives_up_when_team_appears() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("a.md"), "x\n").unwrap_or_else(|e| panic!("{e}"));
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut watcher = dir.watch().unwrap_or_else(|| panic!("no watch"));
        assert_eq!(watcher.changes(&dir), Some(Vec::new()));
        std::fs::write(tmp.path().join("a.md"), "y\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("b.md"), "z\n").unwrap_or_else(|e| panic!("{e}"));
        let mut names = watcher
            .changes(&dir)
            .unwrap_or_else(|| panic!("lost count"));
        names.sort();
        names.dedup();
        assert_eq!(names, ["a.md", "b.md"]);
        std::fs::create_dir(tmp.path().join("team")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(watcher.changes(&dir), None, "team/ is not watched yet");
        let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let elsewhere = MemoryDir::open(other.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(watcher.changes(&elsewhere), None, "another directory");
    }
}
