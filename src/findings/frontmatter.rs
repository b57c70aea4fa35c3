//! `frontmatter`: a topic file whose frontmatter is missing, never closed, or lacks a valid `name`,
//! `description` or `type`. Claude Code decides from the description whether a memory is relevant, so a
//! file without one is rarely recalled.

use super::{Finding, Kind, Severity};
use crate::memory::frontmatter::{self, Parsed};

/// A description longer than this is no longer the one specific line Claude Code expects.
pub const MAX_DESCRIPTION_CHARS: usize = 250;

/// The frontmatter problems of the topic file `file` with content `text`.
pub fn check(file: &str, text: &str) -> Vec<Finding> {
    let problem = |message: String, suggestion: &str| Finding {
        kind: Kind::Frontmatter,
        severity: Severity::Warning,
        file: file.to_string(),
        line: 1,
        message,
        suggestion: Some(suggestion.to_string()),
        evidence: None,
    };
    let fm = match frontmatter::parse(text) {
        Parsed::Absent => {
            return vec![problem(
                "no frontmatter: start the file with ---, name:, description:, type: (user|feedback|project|reference), ---"
                    .to_string(),
                "add the block; the description decides when the memory is recalled",
            )];
        }
        Parsed::Unclosed => {
            return vec![problem(
                "the frontmatter opened with --- is never closed".to_string(),
                "end the block with a line holding only ---",
            )];
        }
        Parsed::Present(fm) => fm,
    };
    let mut out = Vec::new();
    match fm.name.as_deref() {
        None => out.push(problem(
            "frontmatter has no `name`".to_string(),
            "add `name:` with a short kebab-case name",
        )),
        Some(name) if name.chars().any(char::is_whitespace) => out.push(problem(
            format!("frontmatter name {name:?} has spaces"),
            "use a short kebab-case name, like `build-commands`",
        )),
        Some(_) => {}
    }
    match fm.description.as_deref() {
        None => out.push(problem(
            "frontmatter has no `description` (it decides when the memory is recalled)".to_string(),
            "add one specific line saying what the file knows",
        )),
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => out.push(problem(
            format!(
                "frontmatter description is {} characters; it should be one specific line",
                d.chars().count()
            ),
            "shorten it to one line; the detail belongs in the body",
        )),
        Some(_) => {}
    }
    match (&fm.type_raw, fm.memory_type()) {
        (None, _) => out.push(problem(
            "frontmatter has no `type`".to_string(),
            "add `type:` user, feedback, project or reference",
        )),
        (Some(t), None) => out.push(problem(
            format!("frontmatter type {t:?} is not one of user, feedback, project, reference"),
            "pick the one that fits: user (who the user is), feedback (corrections), project (work and decisions), reference (pointers elsewhere)",
        )),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        check("x.md", text).into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn a_complete_block_is_fine() {
        let text =
            "---\nname: build-commands\ndescription: How to build\ntype: reference\n---\nbody\n";
        assert_eq!(messages(text), Vec::<String>::new());
        let nested = "---\nname: x\ndescription: y\nmetadata:\n  type: feedback\n---\n";
        assert_eq!(messages(nested), Vec::<String>::new());
    }

    #[test]
    fn reports_each_missing_or_invalid_field() {
        assert_eq!(
            messages("---\ntype: notes\n---\n"),
            [
                "frontmatter has no `name`",
                "frontmatter has no `description` (it decides when the memory is recalled)",
                "frontmatter type \"notes\" is not one of user, feedback, project, reference",
            ]
        );
        let long = format!(
            "---\nname: random notes\ndescription: {}\ntype: project\n---\n",
            "x".repeat(MAX_DESCRIPTION_CHARS + 1)
        );
        let m = messages(&long);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].contains("has spaces") && m[1].contains("251 characters"),
            "{m:?}"
        );
    }

    #[test]
    fn absent_and_unclosed_blocks_are_one_finding_each() {
        assert_eq!(messages("# Notes\n").len(), 1);
        assert!(messages("# Notes\n")[0].starts_with("no frontmatter"));
        assert_eq!(
            messages("---\nname: x\n"),
            ["the frontmatter opened with --- is never closed"]
        );
    }
}
