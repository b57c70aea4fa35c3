//! MEMORY.md as a dream reads it: an index that grew by appending repeats `- [Title](file.md) — ` on
//! every line, so its entries are given under the file they link, each with its line number and the text
//! after the link, and every other line as written. Nothing is left out but blank lines and the repeated
//! link.

use schemars::JsonSchema;
use serde::Serialize;

use super::index::{Index, IndexLine};

/// MEMORY.md's lines, entries grouped by the file they link.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct IndexView {
    /// Each linked file, in order of its first entry, with its entries.
    pub entries: Vec<LinkedEntries>,
    /// Every other non-blank line (headings, content, lines with several links), `N text`.
    pub other_lines: Vec<String>,
}

/// The entries that link one file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LinkedEntries {
    /// The link target as written.
    pub file: String,
    /// The link text of its first entry.
    pub title: String,
    /// Each entry, `N text-after-the-link` (`N [Title] text` when its link text is another).
    pub lines: Vec<String>,
}

/// `index`'s lines numbered `lines` as the module says.
pub fn view(index: &Index, lines: std::ops::Range<usize>) -> IndexView {
    let mut out = IndexView::default();
    // Where each linked file's group is in `out.entries`: one lookup a line, whatever the index's size.
    let mut group_of = std::collections::HashMap::new();
    for line in index.lines.iter().filter(|l| lines.contains(&l.line)) {
        match entry(line) {
            Some((title, target, rest)) => {
                let at = *group_of.entry(target).or_insert_with(|| {
                    out.entries.push(LinkedEntries {
                        file: target.to_string(),
                        title: title.to_string(),
                        lines: Vec::new(),
                    });
                    out.entries.len() - 1
                });
                let group = &mut out.entries[at];
                let text = match title == group.title {
                    true => format!("{} {rest}", line.line),
                    false => format!("{} [{title}] {rest}", line.line),
                };
                group.lines.push(text);
            }
            None if line.text.trim().is_empty() => {}
            None => out.other_lines.push(format!("{} {}", line.line, line.text)),
        }
    }
    out
}

/// A line that is a list item with one link and nothing before it: its title, target and the text after
/// the link (a leading dash or colon dropped).
fn entry(line: &IndexLine) -> Option<(&str, &str, &str)> {
    let [link] = line.links.as_slice() else {
        return None;
    };
    if !line.is_entry() || line.in_comment {
        return None;
    }
    let written = format!("[{}]({})", link.title, link.target);
    let at = line.text.find(&written)?;
    if !matches!(line.text[..at].trim(), "-" | "*" | "+") {
        return None;
    }
    let rest = line.text[at + written.len()..].trim_start();
    let rest = rest
        .strip_prefix(['—', '–', '-', ':'])
        .unwrap_or(rest)
        .trim();
    Some((&link.title, &link.target, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_grouped_by_file_with_every_line_kept() {
        let text = "# Memory\n\n- [API](api.md) — routers\n- [Db](db.md) — port 5433\n\
                    - [API](api.md) — errors are JSON\n- [Errors](api.md): 422 on failure\n\
                    - Sam wants short answers\n- [A](a.md) and [B](b.md)\n";
        let v = view(&Index::parse(text), 1..usize::MAX);
        assert_eq!(
            view(&Index::parse(text), 4..5).entries[0].lines,
            ["4 port 5433"]
        );
        let shown: Vec<(&str, &str, Vec<&str>)> = v
            .entries
            .iter()
            .map(|e| {
                (
                    e.file.as_str(),
                    e.title.as_str(),
                    e.lines.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "api.md",
                    "API",
                    vec![
                        "3 routers",
                        "5 errors are JSON",
                        "6 [Errors] 422 on failure"
                    ]
                ),
                ("db.md", "Db", vec!["4 port 5433"]),
            ]
        );
        assert_eq!(
            v.other_lines,
            [
                "1 # Memory",
                "7 - Sam wants short answers",
                "8 - [A](a.md) and [B](b.md)"
            ]
        );
    }
}
