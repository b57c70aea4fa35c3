//! Where the memory, the transcripts and the journal live, resolved the way Claude Code resolves them.
//!
//! Order, first match wins: explicit flags or `DREAM_*` environment variables; `autoMemoryDirectory` from
//! the user settings or the project's local settings (never the checked-in project settings); then
//! `<config>/projects/<slug of the canonical git root>/memory/`. Transcripts are keyed on the project
//! directory itself, not its git root.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::claude_code::slug;

/// Inputs to resolution: what flags and environment said. Empty fields fall back to the rules above.
#[derive(Debug, Clone, Default)]
pub struct LocationOptions {
    /// Explicit memory directory (`--memory-dir` / `DREAM_MEMORY_DIR`).
    pub memory_dir: Option<PathBuf>,
    /// Explicit transcripts directory (`--transcripts-dir` / `DREAM_TRANSCRIPTS_DIR`).
    pub transcripts_dir: Option<PathBuf>,
    /// The project directory (`--project-dir` / `CLAUDE_PROJECT_DIR`); defaults to the current directory.
    pub project_dir: Option<PathBuf>,
    /// Claude Code's config home (`CLAUDE_CONFIG_DIR`); defaults to `~/.claude`.
    pub config_dir: Option<PathBuf>,
    /// Explicit journal directory (`--journal-dir` / `DREAM_JOURNAL_DIR`).
    pub journal_dir: Option<PathBuf>,
    /// The home directory, for `~/` expansion and the default config home.
    pub home: Option<PathBuf>,
    /// The directory relative paths are taken from, and the default project directory.
    pub cwd: Option<PathBuf>,
    /// True when the environment turns auto-memory off (`CLAUDE_CODE_DISABLE_AUTO_MEMORY`).
    pub auto_memory_disabled: bool,
}

/// How the memory directory was found, so `where` can explain itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    /// `--memory-dir` or `DREAM_MEMORY_DIR`.
    Explicit,
    /// `autoMemoryDirectory` in `<project>/.claude/settings.local.json`.
    LocalSettings,
    /// `autoMemoryDirectory` in `<config>/settings.json`.
    UserSettings,
    /// `<config>/projects/<slug of git root>/memory/`.
    ProjectSlug,
}

/// The resolved folders every tool and command works on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Locations {
    /// The auto-memory directory (the only place tools write).
    pub memory_dir: PathBuf,
    /// How `memory_dir` was found.
    pub memory_source: MemorySource,
    /// Where this project's session transcripts (`*.jsonl`) are.
    pub transcripts_dir: PathBuf,
    /// The project the memory describes (used to check paths named in notes).
    pub project_dir: PathBuf,
    /// Claude Code's config home.
    pub config_dir: PathBuf,
    /// Where dream runs are journaled (outside the memory directory, so Claude Code never loads it).
    pub journal_dir: PathBuf,
    /// True when `CLAUDE_CODE_DISABLE_AUTO_MEMORY` turns auto-memory off for this environment.
    pub auto_memory_disabled: bool,
}

