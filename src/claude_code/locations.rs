//! Where the memory, the transcripts and the journal live, resolved the way Claude Code 2.1.332 resolves
//! them.
//!
//! The memory directory, first match wins: `--memory-dir` / `DREAM_MEMORY_DIR`;
//! `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE`; `autoMemoryDirectory` from the first settings file that sets it,
//! in Claude Code's order policy > local > project > user (local and project only for a trusted
//! project, see below); `<CLAUDE_CODE_REMOTE_MEMORY_DIR or config>/projects/<key of the canonical git
//! root>/memory/`. A value Claude Code refuses (see [`memory_setting`]) means the default, as in Claude
//! Code, not the next source. Transcripts are keyed on the project directory itself, not its git root.
//!
//! Trust: Claude Code reads local and project settings only in a folder whose trust dialog was accepted
//! (recorded as `hasTrustDialogAccepted` for it or a folder above it in `<config>/.claude.json`) or in
//! `-p` mode. This server cannot know whether its session runs with `-p`, so it trusts a project only when
//! that record says so or `DREAM_TRUST_PROJECT_SETTINGS=1`; an untrusted project whose settings set
//! `autoMemoryDirectory` is refused with a message naming the file rather than guessed at.
//!
//! On top of Claude Code's rules, a memory directory that is `/`, the home folder, a folder holding
//! `.git`, or the project or a folder above it is refused, naming the setting and its file: every tool
//! then fails with that message (the server still starts, so the user sees it).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::claude_code::memory_setting;
use crate::claude_code::slug;
use crate::error::{Error, Result};

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
    /// `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE`: the memory directory before any setting (no `~/` expansion).
    pub cowork_override: Option<String>,
    /// `CLAUDE_CODE_REMOTE_MEMORY_DIR`: replaces the config home as the base of the default memory path.
    pub remote_memory_dir: Option<PathBuf>,
    /// `CLAUDE_CODE_PROJECT_DIR_NAME`: the project key itself, honoured (as by Claude Code) only with
    /// `CLAUDE_CONFIG_DIR` set and no remote memory directory.
    pub project_dir_name: Option<String>,
    /// Claude Code's managed (policy) settings file, e.g. `/etc/claude-code/managed-settings.json`.
    pub policy_settings: Option<PathBuf>,
    /// Read the project's `.claude/settings*.json` even when Claude Code has no trust record for it
    /// (`DREAM_TRUST_PROJECT_SETTINGS=1`).
    pub trust_project_settings: bool,
}

/// How the memory directory was found, so `where` can explain itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    /// `--memory-dir` or `DREAM_MEMORY_DIR`.
    Explicit,
    /// `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE`.
    CoworkOverride,
    /// `autoMemoryDirectory` in the managed (policy) settings.
    PolicySettings,
    /// `autoMemoryDirectory` in `<project>/.claude/settings.local.json`.
    LocalSettings,
    /// `autoMemoryDirectory` in `<project>/.claude/settings.json`.
    ProjectSettings,
    /// `autoMemoryDirectory` in `<config>/settings.json`.
    UserSettings,
    /// `<config or CLAUDE_CODE_REMOTE_MEMORY_DIR>/projects/<key of git root>/memory/`.
    ProjectSlug,
    /// An agent's memory store (a tool's `store` parameter).
    AgentStore,
}

/// Where a memory directory setting came from: which variable or file, and the value as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SettingOrigin {
    /// `autoMemoryDirectory`, `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE` or `DREAM_MEMORY_DIR`.
    pub setting: String,
    /// The settings file, or `environment` / `command line`.
    pub file: String,
    /// The value as written there.
    pub value: String,
}

impl std::fmt::Display for SettingOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} in {}", self.setting, self.value, self.file)
    }
}

