//! Which files under a transcripts directory are transcripts, walked in parallel without ever following a
//! symlink.
//!
//! The layout (REFERENCE §1): sessions are `<id>.jsonl` at the top; subagent transcripts are
//! `<id>/subagents/agent-<n>.jsonl` (older versions put `agent-<n>.jsonl` beside the sessions). Nothing
//! else is read: not hidden entries, not `memory/` or any other folder, not files deeper down.

use std::path::{Path, PathBuf};

use ignore::{DirEntry, WalkBuilder};

use crate::claude_code::gate::is_session_id;

/// A transcript found by the walk.
#[derive(Debug, Clone)]
pub struct TranscriptFile {
    /// Full path.
    pub path: PathBuf,
    /// Path relative to the transcripts directory, `/`-separated.
    pub rel: String,
    /// The session the path names (`<id>.jsonl` or `<id>/subagents/...`); `None` for old-style
    /// `agent-*.jsonl` files, whose session is only in their lines.
    pub session: Option<String>,
}

/// What the walk found at one entry.
#[derive(Debug)]
pub enum Found {
    /// A transcript to search.
    Transcript(TranscriptFile),
    /// A symlink where a transcript or session folder could be; not followed.
    Symlink(String),
    /// A folder, or anything else the search does not read.
    Other,
}

/// A parallel walk over `root` (already canonical) with `threads` workers (0: one per core), restricted to
/// the transcript layout, skipping hidden entries and never following symlinks.
pub fn builder(root: &Path, threads: usize) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.standard_filters(false)
        .hidden(true)
        .follow_links(false)
        .max_depth(Some(3))
        .threads(threads)
        .filter_entry(in_layout);
    b
}

/// Whether the walk should yield (and, for folders, enter) `e`. Symlinks with a transcript's or a
/// session folder's name are kept so they can be reported; the walk itself never enters them.
fn in_layout(e: &DirEntry) -> bool {
    let name = e.file_name().to_string_lossy();
    let dir = e.file_type().is_some_and(|t| t.is_dir());
    let link = e.path_is_symlink();
    let jsonl = name.ends_with(".jsonl");
    match e.depth() {
        0 => true,
        1 => dir || jsonl || (link && is_session_id(&name)),
        2 => name == "subagents" && (dir || link),
        3 => jsonl,
        _ => false,
    }
}

/// Classifies an entry the walk yielded.
pub fn classify(root: &Path, e: &DirEntry) -> Found {
    let Ok(rel_path) = e.path().strip_prefix(root) else {
        return Found::Other;
    };
    let rel = rel_path.to_string_lossy().into_owned();
    if e.path_is_symlink() {
        return if e.depth() == 0 {
            Found::Other
        } else {
            Found::Symlink(rel)
        };
    }
    if !e.file_type().is_some_and(|t| t.is_file()) || !rel.ends_with(".jsonl") {
        return Found::Other;
    }
    let first = rel_path
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let session = match e.depth() {
        1 => first.strip_suffix(".jsonl").map(str::to_string),
        _ => Some(first),
    }
    .filter(|s| !s.starts_with("agent-"));
    Found::Transcript(TranscriptFile {
        path: e.path().to_path_buf(),
        rel,
        session,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::Mutex;

    const S: &str = "0b5c8a4e-1111-4222-8333-444455556666";

    fn walk(root: &Path) -> (Vec<(String, Option<String>)>, Vec<String>) {
        let found = Mutex::new((Vec::new(), Vec::new()));
        builder(root, 2).build_parallel().run(|| {
            Box::new(|e| {
                if let Ok(e) = e {
                    let mut f = found.lock().unwrap();
                    match classify(root, &e) {
                        Found::Transcript(t) => f.0.push((t.rel, t.session)),
                        Found::Symlink(s) => f.1.push(s),
                        Found::Other => {}
                    }
                }
                ignore::WalkState::Continue
            })
        });
        let (mut t, mut s) = found.into_inner().unwrap();
        t.sort();
        s.sort();
        (t, s)
    }

    #[test]
    fn finds_sessions_and_subagents_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::write(r.join(format!("{S}.jsonl")), "{}\n").unwrap();
        fs::write(r.join("agent-old.jsonl"), "{}\n").unwrap();
        fs::write(r.join("notes.txt"), "x").unwrap();
        fs::write(r.join(".hidden.jsonl"), "{}\n").unwrap();
        fs::create_dir_all(r.join(S).join("subagents")).unwrap();
        fs::write(r.join(S).join("subagents/agent-a1.jsonl"), "{}\n").unwrap();
        fs::write(r.join(S).join("subagents/agent-a1.meta.json"), "{}").unwrap();
        fs::create_dir_all(r.join(S).join("tool-results")).unwrap();
        fs::write(r.join(S).join("tool-results/x.jsonl"), "{}\n").unwrap();
        fs::create_dir_all(r.join("memory")).unwrap();
        fs::write(r.join("memory/MEMORY.md"), "x").unwrap();
        fs::create_dir_all(r.join(".git/subagents")).unwrap();
        fs::write(r.join(".git/subagents/a.jsonl"), "{}\n").unwrap();
        let (t, links) = walk(r);
        assert_eq!(
            t,
            vec![
                (format!("{S}.jsonl"), Some(S.to_string())),
                (format!("{S}/subagents/agent-a1.jsonl"), Some(S.to_string())),
                ("agent-old.jsonl".to_string(), None),
            ]
        );
        assert!(links.is_empty());
    }

    // Creating symlinks needs privileges on Windows; the walk's refusal to follow them is the same there.
    #[cfg(unix)]
    #[test]
    fn symlinks_are_reported_and_never_followed() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.jsonl"), "{}\n").unwrap();
        fs::create_dir_all(outside.path().join("subagents")).unwrap();
        fs::write(outside.path().join("subagents/agent-x.jsonl"), "{}\n").unwrap();
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::os::unix::fs::symlink(outside.path().join("secret.jsonl"), r.join("linked.jsonl"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), r.join(S)).unwrap();
        let (t, mut links) = walk(r);
        links.sort();
        assert!(t.is_empty(), "{t:?}");
        assert_eq!(links, vec![S.to_string(), "linked.jsonl".to_string()]);
    }
}
