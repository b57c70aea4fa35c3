//! Every store of every project, one line each (`dream-mcp status --all`, `check --all`).
//!
//! Projects are the folders under `<config>/projects/`: each holds a project's session transcripts and,
//! by default, its auto-memory in `memory/`. The project a folder belongs to is read from the `cwd` of
//! its newest transcript, which is where its project- and local-scope agent stores are looked for; the
//! user-scope agent stores count the sessions of every project. The project the command runs in uses
//! its resolved locations (so `autoMemoryDirectory` is honoured there). Stores are inspected in parallel.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use serde::Serialize;

use crate::claude_code::gate::{self, GateConfig, Session};
use crate::claude_code::locations::Locations;
use crate::claude_code::lock;
use crate::findings::Severity;
use crate::inventory;
use crate::memory::dir::MemoryDir;
use crate::stores::store::{Scope, Store};

/// One store's line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreStatus {
    /// The store id (`memory`, `<scope>/<agent>`).
    pub store: String,
    /// The store's scope.
    pub scope: Scope,
    /// The project folder under `<config>/projects/` (none for user-scope agent stores).
    pub project_folder: Option<String>,
    /// The project the folder's sessions ran in, when a transcript says.
    pub project_dir: Option<String>,
    /// The store's folder.
    pub memory_dir: String,
    /// Whether the folder exists (Claude Code creates it at the first memory).
    pub exists: bool,
    /// MEMORY.md lines (Claude Code loads 200).
    pub index_lines: usize,
    /// MEMORY.md bytes (Claude Code loads 25,000).
    pub index_bytes: usize,
    /// Findings of error severity.
    pub errors: usize,
    /// Findings of warning severity.
    pub warnings: usize,
    /// Findings of info severity.
    pub infos: usize,
    /// Hours since the store's last consolidation (its lock's mtime), `None` if never.
    pub hours_since_last: Option<f64>,
    /// Sessions since then.
    pub sessions_since: usize,
    /// Whether the gate is open: a dream is due.
    pub due: bool,
    /// Why the store could not be inspected, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A store to inspect, with what its gate counts.
struct Job<'a> {
    store: Store,
    folder: Option<String>,
    project_dir: Option<PathBuf>,
    sessions: &'a [Session],
}

/// One project folder: its name, sessions, project and memory.
struct Project {
    folder: String,
    sessions: Vec<Session>,
    project_dir: Option<PathBuf>,
    memory_dir: PathBuf,
}

/// Runs `f` on every item on up to `threads` threads, keeping the items' order.
fn parallel_map<T: Sync, U: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<U>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let u = f(item);
                    out.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(u);
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The project a transcripts folder belongs to: the `cwd` of its newest session, when that is an
/// existing absolute folder.
fn project_of(sessions: &[Session]) -> Option<PathBuf> {
    sessions.iter().rev().find_map(|s| {
        let cwd = PathBuf::from(gate::first_string_field(&s.file, "cwd")?);
        (cwd.is_absolute() && cwd.is_dir()).then_some(cwd)
    })
}

/// Reads one project folder (for the current project, with its resolved locations).
fn project(folder: &Path, current: &Locations) -> Project {
    let sessions = gate::list(folder);
    let name = folder
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if folder == current.transcripts_dir {
        return Project {
            folder: name,
            sessions,
            project_dir: Some(current.project_dir.clone()),
            memory_dir: current.memory_dir.clone(),
        };
    }
    Project {
        folder: name,
        project_dir: project_of(&sessions),
        sessions,
        memory_dir: folder.join("memory"),
    }
}