/// The resolved folders every tool and command works on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Locations {
    /// The auto-memory directory (the only place tools write).
    pub memory_dir: PathBuf,
    /// How `memory_dir` was found.
    pub memory_source: MemorySource,
    /// The setting `memory_dir` came from, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_setting: Option<SettingOrigin>,
    /// A setting Claude Code ignores (it refuses the value and uses the default), named so it can be fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_setting: Option<String>,
    /// Why this server refuses to serve `memory_dir`, when it does; every tool fails with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_refused: Option<String>,
    /// Where this project's session transcripts (`*.jsonl`) are: the folder of sessions launched in the
    /// project directory itself ([`Locations::transcript_folders`] adds subfolders and worktrees).
    pub transcripts_dir: PathBuf,
    /// True when `transcripts_dir` was given (`--transcripts-dir`): then it is the only folder searched.
    #[serde(skip)]
    pub transcripts_explicit: bool,
    /// The project the memory describes (used to check paths named in notes).
    pub project_dir: PathBuf,
    /// Claude Code's config home.
    pub config_dir: PathBuf,
    /// Where dream runs are journaled (outside the memory directory, so Claude Code never loads it).
    pub journal_dir: PathBuf,
    /// True when `CLAUDE_CODE_DISABLE_AUTO_MEMORY` turns auto-memory off for this environment (absent
    /// when false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auto_memory_disabled: bool,
    /// True when a settings file turns Claude Code's own background dream on (`autoDreamEnabled`), so a
    /// dream started here would race it (absent when false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auto_dream_enabled: bool,
}

impl Locations {
    /// The memory directory, or the refusal every tool and command answers with when it is unsafe.
    pub fn usable_memory_dir(&self) -> Result<&Path> {
        match &self.memory_refused {
            None => Ok(&self.memory_dir),
            Some(reason) => Err(Error::MemoryDir {
                path: self.memory_dir.clone(),
                reason: reason.clone(),
            }),
        }
    }
}

/// The memory directory chosen, before the safety check.
struct Chosen {
    dir: PathBuf,
    source: MemorySource,
    origin: Option<SettingOrigin>,
    ignored: Option<String>,
    /// A refusal decided while choosing (an untrusted project setting).
    refused: Option<String>,
}

impl LocationOptions {
    /// Resolves every location. Never fails: a folder that does not exist is reported by the tools that
    /// need it, and a memory directory this server will not serve is carried in
    /// [`Locations::memory_refused`].
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

