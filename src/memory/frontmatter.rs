//! The YAML frontmatter of topic files: `name`, `description` and the metadata Claude Code keeps with them
//! (`type`, `originSessionId`, `modified`, ...), nested under `metadata:` in the current format or top-level
//! in older files.
//!
//! Only the `key: value` subset Claude Code writes is understood (one level of nesting under `metadata:`,
//! double- or single-quoted values). As in Claude Code, every top-level key other than `name`, `description`
//! and `metadata` is folded into the metadata, and a nested value wins over a top-level one of the same
//! name. Anything else is kept as unknown, never an error, because the file belongs to the user.

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
    /// Every metadata key with its value as written: the nested `metadata:` keys and the other top-level
    /// keys, nested ones winning (`type`, `originSessionId`, `modified`, `node_type`, ...), in file order.
    pub metadata: Vec<(String, String)>,
    /// When an unquoted `#` turned the rest of the description into a YAML comment: the whole text as
    /// written (`description` then holds only what YAML reads, possibly nothing).
    pub description_cut_by_hash: Option<String>,
    /// 1-based line number of the closing `---`; the body starts after it.
    pub end_line: usize,
}

impl Frontmatter {
    /// The memory type when `type` is one of the four valid values.
    pub fn memory_type(&self) -> Option<MemoryType> {
        self.type_raw.as_deref().and_then(|t| t.parse().ok())
    }

    /// The value of metadata key `key` (nested or folded from the top level).
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `metadata.modified` (Claude Code stamps it on its own writes, as an ISO time).
    pub fn modified(&self) -> Option<&str> {
        self.meta("modified")
    }

    fn set_meta(&mut self, key: &str, value: &str, nested: bool) {
        match self.metadata.iter_mut().find(|(k, _)| k == key) {
            Some(slot) if nested => slot.1 = value.to_string(),
            Some(_) => {}
            None => self.metadata.push((key.to_string(), value.to_string())),
        }
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
            fm.type_raw = fm.meta("type").map(String::from);
            return Parsed::Present(fm);
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let Some((key, raw)) = line.trim().split_once(':') else {
            continue;
        };
        let key = key.trim();
        let (value, cut) = scalar(raw.trim());
        if !indented {
            in_metadata = key == "metadata" && value.is_empty();
        }
        match (indented, in_metadata, key) {
            (false, _, "name") => set_once(&mut fm.name, value),
            (false, _, "description") => {
                if cut && fm.description.is_none() && fm.description_cut_by_hash.is_none() {
                    fm.description_cut_by_hash = Some(raw.trim().to_string());
                }
                set_once(&mut fm.description, value);
            }
            (false, _, "metadata") => {}
            (false, _, _) if !value.is_empty() => fm.set_meta(key, value, false),
            (true, true, _) if !value.is_empty() => fm.set_meta(key, value, true),
            _ => {}
        }
    }
    Parsed::Unclosed
}

fn set_once(slot: &mut Option<String>, value: &str) {
    if !value.is_empty() && slot.is_none() {
        *slot = Some(value.to_string());
    }
}

/// A scalar value as YAML reads it: quotes removed; for a plain value, a ` #` (or a leading `#`) starts a
/// comment that ends it. The flag says whether such a comment cut something off.
fn scalar(v: &str) -> (&str, bool) {
    if v.starts_with(['"', '\'']) {
        return (unquote(v), false);
    }
    let cut = if v.starts_with('#') {
        Some(0)
    } else {
        v.find(" #").or_else(|| v.find("\t#"))
    };
    match cut {
        Some(at) => (v[..at].trim_end(), true),
        None => (v, false),
    }
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
    fn reads_the_current_format_and_folds_old_top_level_keys() {
        let text = "---\nname: Entity scale expectations\ndescription: \"PR #12: the # is quoted\"\n\
                    type: project\nmetadata: \n  node_type: memory\n  type: feedback\n  originSessionId: 1f2e\n\
                    \x20 modified: 2026-07-21T13:53:16.297Z\n---\nbody\n";
        let Parsed::Present(fm) = parse(text) else {
            panic!()
        };
        assert_eq!(fm.name.as_deref(), Some("Entity scale expectations"));
        assert_eq!(fm.description.as_deref(), Some("PR #12: the # is quoted"));
        assert_eq!(fm.description_cut_by_hash, None);
        // The nested value wins over the top-level one.
        assert_eq!(fm.memory_type(), Some(MemoryType::Feedback));
        assert_eq!(fm.meta("originSessionId"), Some("1f2e"));
        assert_eq!(fm.meta("node_type"), Some("memory"));
        assert_eq!(fm.modified(), Some("2026-07-21T13:53:16.297Z"));
        assert_eq!(fm.end_line, 10);
    }

    #[test]
    fn an_unquoted_hash_cuts_the_description() {
        let Parsed::Present(fm) = parse("---\ndescription: Issue #574 fixed upgrades\n---\n")
        else {
            panic!()
        };
        assert_eq!(fm.description.as_deref(), Some("Issue"));
        assert_eq!(
            fm.description_cut_by_hash.as_deref(),
            Some("Issue #574 fixed upgrades")
        );
        let Parsed::Present(fm) = parse("---\ndescription: #1203 closed\n---\n") else {
            panic!()
        };
        assert_eq!(fm.description, None);
        assert!(fm.description_cut_by_hash.is_some());
        let Parsed::Present(fm) = parse("---\ndescription: C# and F#2 notes\n---\n") else {
            panic!()
        };
        assert_eq!(fm.description.as_deref(), Some("C# and F#2 notes"));
        assert_eq!(fm.description_cut_by_hash, None);
    }

    #[test]
    fn absent_and_unclosed_are_distinguished() {
        assert_eq!(parse("# Title\n---\n"), Parsed::Absent);
        assert_eq!(parse(""), Parsed::Absent);
        assert_eq!(parse("---\nname: x\n"), Parsed::Unclosed);
    }
}
