//! `dead_link` for `[[wiki-links]]`: a link between memories that no topic file answers, resolved the way
//! Claude Code does (by `name`, by file stem, `-` and `_` alike), and also by the stem without its type
//! prefix and by a heading of the linking file. A dead one may name a skill or a rule section rather than a
//! memory; the finding says so.

use super::{Finding, Kind, Severity};
use crate::memory::index::{WikiResolver, wiki_links};
use crate::memory::snapshot::LoadedFile;

/// Finds the dead wiki-links of one text at a time, against the names of every topic file.
pub(crate) struct Checker {
    resolver: WikiResolver,
    out: Vec<Finding>,
}

impl Checker {
    /// A checker resolving links to `files` (their paths and names; the texts are not read).
    pub(crate) fn new(files: &[LoadedFile]) -> Checker {
        Checker {
            resolver: WikiResolver::new(
                files
                    .iter()
                    .map(|f| (f.path.as_str(), f.summary.name.as_deref())),
            ),
            out: Vec::new(),
        }
    }

    /// Adds the dead wiki-links of `text`, the file `file` (a topic file or the index).
    pub(crate) fn check(&mut self, file: &str, text: &str) {
        for link in wiki_links(text) {
            if self.resolver.resolve(&link.target).is_some()
                || WikiResolver::is_heading_of(&link.target, text)
            {
                continue;
            }
            self.out.push(Finding {
                kind: Kind::DeadLink,
                severity: Severity::Warning,
                file: file.to_string(),
                line: link.line,
                message: format!(
                    "`[[{}]]` names no memory (no topic file has that name or file name)",
                    link.target
                ),
                suggestion: Some(
                    "point it at the memory that holds the fact now, or drop it; if it names a skill or a rule section, say so in plain words"
                        .to_string(),
                ),
                evidence: None,
            });
        }
    }

    /// The dead wiki-links found, in the order checked.
    pub(crate) fn finish(self) -> Vec<Finding> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory;
    use crate::memory::dir::MemoryDir;

    #[test]
    fn dead_wiki_links_are_reported_and_live_ones_count_against_orphans() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let put = |name: &str, text: &str| {
            std::fs::write(tmp.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
        };
        let topic = |name: &str, body: &str| {
            format!("---\nname: {name}\ndescription: d\nmetadata: \n  type: project\n---\n{body}\n")
        };
        put("MEMORY.md", "- [A](project_a.md) — a\n");
        put(
            "project_a.md",
            &topic(
                "a-notes",
                "See [[project-b]], [[c-rule]] and [[deploy]].\n## Local heading\n[[Local heading]]",
            ),
        );
        put("project_b.md", &topic("b", "Back to [[a-notes]]."));
        put("feedback_c_rule.md", &topic("c", "x"));
        put("project_d.md", &topic("d", "unlinked"));
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let inv = inventory::inventory(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        let dead: Vec<(&str, usize, &str)> = inv
            .findings
            .iter()
            .filter(|f| f.kind == Kind::DeadLink)
            .map(|f| (f.file.as_str(), f.line, f.message.as_str()))
            .collect();
        assert_eq!(dead.len(), 1, "{dead:?}");
        assert_eq!((dead[0].0, dead[0].1), ("project_a.md", 7));
        assert!(dead[0].2.contains("[[deploy]]"), "{}", dead[0].2);
        assert_eq!(inv.index.orphans, ["project_d.md"]);
    }
}
