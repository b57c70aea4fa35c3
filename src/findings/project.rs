//! The project a memory describes, as `stale_path` looks paths up in it: its root (the git root above the
//! directory given, as for the memory itself), every file and folder a checkout holds (walked once, git-ignored
//! entries left out), the names of its folders at any depth, its files by name, and its `.gitignore` rules.
//!
//! A folder with neither a git root above it nor a project manifest is no project: nothing is checked
//! against it, since a memory read from a home folder would otherwise report every path it names.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Files that make a folder a project (or a sub-project of one) without a git repository.
const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "Gemfile",
    "composer.json",
    "flake.nix",
    "CLAUDE.md",
];

/// Build output and dependency folders: not walked, never checked.
pub(crate) const GENERATED: &[&str] = &[
    "node_modules",
    "dist",
    "build",
    "out",
    "target",
    "coverage",
    ".next",
    ".nuxt",
    ".svelte-kit",
    ".turbo",
    ".cache",
    "vendor",
    "__pycache__",
    ".venv",
    "venv",
    ".git",
    "tmp",
];

/// Most entries walked: a larger tree is looked up on disk only.
const MAX_ENTRIES: usize = 400_000;

/// The project tree, walked once.
pub(crate) struct Project {
    root: PathBuf,
    /// Every file and folder, relative to the root, `/`-separated (folders without a trailing `/`).
    entries: Vec<String>,
    files: HashSet<String>,
    dirs: HashSet<String>,
    dir_names: HashSet<String>,
    by_name: HashMap<String, Vec<usize>>,
    ignores: Vec<Gitignore>,
    extensions: HashSet<String>,
    /// Whether the walk stopped at [`MAX_ENTRIES`] (then absence from the listing proves nothing).
    truncated: bool,
    has_git: bool,
}

/// Where a missing path is now, as far as the tree and its history tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Moved {
    /// `x.rs` became the folder `x/`.
    BecameFolder(String),
    /// Another file with the same name and folder but another extension.
    Extension(String),
    /// The one file elsewhere with the same name.
    Elsewhere(String),
    /// Git records a rename.
    Renamed(String),
}

impl Moved {
    /// Where it is now, project-relative.
    pub(crate) fn path(&self) -> &str {
        match self {
            Moved::BecameFolder(p)
            | Moved::Extension(p)
            | Moved::Elsewhere(p)
            | Moved::Renamed(p) => p,
        }
    }

    /// In words, for the finding.
    pub(crate) fn describe(&self) -> String {
        match self {
            Moved::BecameFolder(p) => format!("the file became the folder `{p}/`"),
            Moved::Extension(p) => format!("it is `{p}` now (another extension)"),
            Moved::Elsewhere(p) => format!("the only file of that name is `{p}`"),
            Moved::Renamed(p) => format!("git records it renamed to `{p}`"),
        }
    }
}

/// The project root holding `dir` (the git root above it, else `dir` when it holds a manifest) and whether
/// it is a git repository.
pub(crate) fn root_of(dir: &Path) -> Option<(PathBuf, bool)> {
    match dir.ancestors().find(|a| a.join(".git").exists()) {
        Some(r) => Some((r.to_path_buf(), true)),
        None if MANIFESTS.iter().any(|m| dir.join(m).is_file()) => Some((dir.to_path_buf(), false)),
        None => None,
    }
}

/// The project's `CLAUDE.md` at its root, when there is one of at most 1 MiB.
pub(crate) fn claude_md(dir: &Path) -> Option<String> {
    let (root, _) = root_of(dir)?;
    let path = root.join("CLAUDE.md");
    let meta = std::fs::metadata(&path).ok()?;
    (meta.is_file() && meta.len() <= 1 << 20)
        .then(|| std::fs::read(&path).ok())
        .flatten()
        .map(crate::memory::dir::into_text)
}

impl Project {
    /// The project holding `dir`: the git root above it, else `dir` itself when it holds a manifest; `None`
    /// when there is no project to check paths against.
    pub(crate) fn open(dir: &Path) -> Option<Project> {
        let (root, has_git) = root_of(dir)?;
        let mut p = Project {
            has_git,
            root,
            entries: Vec::new(),
            files: HashSet::new(),
            dirs: HashSet::new(),
            dir_names: HashSet::new(),
            by_name: HashMap::new(),
            ignores: Vec::new(),
            extensions: HashSet::new(),
            truncated: false,
        };
        p.walk();
        Some(p)
    }

