//! `dead_link` for `[[wiki-links]]`: a link between memories that no topic file answers, resolved the way
//! Claude Code does (by `name`, by file stem, `-` and `_` alike), and also by the stem without its type
//! prefix and by a heading of the linking file. A dead one may name a skill or a rule section rather than a
//! memory; the finding says so.

use super::{Finding, Kind, Severity};
use crate::memory::index::{WikiResolver, wiki_links};
use crate::memory::snapshot::LoadedFile;

/// The dead wiki-links in `files` and the index text.
pub(crate) fn check(
    files: &[LoadedFile],
    index_text: Option<&str>,
    index_name: &str,
) -> Vec<Finding> {
    let resolver = WikiResolver::new(
        files
            .iter()
            .map(|f| (f.path.as_str(), f.summary.name.as_deref())),
    );
    let sources = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .chain(index_text.map(|t| (index_name, t)));
    let mut out = Vec::new();
    for (file, text) in sources {
        for link in wiki_links(text) {
            if resolver.resolve(&link.target).is_some()
                || WikiResolver::is_heading_of(&link.target, text)
            {
                continue;
            }
            out.push(Finding {
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
    out
}
