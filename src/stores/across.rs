//! Findings across stores, for the store a dream looks at: a fact stated in two stores, and a feedback
//! rule an agent learned that may hold for every session. They are reported only: a memory moves between
//! stores when the model, asked by the user, writes it there, and a project-scope store is named as
//! shared with the team wherever one is involved.

use crate::findings::{self, Evidence, Finding, Kind, Severity};
use crate::memory::snapshot::LoadedFile;
use crate::stores::store::AUTO;

/// One store's topic files, as the cross-store findings read them.
#[derive(Debug, Clone, Copy)]
pub struct StoreFiles<'a> {
    /// The store's id (`memory`, `<scope>/<agent>`).
    pub id: &'a str,
    /// Whether it is checked into the project (project scope).
    pub shared: bool,
    /// Its topic files.
    pub files: &'a [LoadedFile],
}

/// The cross-store findings that concern `viewed`: seen from the project's memory, every fact two
/// stores share and every agent's feedback rules; seen from an agent's store, those involving it. Files
/// are named `<store>:<path>`.
pub fn findings(viewed: &str, stores: &[StoreFiles]) -> Vec<Finding> {
    if stores.len() < 2 {
        return Vec::new();
    }
    let concerns = |id: &str| viewed == AUTO || id == viewed;
    let shared_with_team = |id: &str| stores.iter().any(|s| s.id == id && s.shared);
    let pairs: Vec<(&str, &[LoadedFile])> = stores.iter().map(|s| (s.id, s.files)).collect();
    let mut out = Vec::new();
    let mut in_project_memory = Vec::new();
    for mut f in findings::shared_facts(&pairs) {
        let Some(Evidence::Duplicate(d)) = f.evidence.as_deref() else {
            continue;
        };
        let mut ids: Vec<&str> = d
            .locations
            .iter()
            .filter_map(|l| l.file.split_once(':').map(|(id, _)| id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if !ids.iter().any(|id| concerns(id)) {
            continue;
        }
        if ids.contains(&AUTO) {
            in_project_memory.extend(d.locations.iter().map(|l| l.file.clone()));
        }
        if let Some(here) = d
            .locations
            .iter()
            .find(|l| l.file.starts_with(&format!("{viewed}:")))
        {
            f.file = here.file.clone();
            f.line = here.line;
        }
        let team: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| shared_with_team(id))
            .collect();
        f.kind = Kind::SharedFact;
        f.severity = Severity::Info;
        f.message = format!("the same fact is in the stores {}", ids.join(" and "));
        f.suggestion = Some(if team.is_empty() {
            "keep each copy where its reader needs it; remove one only if the user asks (a fact every session needs belongs in `memory`)".to_string()
        } else {
            format!(
                "keep each copy where its reader needs it; remove one only if the user asks; {} is checked in and shared with the team",
                team.join(" and ")
            )
        });
        out.push(f);
    }
    for store in stores.iter().filter(|s| s.id != AUTO && concerns(s.id)) {
        for file in store.files {
            let name = format!("{}:{}", store.id, file.path);
            if file.summary.facts.memory_type.as_deref() != Some("feedback")
                || in_project_memory.contains(&name)
            {
                continue;
            }
            let facts = &file.summary.facts;
            let rule = facts
                .description
                .as_deref()
                .or(facts.name.as_deref())
                .unwrap_or(file.path.as_str());
            out.push(Finding {
                kind: Kind::AgentFeedback,
                severity: Severity::Info,
                file: name,
                line: 1,
                message: format!(
                    "{} learned a feedback rule the project's memory does not have: {rule}",
                    store.id
                ),
                suggestion: Some(
                    "if the rule holds for every session, not only this agent's work, ask the user before copying it to the `memory` store; leave the agent's copy"
                        .to_string(),
                ),
                evidence: None,
            });
        }
    }
    out
}
