//! The stores one server serves: the project's auto-memory and the agent stores of its three scopes,
//! each with a dreamer of its own (its own confinement root, lock, journal and open dream), made on first
//! use. A tool names its store by id; a path in one store never reaches another, since each dreamer
//! opens only its own folder.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::change::external::Budget;
use crate::change::run::Dreamer;
use crate::claude_code::locations::{Locations, MemorySource};
use crate::error::{Error, Result};
use crate::findings::Finding;
use crate::inventory;
use crate::memory::dir::MemoryDir;
use crate::memory::snapshot;
use crate::settings::Settings;
use crate::stores::across::{self, StoreFiles};
use crate::stores::store::{AUTO, Scope, Store};

/// The project's memory and its agents' memories, served side by side.
#[derive(Debug)]
pub struct Served {
    auto: Arc<Dreamer>,
    settings: Settings,
    agents: Mutex<BTreeMap<String, Arc<Dreamer>>>,
}

/// One store as `list_memory` names it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreSummary {
    /// The id to pass as `store`.
    pub id: String,
    /// Checked into the project and so shared with the team (project scope).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    /// Topic files.
    pub files: usize,
    /// MEMORY.md lines (Claude Code loads 200).
    pub index_lines: usize,
    /// Findings of every kind.
    pub findings: usize,
    /// Why it cannot be served, when it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Served {
    /// The stores of the project `locations` resolve, with `settings` for every dreamer.
    pub fn new(locations: Locations, settings: Settings) -> Served {
        Served {
            auto: Arc::new(Dreamer::with_settings(locations, settings.clone())),
            settings,
            agents: Mutex::new(BTreeMap::new()),
        }
    }

    /// The project's auto-memory dreamer.
    pub fn auto(&self) -> &Arc<Dreamer> {
        &self.auto
    }

    /// Every store: the auto-memory, then the agent stores of the user, project and local scopes.
    pub fn stores(&self) -> Vec<Store> {
        stores_of(self.auto.locations())
    }

    /// The dreamer of store `id` (`memory` or none: the auto-memory; `<scope>/<agent>`: an agent's).
    pub fn get(&self, id: Option<&str>) -> Result<Arc<Dreamer>> {
        let id = id.unwrap_or(AUTO);
        if id == AUTO {
            return Ok(Arc::clone(&self.auto));
        }
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = agents.get(id) {
            return Ok(Arc::clone(d));
        }
        let dreamer = Arc::new(Dreamer::with_settings(
            store_locations(self.auto.locations(), id)?,
            self.settings.clone(),
        ));
        // Changes made outside this server since the store's journal last knew it become a run of their
        // own, as they do for the project's memory when the server starts.
        if let Err(e) = dreamer.observe_external(Budget::default()) {
            tracing::warn!("store {id}: could not check for changes made outside dream-mcp: {e}");
        }
        agents.insert(id.to_string(), Arc::clone(&dreamer));
        Ok(dreamer)
    }

    /// Every store but `viewed`, with its size and number of findings, and the findings across stores
    /// that concern `viewed` (see [`across`]), for `list_memory`. Each store is read once.
    pub fn overview(&self, viewed: &str) -> (Vec<StoreSummary>, Vec<Finding>) {
        let stores = self.stores();
        if stores.len() < 2 {
            return (Vec::new(), Vec::new());
        }
        let project = &self.auto.locations().project_dir;
        let mut summaries = Vec::new();
        let mut loaded = Vec::new();
        for s in &stores {
            let mut line = StoreSummary {
                id: s.id.clone(),
                shared: s.shared,
                files: 0,
                index_lines: 0,
                findings: 0,
                problem: s.refused.clone(),
            };
            if line.problem.is_none() {
                let read =
                    MemoryDir::open(&s.memory_dir).and_then(|dir| Ok((snapshot::load(&dir)?, dir)));
                match read {
                    Ok((snap, dir)) => {
                        if s.id != viewed {
                            let inv = inventory::build(&dir, &snap, Some(project), None);
                            line.files = inv.files.len();
                            line.index_lines = inv.index.size.lines;
                            line.findings = inv.findings.len();
                        }
                        loaded.push((s, snap));
                    }
                    Err(e) => line.problem = Some(e.to_string()),
                }
            }
            if s.id != viewed {
                summaries.push(line);
            }
        }
        let files: Vec<StoreFiles> = loaded
            .iter()
            .map(|(s, snap)| StoreFiles {
                id: &s.id,
                shared: s.shared,
                files: &snap.files,
            })
            .collect();
        (summaries, across::findings(viewed, &files))
    }
}

/// Every store of the project `loc` resolves: its auto-memory, then the agent stores of the user, project
/// and local scopes.
pub fn stores_of(loc: &Locations) -> Vec<Store> {
    let mut out = vec![Store::auto(&loc.memory_dir)];
    for scope in [Scope::User, Scope::Project, Scope::Local] {
        if let Some(folder) = scope.agents_folder(&loc.config_dir, Some(&loc.project_dir)) {
            out.extend(Store::agents_in(scope, &folder));
        }
    }
    out
}

/// The locations of store `id` of the project `base` resolves (`memory`: `base` itself). An unknown id
/// is refused naming the stores there are.
pub fn store_locations(base: &Locations, id: &str) -> Result<Locations> {
    if id == AUTO {
        return Ok(base.clone());
    }
    let stores = stores_of(base);
    let Some(store) = stores.iter().find(|s| s.id == id) else {
        let known: Vec<&str> = stores.iter().map(|s| s.id.as_str()).collect();
        return Err(Error::Parameter {
            name: "store",
            rule: format!(
                "there is no store {id:?}; the stores are {}",
                known.join(", ")
            ),
        });
    };
    Ok(agent_locations(base, store))
}

/// The locations of an agent store: its own folder as the memory, its own journal beside the project's,
/// the project's transcripts and project directory.
fn agent_locations(base: &Locations, store: &Store) -> Locations {
    let mut loc = base.clone();
    loc.memory_dir = store.memory_dir.clone();
    loc.memory_source = MemorySource::AgentStore;
    loc.memory_setting = None;
    loc.ignored_setting = None;
    loc.memory_refused = store.refused.clone();
    loc.journal_dir = base
        .journal_dir
        .join("stores")
        .join(store.id.replace('/', "-"));
    loc
}
