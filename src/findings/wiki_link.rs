//! `dead_link` for `[[wiki-links]]`: a link between memories that no topic file answers, resolved the way
//! Claude Code does (by `name`, by file stem, `-` and `_` alike), and also by the stem without its type
//! prefix and by a heading of the linking file. A link that names something of the project instead (a
//! rule, skill, agent or command under its `.claude/`, or a CLAUDE.md heading), or sits on a line that
//! says it points into CLAUDE.md, is not a dead memory link.

use std::collections::HashSet;
use std::path::Path;

use super::{Finding, Kind, Severity};
use crate::memory::index::{HeadingKeys, WikiResolver, wiki_links};
use crate::memory::snapshot::LoadedFile;

/// What a project offers wiki-links besides memories.
pub(crate) struct ProjectTargets {
    /// The project root, whose `.claude/` holds rules, skills, agents and commands.
    root: Option<std::path::PathBuf>,
    /// The CLAUDE.md headings as slugs (`why-this-exists-the-archivist-frame`), each with its last
    /// [`TAIL_WORDS`] words and fewer (`the-archivist-frame`, `archivist-frame`, `frame`): a set, so a
    /// file of many links against a CLAUDE.md of many headings costs a lookup a link.
    headings: HashSet<String>,
}

/// The most words of a heading's end a link may name it by.
const TAIL_WORDS: usize = 8;

