//! One memory store, and how the agent stores of a scope are found.
//!
//! Claude Code 2.1.332 keeps, besides the project's auto-memory, one store per subagent whose
//! frontmatter has `memory: user|project|local`, each with its own `MEMORY.md` (same 200-line / 25 KB
//! cut): `<config>/agent-memory/<agent>/` (user scope, every project), `<project>/.claude/agent-memory/
//! <agent>/` (project scope, checked in and shared with the team) and
//! `<project>/.claude/agent-memory-local/<agent>/` (local scope). Each store's folder holds its own `MEMORY.md` and
//! consolidation lock.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The id of the project's auto-memory store.
pub const AUTO: &str = "memory";

/// Where a store lives, and so who reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The project's auto-memory (`<config>/projects/<key>/memory/` or `autoMemoryDirectory`).
    Memory,
    /// An agent's memory for every project: `<config>/agent-memory/<agent>/`.
    User,
    /// An agent's memory checked into the project, shared with the team: `.claude/agent-memory/<agent>/`.
    Project,
    /// An agent's memory for this project on this machine: `.claude/agent-memory-local/<agent>/`.
    Local,
}

impl Scope {
    /// The name as written in store ids and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Memory => AUTO,
            Scope::User => "user",
            Scope::Project => "project",
            Scope::Local => "local",
        }
    }

    /// The folder holding this scope's agent stores, for a config home and a project (`None` for the
    /// auto-memory, or a project scope with no project).
    pub fn agents_folder(self, config_dir: &Path, project_dir: Option<&Path>) -> Option<PathBuf> {
        match self {
            Scope::Memory => None,
            Scope::User => Some(config_dir.join("agent-memory")),
            Scope::Project => project_dir.map(|p| p.join(".claude").join("agent-memory")),
            Scope::Local => project_dir.map(|p| p.join(".claude").join("agent-memory-local")),
        }
    }
}

/// One memory store.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Store {
    /// `memory`, or `<scope>/<agent>`.
    pub id: String,
    /// Where it lives.
    pub scope: Scope,
    /// The agent whose memory it is (none for the auto-memory).
    pub agent: Option<String>,
    /// Its folder.
    pub memory_dir: PathBuf,
    /// Whether it is checked into the project and so shared with the team (project scope).
    pub shared: bool,
    /// Why it is not served, when it is not (e.g. the folder is a symlink).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Whether `name` can be an agent store's folder: ASCII letters, digits, `-`, `_`, `.`, not hidden, at
/// most 100 bytes. Anything else in an agent-memory folder is not a store.
fn agent_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl Store {
    /// The project's auto-memory store.
    pub fn auto(memory_dir: &Path) -> Store {
        Store {
            id: AUTO.to_string(),
            scope: Scope::Memory,
            agent: None,
            memory_dir: memory_dir.to_path_buf(),
            shared: false,
            refused: None,
        }
    }

    /// The agent stores of `scope` in `folder`, by name. A symlinked store is listed as refused: an
    /// agent store is served only where Claude Code creates it, never through a link elsewhere.
    pub fn agents_in(scope: Scope, folder: &Path) -> Vec<Store> {
        let mut out: Vec<Store> = std::fs::read_dir(folder)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e
                    .file_name()
                    .to_str()
                    .filter(|n| agent_name(n))?
                    .to_string();
                let kind = e.file_type().ok()?;
                let refused = if kind.is_symlink() {
                    Some(
                        "it is a symlink; an agent store is served only as a real folder"
                            .to_string(),
                    )
                } else if kind.is_dir() {
                    None
                } else {
                    return None;
                };
                Some(Store {
                    id: format!("{}/{name}", scope.as_str()),
                    scope,
                    agent: Some(name),
                    memory_dir: e.path(),
                    shared: scope == Scope::Project,
                    refused,
                })
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::agent_name;

    #[test]
    fn agent_store_names_are_plain_folder_names() {
        for ok in ["reviewer", "code-reviewer", "a_b.c", "X1"] {
            assert!(agent_name(ok), "{ok}");
        }
        for bad in ["", ".hidden", "a b", "a/b", "..", "ü", &"x".repeat(101)] {
            assert!(!agent_name(bad), "{bad}");
        }
    }
}
