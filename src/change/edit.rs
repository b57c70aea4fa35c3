//! The three changes a dream can make: write a topic file, delete one, rewrite the index.
//!
//! Each checks its input first (paths, content, `expected_sha256`, index rules), then makes the change
//! through [`Run::apply`], which journals the file's current bytes before changing it atomically. A refusal
//! changes nothing.

use serde::Serialize;

use crate::change::journal::{Citation, Run};
use crate::error::{Error, Result};
use crate::findings;
use crate::memory::digest::sha256_hex;
use crate::memory::dir::{Access, MemoryDir, MemoryPath};
use crate::memory::index::{self, Index};

/// What a write did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WriteOutcome {
    /// The file written, relative to the memory directory.
    pub path: String,
    /// Whether the file was new.
    pub created: bool,
    /// SHA-256 of the new content (use it as `expected_sha256` for the next change).
    pub sha256: String,
    /// SHA-256 of the content it replaced, if any.
    pub previous_sha256: Option<String>,
    /// Size of the new content in bytes.
    pub bytes: usize,
    /// Number of lines of the new content.
    pub lines: usize,
    /// Things worth fixing that did not stop the write (frontmatter, findings in the new content).
    pub warnings: Vec<String>,
}

/// What a delete did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeleteOutcome {
    /// The file removed.
    pub path: String,
    /// SHA-256 of the content removed (kept in the journal).
    pub previous_sha256: String,
    /// MEMORY.md lines that still link to the removed file; fix them with `rewrite_index`.
    pub index_lines_still_linking: Vec<String>,
}

/// What an index rewrite did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexOutcome {
    /// SHA-256 of the new MEMORY.md.
    pub sha256: String,
    /// SHA-256 of the index it replaced, if any.
    pub previous_sha256: Option<String>,
    /// Number of lines (at most 200).
    pub lines: usize,
    /// Size in bytes (at most 25,000).
    pub bytes: usize,
    /// Long entries and topic files left unlinked: written anyway, worth fixing.
    pub warnings: Vec<String>,
}

fn check_expected(path: &MemoryPath, current: Option<&[u8]>, expected: Option<&str>) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let wanted = expected.trim().to_ascii_lowercase();
    if wanted.is_empty() && current.is_none() {
        return Ok(()); // "" asserts the file does not exist yet
    }
    if !wanted.is_empty() && (wanted.len() != 64 || !wanted.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Error::Parameter {
            name: "expected_sha256",
            rule: format!(
                "{} is not a SHA-256 (64 hex digits); pass the sha256 read_memory_file or list_memory returned, or \"\" to create a file that must not exist yet",
                crate::error::shown(expected)
            ),
        });
    }
    let current_hash = current.map(sha256_hex);
    if current_hash.as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    Err(Error::Conflict {
        path: path.to_string(),
        expected: expected.to_string(),
        current: current_hash.unwrap_or_else(|| "absent".to_string()),
    })
}

/// Frontmatter warnings for topic-file content (the messages of its `frontmatter` findings).
pub fn frontmatter_warnings(content: &str) -> Vec<String> {
    findings::frontmatter::check("", content)
        .into_iter()
        .map(|f| f.message)
        .collect()
}

/// Refuses content holding a likely credential, naming each line and kind (never the value): memory is
/// loaded into every session and `team/` is shared, so only a pointer to where a secret is kept belongs
/// there.
fn refuse_credentials(path: &MemoryPath, content: &str) -> Result<()> {
    let found = crate::secrets::find(content);
    if found.is_empty() {
        return Ok(());
    }
    let line_of = |at: usize| content[..at].bytes().filter(|&b| b == b'\n').count() + 1;
    let places: Vec<String> = found
        .iter()
        .map(|m| format!("line {} ({})", line_of(m.range.start), m.kind))
        .collect();
    Err(Error::ContentRefused {
        path: path.to_string(),
        rule: format!(
            "it holds what looks like a credential at {}; memory is loaded into every session, so write where it is kept instead (e.g. \"staging DB password: in 1Password under staging-db\"); nothing was written",
            places.join(", ")
        ),
    })
}

/// Creates or replaces the topic file `raw_path` with `content`.
///
/// With `expected_sha256`, refuses unless the file's current content has that hash (no lost update when
/// Claude Code's auto-memory writes at the same time).
pub fn write_file(
    dir: &MemoryDir,
    run: &mut Run,
    raw_path: &str,
    content: &str,
    expected_sha256: Option<&str>,
    evidence: &[Citation],
) -> Result<WriteOutcome> {
    Citation::check(evidence)?;
    let path = dir.resolve(raw_path, Access::Write)?;
    MemoryDir::check_content(&path, content.as_bytes())?;
    refuse_credentials(&path, content)?;
    let current = dir.read_opt(&path)?;
    check_expected(&path, current.as_deref(), expected_sha256)?;
    run.apply(dir, &path, current.as_deref(), Some(content.as_bytes()))?;
    run.cite(&path, evidence);
    Ok(WriteOutcome {
        path: path.to_string(),
        created: current.is_none(),
        sha256: sha256_hex(content.as_bytes()),
        previous_sha256: current.as_deref().map(sha256_hex),
        bytes: content.len(),
        lines: content.lines().count(),
        warnings: frontmatter_warnings(content),
    })
}