/// The line of one store.
fn status(job: &Job, config: GateConfig, now: SystemTime) -> StoreStatus {
    let store = &job.store;
    let gate = gate::judge(
        lock::last_consolidation(&store.memory_dir),
        job.sessions.to_vec(),
        config,
        None,
        now,
    );
    let mut line = StoreStatus {
        store: store.id.clone(),
        scope: store.scope,
        project_folder: job.folder.clone(),
        project_dir: job.project_dir.as_ref().map(|p| p.display().to_string()),
        memory_dir: store.memory_dir.display().to_string(),
        exists: store.memory_dir.is_dir(),
        index_lines: 0,
        index_bytes: 0,
        errors: 0,
        warnings: 0,
        infos: 0,
        hours_since_last: gate.hours_since_last,
        sessions_since: gate.sessions,
        due: false,
        problem: store.refused.clone(),
    };
    if !line.exists || line.problem.is_some() {
        return line;
    }
    let inv = MemoryDir::open(&store.memory_dir)
        .and_then(|dir| inventory::inventory(&dir, job.project_dir.as_deref()));
    match inv {
        Ok(inv) => {
            line.index_lines = inv.index.size.lines;
            line.index_bytes = inv.index.size.bytes;
            for f in &inv.findings {
                match f.severity {
                    Severity::Error => line.errors += 1,
                    Severity::Warning => line.warnings += 1,
                    Severity::Info => line.infos += 1,
                }
            }
            line.due = gate.open;
        }
        Err(e) => line.problem = Some(e.to_string()),
    }
    line
}

/// Every store of every project under `<config>/projects/` and every user-scope agent store, inspected
/// on up to `threads` threads, in a stable order (project folders by name, each project's stores, then
/// the user-scope stores).
pub fn all(
    current: &Locations,
    config: GateConfig,
    threads: usize,
    now: SystemTime,
) -> Vec<StoreStatus> {
    let projects_dir = current.config_dir.join("projects");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&projects_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    if !folders.contains(&current.transcripts_dir) && current.memory_dir.is_dir() {
        folders.push(current.transcripts_dir.clone());
    }
    folders.sort();
    let projects = parallel_map(&folders, threads, |f| project(f, current));
    let everyone: Vec<Session> = projects.iter().flat_map(|p| p.sessions.clone()).collect();
    let mut jobs = Vec::new();
    for p in &projects {
        jobs.push(Job {
            store: Store::auto(&p.memory_dir),
            folder: Some(p.folder.clone()),
            project_dir: p.project_dir.clone(),
            sessions: &p.sessions,
        });
        for scope in [Scope::Project, Scope::Local] {
            let Some(agents) = scope.agents_folder(&current.config_dir, p.project_dir.as_deref())
            else {
                continue;
            };
            for store in Store::agents_in(scope, &agents) {
                jobs.push(Job {
                    store,
                    folder: Some(p.folder.clone()),
                    project_dir: p.project_dir.clone(),
                    sessions: &p.sessions,
                });
            }
        }
    }
    if let Some(agents) = Scope::User.agents_folder(&current.config_dir, None) {
        for store in Store::agents_in(Scope::User, &agents) {
            jobs.push(Job {
                store,
                folder: None,
                project_dir: None,
                sessions: &everyone,
            });
        }
    }
    parallel_map(&jobs, threads, |j| status(j, config, now))
}

/// How `status --all` orders its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    /// Due stores first, then by sessions since the last consolidation, most first.
    #[default]
    Due,
    /// By project folder, then store id.
    Name,
    /// Longest since the last consolidation first (never first of all).
    Hours,
    /// Most sessions since the last consolidation first.
    Sessions,
    /// Longest index first.
    Lines,
    /// Most findings first (errors, then warnings).
    Findings,
}

/// Sorts `lines` by `by` (stable: ties keep the order [`all`] gave).
pub fn sort(lines: &mut [StoreStatus], by: SortBy) {
    let hours = |l: &StoreStatus| l.hours_since_last.unwrap_or(f64::INFINITY);
    match by {
        SortBy::Due => lines.sort_by(|a, b| {
            b.due
                .cmp(&a.due)
                .then(b.sessions_since.cmp(&a.sessions_since))
        }),
        SortBy::Name => {
            lines.sort_by(|a, b| (&a.project_folder, &a.store).cmp(&(&b.project_folder, &b.store)))
        }
        SortBy::Hours => lines.sort_by(|a, b| hours(b).total_cmp(&hours(a))),
        SortBy::Sessions => lines.sort_by_key(|l| std::cmp::Reverse(l.sessions_since)),
        SortBy::Lines => lines.sort_by_key(|l| std::cmp::Reverse(l.index_lines)),
        SortBy::Findings => lines.sort_by_key(|l| std::cmp::Reverse((l.errors, l.warnings))),
    }
}