impl ProjectTargets {
    /// The targets of the project at `project_dir` (its root and `claude_md`, the text of its CLAUDE.md).
    pub(crate) fn new(project_dir: Option<&Path>, claude_md: Option<&str>) -> ProjectTargets {
        ProjectTargets {
            root: project_dir
                .and_then(super::project::root_of)
                .map(|(root, _)| root),
            headings: claude_md
                .map(|t| {
                    t.lines()
                        .filter_map(|l| l.trim_start().strip_prefix('#'))
                        .map(|h| slug(h.trim_start_matches('#')))
                        .filter(|h| !h.is_empty())
                        .flat_map(|h| {
                            let tails: Vec<String> = h
                                .rmatch_indices('-')
                                .take(TAIL_WORDS)
                                .map(|(at, _)| h[at + 1..].to_string())
                                .collect();
                            std::iter::once(h).chain(tails)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Whether `target` names a CLAUDE.md heading (the whole heading or its last words) or a rule, skill,
    /// agent or command of the project.
    fn names(&self, target: &str) -> bool {
        let key = slug(target);
        if key.is_empty() {
            return false;
        }
        if self.headings.contains(&key) {
            return true;
        }
        let plain = |c: char| c.is_alphanumeric() || "-_. ".contains(c);
        let Some(root) = &self.root else {
            return false;
        };
        if !target.chars().all(plain) || target.starts_with('.') || target.contains("..") {
            return false;
        }
        let claude = root.join(".claude");
        let name = target.trim_end_matches(".md");
        // The name as written, and its slug when that differs: each one looked for once.
        let slug = (key != name).then_some(key.as_str());
        std::iter::once(name).chain(slug).any(|n| {
            ["rules", "agents", "commands"]
                .iter()
                .any(|d| claude.join(d).join(format!("{n}.md")).is_file())
                || claude.join("skills").join(n).is_dir()
        })
    }
}

/// Lowercase words joined by `-`: how a heading and a link are compared.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Finds the dead wiki-links of one text at a time, against the names of every topic file and what the
/// project offers.
pub(crate) struct Checker<'p> {
    resolver: WikiResolver,
    project: &'p ProjectTargets,
    out: Vec<Finding>,
}

impl<'p> Checker<'p> {
    /// A checker resolving links to `files` (their paths and names; the texts are not read) and to
    /// `project`.
    pub(crate) fn new(files: &[LoadedFile], project: &'p ProjectTargets) -> Checker<'p> {
        Checker {
            resolver: WikiResolver::new(
                files
                    .iter()
                    .map(|f| (f.path.as_str(), f.summary.facts.name.as_deref())),
            ),
            project,
            out: Vec::new(),
        }
    }

    /// Adds the dead wiki-links of `text`, the file `file` (a topic file or the index).
    pub(crate) fn check(&mut self, file: &str, text: &str) {
        // The file's headings and lines, each worked out once, when a link in it is not a memory's.
        let mut headings: Option<HeadingKeys> = None;
        let mut lines: Option<Vec<&str>> = None;
        for link in wiki_links(text) {
            if self.resolver.resolve(&link.target).is_some()
                || headings
                    .get_or_insert_with(|| WikiResolver::headings_of(text))
                    .names(&link.target)
                || self.project.names(&link.target)
            {
                continue;
            }
            let line = lines.get_or_insert_with(|| text.lines().collect());
            if line
                .get(link.line.wrapping_sub(1))
                .is_some_and(|l| l.contains("CLAUDE.md"))
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

    #[test]
    fn links_to_the_projects_rules_skills_and_claude_md_are_not_dead_memory_links() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let project = tmp.path().join("project");
        let memory = tmp.path().join("memory");
        for d in [".git", ".claude/rules", ".claude/skills/release-check"] {
            std::fs::create_dir_all(project.join(d)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::create_dir_all(&memory).unwrap_or_else(|e| panic!("{e}"));
        let put = |path: std::path::PathBuf, text: &str| {
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"))
        };
        put(project.join(".claude/rules/deploy.md"), "# Deploy\n");
        put(
            project.join("CLAUDE.md"),
            "# App\n## Why this exists — the archivist frame\nText.\n",
        );
        put(memory.join("MEMORY.md"), "- [A](project_a.md) — a\n");
        put(
            memory.join("project_a.md"),
            "---\nname: a\ndescription: d\n---\n\
             Deploy per [[deploy]]; see [[release-check]] and [[archivist-frame]].\n\
             Related: [[scope-clean-as-you-go]] (CLAUDE.md invariants).\n\
             Gone: [[old-notes]], and [[../rules/deploy]].\n",
        );
        let dir = MemoryDir::open(&memory).unwrap_or_else(|e| panic!("{e}"));
        let inv = inventory::inventory(&dir, Some(&project)).unwrap_or_else(|e| panic!("{e}"));
        let dead: Vec<(usize, &str)> = inv
            .findings
            .iter()
            .filter(|f| f.kind == Kind::DeadLink)
            .map(|f| (f.line, f.message.as_str()))
            .collect();
        assert_eq!(dead.len(), 2, "{dead:?}");
        assert!(dead.iter().all(|(line, _)| *line == 7), "{dead:?}");
        assert!(dead[0].1.contains("[[old-notes]]"), "{dead:?}");
        assert!(dead[1].1.contains("[[../rules/deploy]]"), "{dead:?}");
        let without_project = inventory::inventory(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        let dead_without = without_project
            .findings
            .iter()
            .filter(|f| f.kind == Kind::DeadLink)
            .count();
        assert_eq!(
            dead_without, 5,
            "rules, skills and headings need the project"
        );
    }

    #[test]
    fn a_link_names_a_claude_md_heading_by_the_whole_of_it_or_its_last_words() {
        let md = "# App\n## Why this exists — the archivist frame\n### one two three four five six seven eight nine ten\n";
        let t = ProjectTargets::new(None, Some(md));
        for name in [
            "archivist-frame",
            "The archivist frame",
            "why-this-exists-the-archivist-frame",
            "app",
            "three four five six seven eight nine ten",
            "one-two-three-four-five-six-seven-eight-nine-ten",
        ] {
            assert!(t.names(name), "{name}");
        }
        for name in [
            "this-exists",
            "archivist",
            "frame-x",
            "two three four five six seven eight nine ten",
        ] {
            assert!(!t.names(name), "{name}");
        }
    }

    #[test]
    fn a_heading_slug_keeps_words_and_drops_punctuation() {
        assert_eq!(
            slug(" Why this exists — the Archivist frame "),
            "why-this-exists-the-archivist-frame"
        );
        assert_eq!(slug("scope_clean-as-you-go"), "scope-clean-as-you-go");
        assert_eq!(slug("— ·"), "");
    }
}