impl LocationOptions {
    /// Resolves every location. Never fails: a folder that does not exist is reported by the tools that
    /// need it, with the path they looked at.
    pub fn resolve(&self) -> Locations {
        let home = self.home.clone().unwrap_or_else(|| PathBuf::from("/"));
        let cwd = self.cwd.clone().unwrap_or_else(|| PathBuf::from("/"));
        let absolute = |p: &Path| {
            let p = expand_tilde(p, &home);
            if p.is_absolute() { p } else { cwd.join(p) }
        };
        let project_dir = absolute(self.project_dir.as_deref().unwrap_or(&cwd));
        let project_dir = fs::canonicalize(&project_dir).unwrap_or(project_dir);
        let config_dir = self
            .config_dir
            .as_deref()
            .map(absolute)
            .unwrap_or_else(|| home.join(".claude"));
        let projects = config_dir.join("projects");

        let (memory_dir, memory_source) = if let Some(dir) = &self.memory_dir {
            (absolute(dir), MemorySource::Explicit)
        } else if let Some(dir) = settings_memory_dir(
            &project_dir.join(".claude").join("settings.local.json"),
            &home,
        ) {
            (absolute(&dir), MemorySource::LocalSettings)
        } else if let Some(dir) = settings_memory_dir(&config_dir.join("settings.json"), &home) {
            (absolute(&dir), MemorySource::UserSettings)
        } else {
            let root = canonical_git_root(&project_dir).unwrap_or_else(|| project_dir.clone());
            (
                slug::project_folder(&projects, &root).join("memory"),
                MemorySource::ProjectSlug,
            )
        };
        let transcripts_dir = self
            .transcripts_dir
            .as_deref()
            .map(absolute)
            .unwrap_or_else(|| slug::project_folder(&projects, &project_dir));
        let journal_dir = self
            .journal_dir
            .as_deref()
            .map(absolute)
            .unwrap_or_else(|| config_dir.join("dream").join(journal_name(&memory_dir)));
        Locations {
            memory_dir,
            memory_source,
            transcripts_dir,
            project_dir,
            config_dir,
            journal_dir,
            auto_memory_disabled: self.auto_memory_disabled,
        }
    }
}

/// The journal folder name for a memory directory: its slug (cut to fit the filesystem's 255-byte
/// limit) plus a hash of its canonical path, so two memory directories never share a journal — slugs
/// alone collide (`my.app` and `my_app` both become `my-app`), and so do two spellings of one folder
/// without the canonical form.
fn journal_name(memory_dir: &Path) -> String {
    let canonical = std::fs::canonicalize(memory_dir).unwrap_or_else(|_| memory_dir.to_path_buf());
    let full = slug::slug(&canonical);
    let hash = crate::memory::digest::sha256_hex(canonical.as_os_str().as_encoded_bytes());
    let cut = full.len().min(slug::MAX_SLUG_LEN - 17);
    let cut = (0..=cut)
        .rev()
        .find(|&i| full.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}-{}", &full[..cut], &hash[..16])
}

/// Expands a leading `~/` (or a bare `~`) against `home`.
fn expand_tilde(path: &Path, home: &Path) -> PathBuf {
    match path.to_str() {
        Some("~") => home.to_path_buf(),
        Some(s) if s.starts_with("~/") => home.join(&s[2..]),
        _ => path.to_path_buf(),
    }
}

/// `autoMemoryDirectory` from a settings file, when the file exists, parses, and sets it to a string.
fn settings_memory_dir(settings: &Path, home: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(settings).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let dir = value.get("autoMemoryDirectory")?.as_str()?.trim();
    (!dir.is_empty()).then(|| expand_tilde(Path::new(dir), home))
}

/// The canonical git root of `dir`: the nearest ancestor with `.git`; for a linked worktree (a `.git`
/// file), the main repository's root, so every worktree shares one memory as in Claude Code.
pub fn canonical_git_root(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        let dot_git = d.join(".git");
        match fs::symlink_metadata(&dot_git) {
            Ok(m) if m.is_dir() => return Some(d.to_path_buf()),
            Ok(m) if m.is_file() => {
                return Some(worktree_main_root(&dot_git).unwrap_or_else(|| d.to_path_buf()));
            }
            _ => cur = d.parent(),
        }
    }
    None
}