        let chosen = self.choose_memory(&home, &project_dir, &config_dir, &absolute);
        let memory_refused = chosen.refused.or_else(|| {
            memory_setting::unsafe_memory_dir(
                &chosen.dir,
                self.home.as_deref(),
                &project_dir,
                chosen.source != MemorySource::Explicit,
            )
            .map(
                |why| match &chosen.origin {
                    Some(o) => format!(
                        "refused: {why}; it comes from {o}; set it to a folder of its own, or remove it to use Claude Code's default"
                    ),
                    None => format!("refused: {why}"),
                },
            )
        });
        let transcripts_dir = self
            .transcripts_dir
            .as_deref()
            .map(absolute)
            .unwrap_or_else(|| slug::project_folder(&projects, &project_dir));
        let journal_dir = self
            .journal_dir
            .as_deref()
            .map(absolute)
            .unwrap_or_else(|| config_dir.join("dream").join(journal_name(&chosen.dir)));
        let auto_dream_enabled = self.auto_dream(&project_dir, &config_dir);
        Locations {
            memory_dir: chosen.dir,
            memory_source: chosen.source,
            memory_setting: chosen.origin,
            ignored_setting: chosen.ignored,
            memory_refused,
            transcripts_dir,
            transcripts_explicit: self.transcripts_dir.is_some(),
            project_dir,
            config_dir,
            journal_dir,
            auto_memory_disabled: self.auto_memory_disabled,
            auto_dream_enabled,
        }
    }

    /// `autoDreamEnabled` from the first settings file that sets it, in Claude Code's order policy >
    /// local > project > user (unset: off, as far as this server can know; the server-side default is
    /// not visible here).
    fn auto_dream(&self, project_dir: &Path, config_dir: &Path) -> bool {
        let claude = project_dir.join(".claude");
        [
            self.policy_settings.clone(),
            Some(claude.join("settings.local.json")),
            Some(claude.join("settings.json")),
            Some(config_dir.join("settings.json")),
        ]
        .into_iter()
        .flatten()
        .find_map(|f| read_json(&f)?.get("autoDreamEnabled")?.as_bool())
        .unwrap_or(false)
    }

    /// The memory directory by Claude Code's order (see the module documentation).
    fn choose_memory(
        &self,
        home: &Path,
        project_dir: &Path,
        config_dir: &Path,
        absolute: &dyn Fn(&Path) -> PathBuf,
    ) -> Chosen {
        let chosen = |dir, source, origin: Option<SettingOrigin>| Chosen {
            dir,
            source,
            origin,
            ignored: None,
            refused: None,
        };
        if let Some(dir) = &self.memory_dir {
            let origin = SettingOrigin {
                setting: "DREAM_MEMORY_DIR".to_string(),
                file: "the environment or --memory-dir".to_string(),
                value: dir.display().to_string(),
            };
            return chosen(absolute(dir), MemorySource::Explicit, Some(origin));
        }
        let mut ignored = None;
        if let Some(value) = &self.cowork_override {
            let origin = SettingOrigin {
                setting: "CLAUDE_COWORK_MEMORY_PATH_OVERRIDE".to_string(),
                file: "the environment".to_string(),
                value: value.clone(),
            };
            match memory_setting::accepted(value, false, home) {
                Some(dir) => return chosen(dir, MemorySource::CoworkOverride, Some(origin)),
                None => ignored = Some(ignored_message(&origin)),
            }
        }
        let claude = project_dir.join(".claude");
        let trusted = self.trust_project_settings || trusted(config_dir, home, self, project_dir);
        let sources = [
            (
                self.policy_settings.clone(),
                MemorySource::PolicySettings,
                true,
            ),
            (
                Some(claude.join("settings.local.json")),
                MemorySource::LocalSettings,
                trusted,
            ),
            (
                Some(claude.join("settings.json")),
                MemorySource::ProjectSettings,
                trusted,
            ),
            (
                Some(config_dir.join("settings.json")),
                MemorySource::UserSettings,
                true,
            ),
        ];
        for (file, source, trusted) in sources {
            let Some(file) = file else { continue };
            let Some(value) = settings_value(&file) else {
                continue;
            };
            let origin = SettingOrigin {
                setting: "autoMemoryDirectory".to_string(),
                file: file.display().to_string(),
                value: value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string),
            };
            if !trusted {
                return Chosen {
                    refused: Some(format!(
                        "refused: {origin} is a project setting, and Claude Code honours it only in a trusted folder; no trust for {} is recorded in {} — accept the folder's trust dialog in Claude Code, set DREAM_TRUST_PROJECT_SETTINGS=1, or pass --memory-dir",
                        project_dir.display(),
                        global_config(config_dir, home, self).display()
                    )),
                    ..chosen(
                        self.default_memory(project_dir, config_dir),
                        source,
                        Some(origin),
                    )
                };
            }
            match value
                .as_str()
                .and_then(|v| memory_setting::accepted(v, true, home))
            {
                Some(dir) => {
                    return Chosen {
                        ignored,
                        ..chosen(dir, source, Some(origin))
                    };
                }
                // The first value set wins even when refused: Claude Code then uses its default.
                None => {
                    ignored = Some(ignored_message(&origin));
                    break;
                }
            }
        }
        Chosen {
            ignored,
            ..chosen(
                self.default_memory(project_dir, config_dir),
                MemorySource::ProjectSlug,
                None,
            )
        }
    }

    /// `<CLAUDE_CODE_REMOTE_MEMORY_DIR or config>/projects/<key>/memory/`.
    fn default_memory(&self, project_dir: &Path, config_dir: &Path) -> PathBuf {
        let root = canonical_git_root(project_dir).unwrap_or_else(|| project_dir.to_path_buf());
        let base = self.remote_memory_dir.as_deref().unwrap_or(config_dir);
        let named = self
            .project_dir_name
            .as_deref()
            .filter(|_| self.config_dir.is_some() && self.remote_memory_dir.is_none())
            .filter(|n| valid_project_dir_name(n));
        let key = named.map_or_else(|| slug::key(&root), str::to_string);
        base.join("projects").join(key).join("memory")
    }
}

/// What `where` says about a value Claude Code refuses.
fn ignored_message(origin: &SettingOrigin) -> String {
    format!(
        "{origin} is ignored, as Claude Code ignores it (it must be an absolute path of 3 or more characters, or ~/ and a folder below home); the default is used"
    )
}

/// `CLAUDE_CODE_PROJECT_DIR_NAME` as Claude Code accepts it: `^[A-Za-z0-9_-]{1,64}$` and not a Windows
/// device name.
fn valid_project_dir_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let device = matches!(lower.as_str(), "con" | "prn" | "aux" | "nul")
        || ((lower.starts_with("com") || lower.starts_with("lpt"))
            && lower.len() == 4
            && lower.as_bytes()[3].is_ascii_digit());
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !device
}