/// Deletes the topic file `raw_path` (never MEMORY.md), reporting index lines that still link to it.
pub fn delete_file(
    dir: &MemoryDir,
    run: &mut Run,
    raw_path: &str,
    expected_sha256: Option<&str>,
    evidence: &[Citation],
) -> Result<DeleteOutcome> {
    Citation::check(evidence)?;
    let path = dir.resolve(raw_path, Access::Write)?;
    let current = dir.read(&path)?;
    check_expected(&path, Some(&current), expected_sha256)?;
    run.apply(dir, &path, Some(&current), None)?;
    run.cite(&path, evidence);
    let index = dir
        .read_opt(&MemoryPath::index())?
        .map(|b| Index::parse(&String::from_utf8_lossy(&b)))
        .unwrap_or_default();
    Ok(DeleteOutcome {
        path: path.to_string(),
        previous_sha256: sha256_hex(&current),
        index_lines_still_linking: index
            .lines_linking(&path)
            .iter()
            .map(|l| format!("line {}: {}", l.line, l.text))
            .collect(),
    })
}

/// Replaces MEMORY.md with `content` only if it meets every index rule; otherwise lists every violation.
pub fn rewrite_index(
    dir: &MemoryDir,
    run: &mut Run,
    content: &str,
    expected_sha256: Option<&str>,
    evidence: &[Citation],
) -> Result<IndexOutcome> {
    Citation::check(evidence)?;
    let path = MemoryPath::index();
    let topic_files = dir.list()?.files;
    let review = index::review(content, dir, &topic_files);
    if !review.violations.is_empty() {
        return Err(Error::IndexRefused(review.violations));
    }
    MemoryDir::check_content(&path, content.as_bytes())?;
    refuse_credentials(&path, content)?;
    let current = dir.read_opt(&path)?;
    check_expected(&path, current.as_deref(), expected_sha256)?;
    run.apply(dir, &path, current.as_deref(), Some(content.as_bytes()))?;
    run.cite(&path, evidence);
    Ok(IndexOutcome {
        sha256: sha256_hex(content.as_bytes()),
        previous_sha256: current.as_deref().map(sha256_hex),
        lines: content.lines().count(),
        bytes: content.len(),
        warnings: review.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::run::Dreamer;
    use crate::claude_code::locations::LocationOptions;

    #[test]
    fn a_write_holding_a_credential_is_refused_naming_line_and_kind_and_changes_nothing() {
        let t = tempfile::tempdir().unwrap();
        let mem = t.path().join("mem");
        std::fs::create_dir(&mem).unwrap();
        std::fs::write(mem.join("ops.md"), "# Ops\n").unwrap();
        let dreamer = Dreamer::new(
            LocationOptions {
                memory_dir: Some(mem.clone()),
                journal_dir: Some(t.path().join("journal")),
                home: Some(t.path().join("home")),
                project_dir: Some(t.path().to_path_buf()),
                ..LocationOptions::default()
            }
            .resolve(),
        );
        let cases = [
            (
                "# Ops\nCI uses ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n",
                "line 2 (github_token)",
            ),
            (
                "# Ops\n\n- staging 비밀번호는 qwer1234!\n",
                "line 3 (stated_password)",
            ),
            (
                "x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
                "line 2 (private_key)",
            ),
            (
                "npm: npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                "line 1 (npm_token)",
            ),
        ];
        for (content, place) in cases {
            let err = dreamer
                .change("write ops.md", |dir, run| {
                    write_file(dir, run, "ops.md", content, None, &[])
                })
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(place) && err.contains("where it is kept"),
                "{err}"
            );
            assert!(!err.contains("qwer1234") && !err.contains("ghp_"), "{err}");
            let err = dreamer
                .change("index", |dir, run| {
                    rewrite_index(dir, run, content, None, &[])
                })
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("credential") || err.contains("MEMORY.md"),
                "{err}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(mem.join("ops.md")).unwrap(),
            "# Ops\n"
        );
        assert!(!mem.join("MEMORY.md").exists());
        assert!(dreamer.journal().runs().unwrap_or_default().is_empty());
        let pointer = "# Ops\nThe staging DB password is in 1Password under staging-db.\n";
        dreamer
            .change("write ops.md", |dir, run| {
                write_file(dir, run, "ops.md", pointer, None, &[])
            })
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(mem.join("ops.md")).unwrap(),
            pointer
        );
    }
}