    /// The project root.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn walk(&mut self) {
        let walker = ignore::WalkBuilder::new(&self.root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .ignore(false)
            .parents(false)
            .require_git(false)
            .filter_entry(|e| {
                e.file_name()
                    .to_str()
                    .is_none_or(|n| !GENERATED.contains(&n))
            })
            .build();
        let mut gitignores = Vec::new();
        for entry in walker.flatten() {
            if self.entries.len() >= MAX_ENTRIES {
                self.truncated = true;
                break;
            }
            let Ok(rel) = entry.path().strip_prefix(&self.root) else {
                continue;
            };
            let Some(rel) = rel.to_str().map(|r| r.replace('\\', "/")) else {
                continue;
            };
            if rel.is_empty() {
                continue;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            if name == ".gitignore" {
                gitignores.push(entry.path().to_path_buf());
            }
            if is_dir {
                self.dir_names.insert(name.clone());
                self.dirs.insert(rel.clone());
            } else {
                if let Some((_, ext)) = name.rsplit_once('.') {
                    self.extensions.insert(ext.to_ascii_lowercase());
                }
                self.files.insert(rel.clone());
            }
            self.by_name
                .entry(name)
                .or_default()
                .push(self.entries.len());
            self.entries.push(rel);
        }
        for file in gitignores {
            let Some(dir) = file.parent() else { continue };
            let mut b = GitignoreBuilder::new(dir);
            if b.add(&file).is_none()
                && let Ok(gi) = b.build()
            {
                self.ignores.push(gi);
            }
        }
        let exclude = self.root.join(".git").join("info").join("exclude");
        if exclude.is_file() {
            let mut b = GitignoreBuilder::new(&self.root);
            if b.add(&exclude).is_none()
                && let Ok(gi) = b.build()
            {
                self.ignores.push(gi);
            }
        }
    }

    /// Whether `rel` (a file or folder, project-relative) is there.
    pub(crate) fn exists(&self, rel: &str) -> bool {
        let rel = rel.trim_end_matches('/');
        if self.files.contains(rel) || self.dirs.contains(rel) {
            return true;
        }
        // Git-ignored entries are not walked but may be on disk.
        self.root.join(rel).try_exists().unwrap_or(true)
    }

    /// Whether `rel` is a folder of the project.
    pub(crate) fn is_dir(&self, rel: &str) -> bool {
        self.dirs.contains(rel.trim_end_matches('/'))
    }

    /// Whether some folder anywhere in the tree is called `name`.
    pub(crate) fn has_dir_named(&self, name: &str) -> bool {
        self.truncated || self.dir_names.contains(name)
    }

    /// Whether some file of the project has the (lower-case) extension `ext`.
    pub(crate) fn has_extension(&self, ext: &str) -> bool {
        self.truncated || self.extensions.contains(ext)
    }

    /// Whether some file or folder anywhere in the tree is called `name`.
    pub(crate) fn has_name(&self, name: &str) -> bool {
        self.truncated || self.by_name.contains_key(name)
    }

    /// The entries whose path ends with `rel` at a folder boundary (`death/bridges/system.rs` matches
    /// `game/src/death/bridges/system.rs`).
    pub(crate) fn with_suffix(&self, rel: &str) -> Vec<&str> {
        let rel = rel.trim_end_matches('/');
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let Some(hits) = self.by_name.get(name) else {
            return Vec::new();
        };
        hits.iter()
            .map(|&i| self.entries[i].as_str())
            .filter(|e| *e == rel || e.ends_with(&format!("/{rel}")))
            .collect()
    }

    /// Whether the project's `.gitignore` rules ignore `rel` (as a file or, since a missing path may
    /// have been either, as a folder).
    pub(crate) fn is_ignored(&self, rel: &str) -> bool {
        let path = self.root.join(rel.trim_end_matches('/'));
        self.ignores.iter().any(|gi| {
            path.starts_with(gi.path())
                && [false, true]
                    .iter()
                    .any(|&dir| gi.matched_path_or_any_parents(&path, dir).is_ignore())
        })
    }

    /// Where the missing `rel` is now, when the tree or git history says.
    pub(crate) fn moved(&self, rel: &str) -> Option<Moved> {
        let rel = rel.trim_end_matches('/');
        let (folder, name) = match rel.rsplit_once('/') {
            Some((f, n)) => (Some(f), n),
            None => (None, rel),
        };
        let join = |n: &str| match folder {
            Some(f) => format!("{f}/{n}"),
            None => n.to_string(),
        };
        if let Some((stem, _)) = name.rsplit_once('.').filter(|(s, _)| !s.is_empty()) {
            let as_folder = join(stem);
            if !self.with_suffix(&as_folder).is_empty()
                && self.with_suffix(&as_folder).iter().all(|p| self.is_dir(p))
            {
                return Some(Moved::BecameFolder(
                    self.unique_suffix(&as_folder).unwrap_or(as_folder),
                ));
            }
            let prefix = format!("{stem}.");
            let same_stem: Vec<&str> = self
                .by_name
                .iter()
                .filter(|(n, _)| n.starts_with(&prefix) && !n[prefix.len()..].contains('.'))
                .flat_map(|(_, ids)| ids.iter().map(|&i| self.entries[i].as_str()))
                .filter(|e| {
                    let parent = e.rsplit_once('/').map(|(f, _)| f);
                    match folder {
                        Some(f) => parent.is_some_and(|p| p == f || p.ends_with(&format!("/{f}"))),
                        None => true,
                    }
                })
                .collect();
            if let [only] = same_stem.as_slice() {
                return Some(Moved::Extension((*only).to_string()));
            }
        }
        if let Some(ids) = self.by_name.get(name)
            && let [only] = ids.as_slice()
        {
            return Some(Moved::Elsewhere(self.entries[*only].clone()));
        }
        self.renamed_in_history(rel).map(Moved::Renamed)
    }

    fn unique_suffix(&self, rel: &str) -> Option<String> {
        match self.with_suffix(rel).as_slice() {
            [only] => Some((*only).to_string()),
            _ => None,
        }
    }

    /// The path git last renamed `rel` to, when the project has history.
    fn renamed_in_history(&self, rel: &str) -> Option<String> {
        if !self.has_git {
            return None;
        }
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args([
                "log",
                "--format=",
                "--name-status",
                "-M",
                "--diff-filter=R",
                "--max-count=1",
                "--",
            ])
            .arg(rel)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.starts_with('R'))?;
        let mut parts = line.split('\t');
        let (_, _, new) = (parts.next()?, parts.next()?, parts.next()?);
        self.exists(new).then(|| new.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for p in paths {
            let full = dir.path().join(p);
            if p.ends_with('/') {
                std::fs::create_dir_all(&full).unwrap_or_else(|e| panic!("{e}"));
            } else {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
                }
                std::fs::write(&full, "").unwrap_or_else(|e| panic!("{e}"));
            }
        }
        dir
    }