/// Claude Code's global config file, where folder trust is recorded: `<CLAUDE_CONFIG_DIR>/.claude.json`,
/// else `~/.claude.json`.
fn global_config(config_dir: &Path, home: &Path, opts: &LocationOptions) -> PathBuf {
    if opts.config_dir.is_some() {
        config_dir.join(".claude.json")
    } else {
        home.join(".claude.json")
    }
}

/// Whether Claude Code has accepted the trust dialog for `project` or a folder above it.
fn trusted(config_dir: &Path, home: &Path, opts: &LocationOptions, project: &Path) -> bool {
    let Some(config) = read_json(&global_config(config_dir, home, opts)) else {
        return false;
    };
    let Some(projects) = config.get("projects") else {
        return false;
    };
    project.ancestors().any(|p| {
        projects
            .get(p.to_string_lossy().as_ref())
            .and_then(|e| e.get("hasTrustDialogAccepted"))
            .and_then(serde_json::Value::as_bool)
            == Some(true)
    })
}

/// Largest settings or config file read; a bigger one is treated as absent (hostile input stays cheap).
const MAX_SETTINGS_BYTES: u64 = 16 << 20;

/// A JSON file read whole when it is a regular file of a sane size and parses.
fn read_json(path: &Path) -> Option<serde_json::Value> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SETTINGS_BYTES {
        return None;
    }
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

