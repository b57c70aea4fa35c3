//! What recall will not show: Claude Code shows other sessions only the first 200 lines / 4 KB of a topic
//! file (`long_topic_file`, with the line where the cut falls), and its memory scan keeps only the 200
//! most recently modified topic files (`over_file_limit`, naming the ones it drops).

use super::{Evidence, FilesEvidence, Finding, Kind, Severity};
use crate::memory::dir::INDEX_NAME;
use crate::memory::snapshot::LoadedFile;

/// Recall shows this many lines of a topic file.
pub const RECALL_LINES: usize = 200;
/// Recall shows this many bytes of a topic file.
pub const RECALL_BYTES: usize = 4096;
/// The memory scan keeps this many topic files, newest first.
pub const SCAN_FILES: usize = 200;

/// How many dropped files the `over_file_limit` message names (the evidence lists them all).
const FILES_NAMED: usize = 5;

/// The recall findings of `files`.
#[cfg(test)]
fn check(files: &[LoadedFile]) -> Vec<Finding> {
    let mut out: Vec<Finding> = files.iter().filter_map(|f| long_file(f, &f.text)).collect();
    out.extend(over_file_limit(files));
    out
}

/// `over_file_limit` for `files` (their summaries only), when there are more than the scan keeps.
pub(crate) fn over_file_limit(files: &[LoadedFile]) -> Option<Finding> {
    if files.len() > SCAN_FILES {
        // Newest first; ties keep path order.
        let mut by_age: Vec<&LoadedFile> = files.iter().collect();
        by_age.sort_by_key(|f| std::cmp::Reverse(f.summary.modified));
        let dropped: Vec<String> = by_age[SCAN_FILES..]
            .iter()
            .map(|f| f.path.to_string())
            .collect();
        let named = dropped
            .iter()
            .take(FILES_NAMED)
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(Finding {
            kind: Kind::OverFileLimit,
            severity: Severity::Warning,
            file: INDEX_NAME.to_string(),
            line: 1,
            message: format!(
                "{} topic files; Claude Code's memory scan keeps the {SCAN_FILES} most recently modified, so {} are never offered to recall: {named}{}",
                files.len(),
                dropped.len(),
                if dropped.len() > FILES_NAMED { ", ..." } else { "" }
            ),
            suggestion: Some(
                "merge small related files and delete what is no longer true until there are at most 200"
                    .to_string(),
            ),
            evidence: Some(Box::new(Evidence::Files(FilesEvidence { files: dropped }))),
        });
    }
    None
}

/// A topic file (with its text `text`) longer than recall shows, at the first line it does not show.
pub(crate) fn long_file(f: &LoadedFile, text: &str) -> Option<Finding> {
    let bytes = text.len();
    let lines = text.lines().count();
    if bytes <= RECALL_BYTES && lines <= RECALL_LINES {
        return None;
    }
    let mut offset = 0;
    let mut cut = lines + 1;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        offset += line.len();
        if offset > RECALL_BYTES || i >= RECALL_LINES {
            cut = i + 1;
            break;
        }
    }
    Some(Finding {
        kind: Kind::LongTopicFile,
        severity: Severity::Warning,
        file: f.path.to_string(),
        line: cut,
        message: format!(
            "{bytes} bytes, {lines} lines: recall shows other sessions the first {RECALL_LINES} lines / 4 KB, so from line {cut} on they do not see it"
        ),
        suggestion: Some(
            "put what matters most first and split the rest into its own topic file, or drop what is no longer true"
                .to_string(),
        ),
        evidence: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::digest::Digest256;
    use crate::memory::dir::MemoryPath;
    use crate::memory::snapshot::{FileFacts, Summary};

    /// A loaded file modified `seconds` after 2026-01-01T00:00:00Z.
    fn file(path: &str, text: String, seconds: u64) -> LoadedFile {
        LoadedFile {
            path: MemoryPath::parse(path).unwrap_or_else(|e| panic!("{e}")),
            summary: Summary {
                facts: FileFacts {
                    name: None,
                    description: None,
                    memory_type: None,
                    type_valid: false,
                    has_frontmatter: false,
                    lines: text.lines().count(),
                    bytes: text.len() as u64,
                },
                modified: std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(1_767_225_600 + seconds),
                sha256: Digest256::default(),
            },
            text,
            stamp: None,
        }
    }

    #[test]
    fn a_file_over_4_kb_or_200_lines_says_where_the_cut_falls() {
        let wide = file("wide.md", format!("{}\n", "x".repeat(99)).repeat(50), 0);
        let tall = file("tall.md", "x\n".repeat(250), 0);
        let short = file("short.md", "x\n".repeat(200), 0);
        let found: Vec<(String, usize)> = check(&[wide, tall, short])
            .into_iter()
            .map(|f| (f.file, f.line))
            .collect();
        // 100 bytes a line: line 41 ends at byte 4,100.
        assert_eq!(
            found,
            [("wide.md".to_string(), 41), ("tall.md".to_string(), 201)]
        );
    }

    #[test]
    fn over_200_files_names_the_oldest_the_scan_drops() {
        let files: Vec<LoadedFile> = (0..203)
            .map(|i| file(&format!("f{i:03}.md"), "x\n".to_string(), i))
            .collect();
        let found = check(&files);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].evidence,
            Some(Box::new(Evidence::Files(FilesEvidence {
                files: vec![
                    "f002.md".to_string(),
                    "f001.md".to_string(),
                    "f000.md".to_string()
                ]
            })))
        );
        assert!(check(&files[..200]).is_empty());
    }
}
