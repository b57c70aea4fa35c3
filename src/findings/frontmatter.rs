//! `frontmatter`: what Claude Code itself flags in a topic file's frontmatter: a block missing or never
//! closed, no `name`, a missing or empty description, one over 300 characters, one cut short by an unquoted
//! `#` (YAML reads the rest as a comment), an invalid `type`, and a file named like a continuation
//! (`notes-2.md`). Claude Code decides from the description whether a memory is relevant, so a file
//! without one is rarely recalled. A human-readable `name` ("User profile") is fine: Claude Code reads it.

use super::text::LazyRegex;
use super::{Finding, Kind, Severity};
use crate::memory::frontmatter::{self, Parsed};

/// Claude Code flags a description longer than this.
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// A file name that reads as the continuation of another: `notes-2.md`, `notes_part2.md`, `notes-cont.md`.
static CONTINUATION: LazyRegex =
    LazyRegex::new(r"(?i)^(.+?)[-_ ](?:[2-9]|part[-_ ]?\d{1,2}|cont|continued)\.md$");

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
    if let Some(base) = continuation_of(file) {
        out.push(problem(
            format!("the file name reads as a continuation of `{base}.md`; Claude Code flags such names"),
            "merge it into the file it continues, or give it a name of its own that says what it holds",
        ));
    }
    if fm.name.is_none() {
        out.push(problem(
            "frontmatter has no `name`".to_string(),
            "add `name:` with a short kebab-case name",
        ));
    }
    match (fm.description.as_deref(), &fm.description_cut_by_hash) {
        (read, Some(written)) => out.push(problem(
            format!(
                "the description is cut by an unquoted `#`: YAML reads {:?} of {written:?}",
                read.unwrap_or("")
            ),
            "put the description in double quotes",
        )),
        (None, None) => out.push(problem(
            "frontmatter has no `description`, or an empty one (it decides when the memory is recalled)"
                .to_string(),
            "add one specific line saying what the file knows",
        )),
        (Some(d), None) if d.chars().count() > MAX_DESCRIPTION_CHARS => out.push(problem(
            format!(
                "the description is {} characters; Claude Code flags descriptions over {MAX_DESCRIPTION_CHARS}",
                d.chars().count()
            ),
            "shorten it to one specific line; the detail belongs in the body",
        )),
        (Some(_), None) => {}
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

/// The stem of the file `file` continues, when its name reads as a continuation.
fn continuation_of(file: &str) -> Option<&str> {
    let name = file.rsplit('/').next().unwrap_or(file);
    let caps = CONTINUATION.get()?.captures(name)?;
    Some(caps.get(1)?.as_str())
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
        assert!(CONTINUATION.get().is_some());
        assert_eq!(messages(nested), Vec::<String>::new());
    }

    #[test]
    fn reports_each_missing_or_invalid_field() {
        assert_eq!(
            messages("---\ntype: notes\n---\n"),
            [
                "frontmatter has no `name`",
                "frontmatter has no `description`, or an empty one (it decides when the memory is recalled)",
                "frontmatter type \"notes\" is not one of user, feedback, project, reference",
            ]
        );
        assert_eq!(
            messages("---\nname: x\ndescription: \ntype: user\n---\n").len(),
            1,
            "an empty description is a missing one"
        );
        let long = |n: usize| {
            format!(
                "---\nname: random notes\ndescription: {}\ntype: project\n---\n",
                "x".repeat(n)
            )
        };
        assert_eq!(messages(&long(MAX_DESCRIPTION_CHARS)), Vec::<String>::new());
        let m = messages(&long(MAX_DESCRIPTION_CHARS + 1));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("301 characters"), "{m:?}");
    }

    #[test]
    fn human_readable_names_are_never_flagged() {
        for name in [
            "User profile",
            "ExplodeConfig::fire() migration — clean",
            "chantier-a11y",
        ] {
            let text =
                format!("---\nname: {name}\ndescription: d\nmetadata: \n  type: user\n---\n");
            assert_eq!(messages(&text), Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn a_description_cut_by_an_unquoted_hash_is_flagged() {
        let m = messages("---\nname: x\ndescription: Issue #574 fixed\ntype: project\n---\n");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].contains("unquoted `#`") && m[0].contains("\"Issue\""),
            "{m:?}"
        );
        let quoted = "---\nname: x\ndescription: \"Issue #574 fixed\"\ntype: project\n---\n";
        assert_eq!(messages(quoted), Vec::<String>::new());
    }

    #[test]
    fn continuation_names_are_flagged() {
        let text = "---\nname: x\ndescription: d\ntype: project\n---\n";
        for (file, base) in [
            ("notes-2.md", Some("notes")),
            ("team/a_part2.md", Some("a")),
            ("deploy-cont.md", Some("deploy")),
        ] {
            assert_eq!(continuation_of(file), base, "{file}");
            assert_eq!(check(file, text).len(), 1, "{file}");
        }
        for file in [
            "project_1203_residuals.md",
            "issue-42.md",
            "v2.md",
            "notes.md",
        ] {
            assert_eq!(continuation_of(file), None, "{file}");
        }
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