/// For a worktree's `.git` file (`gitdir: <main>/.git/worktrees/<name>`), the main repository's root.
fn worktree_main_root(dot_git_file: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(dot_git_file).ok()?;
    let gitdir = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
    let base = dot_git_file.parent()?;
    let gitdir = base.join(gitdir);
    let common = fs::read_to_string(gitdir.join("commondir")).ok()?;
    let common = fs::canonicalize(gitdir.join(common.trim())).ok()?;
    common.parent().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(home: &Path, project: &Path) -> LocationOptions {
        LocationOptions {
            home: Some(home.to_path_buf()),
            project_dir: Some(project.to_path_buf()),
            ..LocationOptions::default()
        }
    }

    #[test]
    fn default_memory_is_under_the_git_root_slug() {
        let home = tempfile::tempdir().unwrap();
        let proj = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(proj.path()).unwrap();
        fs::create_dir(root.join(".git")).unwrap();
        fs::create_dir(root.join("sub")).unwrap();
        let loc = opts(home.path(), &root.join("sub")).resolve();
        let projects = home.path().join(".claude/projects");
        assert_eq!(loc.memory_source, MemorySource::ProjectSlug);
        assert_eq!(
            loc.memory_dir,
            projects.join(slug::slug(&root)).join("memory")
        );
        assert_eq!(
            loc.transcripts_dir,
            projects.join(slug::slug(&root.join("sub")))
        );
    }

    #[test]
    fn local_settings_win_over_user_settings_and_project_settings_are_ignored() {
        let home = tempfile::tempdir().unwrap();
        let proj = tempfile::tempdir().unwrap();
        let claude = proj.path().join(".claude");
        fs::create_dir_all(&claude).unwrap();
        fs::create_dir_all(home.path().join(".claude")).unwrap();
        fs::write(
            claude.join("settings.json"),
            r#"{"autoMemoryDirectory": "/checked-in/evil"}"#,
        )
        .unwrap();
        fs::write(
            home.path().join(".claude/settings.json"),
            r#"{"autoMemoryDirectory": "~/user-mem"}"#,
        )
        .unwrap();
        let loc = opts(home.path(), proj.path()).resolve();
        assert_eq!(loc.memory_source, MemorySource::UserSettings);
        assert_eq!(loc.memory_dir, home.path().join("user-mem"));
        fs::write(
            claude.join("settings.local.json"),
            r#"{"autoMemoryDirectory": "~/local-mem"}"#,
        )
        .unwrap();
        let loc = opts(home.path(), proj.path()).resolve();
        assert_eq!(loc.memory_source, MemorySource::LocalSettings);
        assert_eq!(loc.memory_dir, home.path().join("local-mem"));
    }

    #[test]
    fn worktrees_share_the_main_repository_memory() {
        let home = tempfile::tempdir().unwrap();
        let base = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(base.path()).unwrap();
        let main = base.join("main");
        let wt = base.join("wt");
        fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        fs::write(main.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        fs::create_dir_all(&wt).unwrap();
        fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", main.join(".git/worktrees/wt").display()),
        )
        .unwrap();
        assert_eq!(canonical_git_root(&wt), Some(main.clone()));
        let loc = opts(home.path(), &wt).resolve();
        assert!(
            loc.memory_dir
                .ends_with(format!("{}/memory", slug::slug(&main)))
        );
    }

    #[test]
    fn long_memory_paths_get_distinct_short_journal_names() {
        let a = PathBuf::from(format!("/{}a", "x/".repeat(150)));
        let b = PathBuf::from(format!("/{}b", "x/".repeat(150)));
        let (ja, jb) = (journal_name(&a), journal_name(&b));
        assert!(ja.len() <= slug::MAX_SLUG_LEN, "{}", ja.len());
        assert_ne!(ja, jb);
        assert!(journal_name(Path::new("/m/x")).starts_with("-m-x-"));
        // Slugs collide on punctuation; the hash of the path keeps the journals apart.
        assert_ne!(
            journal_name(Path::new("/p/my.app")),
            journal_name(Path::new("/p/my_app"))
        );
    }

    #[test]
    fn explicit_directories_win() {
        let home = tempfile::tempdir().unwrap();
        let mut o = opts(home.path(), home.path());
        o.memory_dir = Some(PathBuf::from("/m"));
        o.transcripts_dir = Some(PathBuf::from("/t"));
        o.journal_dir = Some(PathBuf::from("/j"));
        let loc = o.resolve();
        assert_eq!(
            (
                loc.memory_dir.as_path(),
                loc.transcripts_dir.as_path(),
                loc.journal_dir.as_path()
            ),
            (Path::new("/m"), Path::new("/t"), Path::new("/j"))
        );
        assert_eq!(loc.memory_source, MemorySource::Explicit);
    }
}