/// `autoMemoryDirectory` from a settings file, when the file parses and sets it to anything but `null`.
fn settings_value(settings: &Path) -> Option<serde_json::Value> {
    read_json(settings)?
        .get("autoMemoryDirectory")
        .filter(|v| !v.is_null())
        .cloned()
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
            projects.join(slug::key(&root)).join("memory")
        );
        assert_eq!(
            loc.transcripts_dir,
            projects.join(slug::slug(&root.join("sub")))
        );
    }

    /// A home with `.claude/`, a project with `.claude/`, and options pointing at both.
    struct World {
        _t: tempfile::TempDir,
        home: PathBuf,
        proj: PathBuf,
    }

    impl World {
        fn new() -> World {
            let t = tempfile::tempdir().unwrap();
            let root = fs::canonicalize(t.path()).unwrap();
            let (home, proj) = (root.join("home"), root.join("work/app"));
            fs::create_dir_all(home.join(".claude")).unwrap();
            fs::create_dir_all(proj.join(".claude")).unwrap();
            World { _t: t, home, proj }
        }
        fn opts(&self) -> LocationOptions {
            LocationOptions {
                policy_settings: Some(self.home.join("policy.json")),
                ..opts(&self.home, &self.proj)
            }
        }
        fn set(&self, file: &Path, value: &str) {
            fs::write(
                file,
                serde_json::json!({ "autoMemoryDirectory": value }).to_string(),
            )
            .unwrap();
        }
        fn user(&self) -> PathBuf {
            self.home.join(".claude/settings.json")
        }
        fn local(&self) -> PathBuf {
            self.proj.join(".claude/settings.local.json")
        }
        fn project(&self) -> PathBuf {
            self.proj.join(".claude/settings.json")
        }
        fn trust(&self) {
            let config = serde_json::json!({ "projects": {
                self.proj.parent().unwrap().to_string_lossy(): { "hasTrustDialogAccepted": true }
            }});
            fs::write(self.home.join(".claude.json"), config.to_string()).unwrap();
        }
        fn default_dir(&self) -> PathBuf {
            self.home
                .join(".claude/projects")
                .join(slug::key(&self.proj))
                .join("memory")
        }
    }

    #[test]
    fn settings_order_is_policy_local_project_user_in_a_trusted_folder() {
        let w = World::new();
        w.trust();
        w.set(&w.user(), "~/user-mem");
        let loc = w.opts().resolve();
        assert_eq!(
            (loc.memory_source, loc.memory_dir.clone()),
            (MemorySource::UserSettings, w.home.join("user-mem"))
        );
        w.set(&w.project(), "~/project-mem");
        assert_eq!(
            w.opts().resolve().memory_source,
            MemorySource::ProjectSettings
        );
        w.set(&w.local(), "~/local-mem");
        let loc = w.opts().resolve();
        assert_eq!(
            (loc.memory_source, loc.memory_dir.clone()),
            (MemorySource::LocalSettings, w.home.join("local-mem"))
        );
        w.set(&w.home.join("policy.json"), "/srv/policy-mem");
        let loc = w.opts().resolve();
        assert_eq!(
            (loc.memory_source, loc.memory_dir),
            (
                MemorySource::PolicySettings,
                PathBuf::from("/srv/policy-mem")
            )
        );
        assert_eq!(loc.memory_refused, None);
    }

    #[test]
    fn an_untrusted_project_setting_is_refused_naming_its_file() {
        let w = World::new();
        w.set(&w.user(), "~/user-mem");
        w.set(&w.project(), "/srv/checked-in");
        let loc = w.opts().resolve();
        let why = loc.usable_memory_dir().unwrap_err().to_string();
        assert!(why.contains(&w.project().display().to_string()), "{why}");
        assert!(
            why.contains("trust") && why.contains("autoMemoryDirectory"),
            "{why}"
        );
        let mut o = w.opts();
        o.trust_project_settings = true;
        assert_eq!(o.resolve().memory_dir, PathBuf::from("/srv/checked-in"));
    }

    #[test]
    fn a_refused_value_means_the_default_not_the_next_source() {
        let w = World::new();
        w.trust();
        w.set(&w.user(), "~/user-mem");
        for bad in [
            ".",
            "~",
            "~/",
            "~/..",
            "/",
            "mem",
            "$HOME",
            "~/a/../..",
            "/a",
        ] {
            w.set(&w.local(), bad);
            let loc = w.opts().resolve();
            assert_eq!(loc.memory_source, MemorySource::ProjectSlug, "{bad:?}");
            assert_eq!(loc.memory_dir, w.default_dir(), "{bad:?}");
            assert!(
                loc.ignored_setting
                    .as_deref()
                    .is_some_and(|n| n.contains(&w.local().display().to_string())),
                "{bad:?}"
            );
            assert_eq!(loc.memory_refused, None, "{bad:?}");
        }
    }

    #[test]
    fn accepted_but_unsafe_folders_are_refused_naming_the_setting_and_file() {
        let w = World::new();
        w.trust();
        fs::create_dir_all(w.home.join("repo/.git")).unwrap();
        for (value, why) in [
            (w.home.display().to_string(), "home folder"),
            ("~/repo".to_string(), ".git"),
            (w.proj.display().to_string(), "project"),
            (w.proj.parent().unwrap().display().to_string(), "project"),
        ] {
            w.set(&w.local(), &value);
            let loc = w.opts().resolve();
            let err = loc.usable_memory_dir().unwrap_err().to_string();
            assert!(
                err.contains(why) && err.contains("settings.local.json") && err.contains(&value),
                "{value}: {err}"
            );
        }
        let mut o = w.opts();
        o.memory_dir = Some(PathBuf::from("~"));
        let err = o.resolve().usable_memory_dir().unwrap_err().to_string();
        assert!(
            err.contains("home folder") && err.contains("DREAM_MEMORY_DIR"),
            "{err}"
        );
    }

    #[test]
    fn cowork_override_comes_first_without_tilde_expansion() {
        let w = World::new();
        w.set(&w.user(), "~/user-mem");
        let mut o = w.opts();
        o.cowork_override = Some("/srv/cowork".to_string());
        let loc = o.resolve();
        assert_eq!(
            (loc.memory_source, loc.memory_dir),
            (MemorySource::CoworkOverride, PathBuf::from("/srv/cowork"))
        );
        o.cowork_override = Some("~/cowork".to_string());
        assert_eq!(o.resolve().memory_source, MemorySource::UserSettings);
    }

    #[test]
    fn remote_memory_dir_and_project_dir_name_change_the_default() {
        let w = World::new();
        let mut o = w.opts();
        o.remote_memory_dir = Some(PathBuf::from("/srv/remote"));
        assert_eq!(
            o.resolve().memory_dir,
            Path::new("/srv/remote/projects")
                .join(slug::key(&w.proj))
                .join("memory")
        );
        o.remote_memory_dir = None;
        o.project_dir_name = Some("my-app".to_string());
        assert_eq!(
            o.resolve().memory_dir,
            w.default_dir(),
            "ignored without CLAUDE_CONFIG_DIR"
        );
        o.config_dir = Some(w.home.join("cfg"));
        assert_eq!(
            o.resolve().memory_dir,
            w.home.join("cfg/projects/my-app/memory")
        );
        o.project_dir_name = Some("con".to_string());
        assert!(
            o.resolve()
                .memory_dir
                .ends_with(format!("{}/memory", slug::key(&w.proj)))
        );
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