    #[test]
    fn no_git_root_and_no_manifest_is_no_project() {
        let t = tree(&["notes/a.md"]);
        assert!(Project::open(t.path()).is_none());
        let t = tree(&["Cargo.toml", "src/lib.rs"]);
        assert!(Project::open(t.path()).is_some());
    }

    #[test]
    fn a_subfolder_opens_the_git_root() {
        let t = tree(&[".git/", "app/src/main.rs", "docs/x.md"]);
        let p = Project::open(&t.path().join("app")).unwrap_or_else(|| panic!("no project"));
        assert_eq!(p.root(), t.path());
        assert!(p.exists("docs/x.md") && p.exists("app/src/main.rs"));
    }

    #[test]
    fn finds_suffixes_names_ignores_and_moves() {
        let t = tree(&[
            "Cargo.toml",
            ".gitignore",
            "game/src/death/bridges/system.rs",
            "game/src/walls/core/",
            "web/src/context/Character.js",
            "lib/quality/pipeline.py",
        ]);
        std::fs::write(t.path().join(".gitignore"), "/secrets/\n*.log\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let p = Project::open(t.path()).unwrap_or_else(|| panic!("no project"));
        assert_eq!(
            p.with_suffix("death/bridges/system.rs"),
            ["game/src/death/bridges/system.rs"]
        );
        assert!(p.with_suffix("ath/bridges/system.rs").is_empty());
        assert!(p.has_dir_named("bridges") && !p.has_dir_named("system.rs"));
        assert!(p.is_ignored("secrets/prod.env") && p.is_ignored("logs/a.log"));
        assert!(!p.is_ignored("game/src/x.rs"));
        assert_eq!(
            p.moved("game/src/walls/core.rs"),
            Some(Moved::BecameFolder("game/src/walls/core".to_string()))
        );
        assert_eq!(
            p.moved("context/Character.jsx"),
            Some(Moved::Extension("web/src/context/Character.js".to_string()))
        );
        assert_eq!(
            p.moved("scripts/pipeline.py"),
            Some(Moved::Elsewhere("lib/quality/pipeline.py".to_string()))
        );
        assert_eq!(p.moved("scripts/gone.sh"), None);
    }
}
