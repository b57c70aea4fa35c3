//! The YAML frontmatter of topic files: `name`, `description` and `type` (also nested as `metadata.type`).
//!
//! Only the flat `key: value` subset Claude Code writes is understood; anything else is kept as unknown,
//! never an error, because the file belongs to the user.

use std::fmt;
use std::str::FromStr;

/// The four kinds of memory Claude Code writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemoryType {
    /// Who the user is: role, goals, expertise.
    User,
    /// Corrections and confirmed approaches.
    Feedback,
    /// Ongoing work, decisions, deadlines.
    Project,
    /// Pointers to outside systems.
    Reference,
}

impl FromStr for MemoryType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "user" => Ok(MemoryType::User),
            "feedback" => Ok(MemoryType::Feedback),
            "project" => Ok(MemoryType::Project),
            "reference" => Ok(MemoryType::Reference),
            _ => Err(()),
        }
    }
}

impl fmt::Display for MemoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemoryType::User => "user",
            MemoryType::Feedback => "feedback",
            MemoryType::Project => "project",
            MemoryType::Reference => "reference",
        })
    }
}

/// The fields of a frontmatter block that the tools use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontmatter {
    /// `name:`, a short kebab-case name.
    pub name: Option<String>,
    /// `description:`, the one line used to judge relevance.
    pub description: Option<String>,
    /// `type:` or `metadata: { type: }`, as written (may be invalid; see [`Frontmatter::memory_type`]).
    pub type_raw: Option<String>,
    /// 1-based line number of the closing `---`; the body starts after it.
    pub end_line: usize,
}

impl Frontmatter {
    /// The memory type when `type` is one of the four valid values.
    pub fn memory_type(&self) -> Option<MemoryType> {
        self.type_raw.as_deref().and_then(|t| t.parse().ok())
    }
}

/// What was found at the top of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// The file does not start with `---`.
    Absent,
    /// A `---` opens a block that never closes.
    Unclosed,
    /// A complete block.
    Present(Frontmatter),
}

/// Parses the frontmatter at the top of `text` (a leading UTF-8 BOM is allowed; CRLF line ends too).
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return Parsed::Absent;
    }
    let mut fm = Frontmatter::default();
    let mut in_metadata = false;
    for (i, line) in lines.enumerate() {
        let line = line.trim_end();
        if line == "---" {
            fm.end_line = i + 2;
            return Parsed::Present(fm);
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let value = unquote(value.trim());
        if !indented {
            in_metadata = key == "metadata" && value.is_empty();
        }
        let slot = match (indented, in_metadata, key) {
            (false, _, "name") => &mut fm.name,
            (false, _, "description") => &mut fm.description,
            (false, _, "type") | (true, true, "type") => &mut fm.type_raw,
            _ => continue,
        };
        if !value.is_empty() && slot.is_none() {
            *slot = Some(value.to_string());
        }
    }
    Parsed::Unclosed
}

fn unquote(v: &str) -> &str {
    let quoted = v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    if quoted { &v[1..v.len() - 1] } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flat_fields() {
        let p = parse(
            "---\nname: build-quirks\ndescription: \"How the build breaks\"\ntype: project\n---\nbody\n",
        );
        let Parsed::Present(fm) = p else {
            panic!("{p:?}")
        };
        assert_eq!(fm.name.as_deref(), Some("build-quirks"));
        assert_eq!(fm.description.as_deref(), Some("How the build breaks"));
        assert_eq!(fm.memory_type(), Some(MemoryType::Project));
        assert_eq!(fm.end_line, 5);
    }

    #[test]
    fn reads_type_nested_under_metadata_and_crlf() {
        let p = parse("\u{feff}---\r\nname: x\r\nmetadata:\r\n  type: feedback\r\n---\r\n");
        let Parsed::Present(fm) = p else {
            panic!("{p:?}")
        };
        assert_eq!(fm.memory_type(), Some(MemoryType::Feedback));
    }

    #[test]
    fn invalid_type_is_kept_but_not_valid() {
        let Parsed::Present(fm) = parse("---\ntype: notes\n---\n") else {
            panic!()
        };
        assert_eq!(fm.type_raw.as_deref(), Some("notes"));
        assert_eq!(fm.memory_type(), None);
    }

    #[test]
    fn absent_and_unclosed_are_distinguished() {
        assert_eq!(parse("# Title\n---\n"), Parsed::Absent);
        assert_eq!(parse(""), Parsed::Absent);
        assert_eq!(parse("---\nname: x\n"), Parsed::Unclosed);
    }
}
