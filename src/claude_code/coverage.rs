//! Which transcript folders hold the sessions of one memory.
//!
//! Claude Code keys memory on the canonical git root but transcripts on the folder a session was launched
//! in (REFERENCE §8): sessions started in a subfolder or in a linked worktree land in other folders under
//! `<config>/projects/`. A folder belongs to this memory when it is the project's own transcripts folder,
//! or when its name starts with the slug of the project root or of one of its worktrees *and* the `cwd`
//! recorded in one of its sessions lies under that root. Slug prefixes alone are ambiguous (`-work-foo` is
//! a prefix of `-work-foo-bar`, which may be another project), so the `cwd` decides.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::claude_code::gate;
use crate::claude_code::locations::{Locations, canonical_git_root};
use crate::claude_code::slug;

/// Sessions of a candidate folder whose `cwd` is read, newest first, before the folder is given up on.
const SESSIONS_CHECKED: usize = 8;
/// Linked worktrees looked at, at most (hostile `.git/worktrees` stays cheap).
const MAX_WORKTREES: usize = 256;
/// Largest `gitdir` file read.
const MAX_GITDIR_BYTES: u64 = 4096;

impl Locations {
    /// Every transcript folder whose sessions belong to this memory, the project's own
    /// [`Locations::transcripts_dir`] first, then the others by name. An explicit transcripts directory
    /// (`--transcripts-dir`) is the only folder.
    pub fn transcript_folders(&self) -> Vec<PathBuf> {
        let mut out = vec![self.transcripts_dir.clone()];
        if self.transcripts_explicit {
            return out;
        }
        let projects = self.config_dir.join("projects");
        let root =
            canonical_git_root(&self.project_dir).unwrap_or_else(|| self.project_dir.clone());
        let mut roots = vec![root.clone()];
        roots.extend(worktrees(&root));
        let own = slug::project_folder(&projects, &root);
        let Ok(entries) = fs::read_dir(&projects) else {
            return out;
        };
        let mut others: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let path = e.path();
                if path == self.transcripts_dir {
                    return None;
                }
                if path == own {
                    return Some(path);
                }
                let candidates: Vec<&PathBuf> = roots
                    .iter()
                    .filter(|r| slug_prefix_of(&slug::slug(r), &name))
                    .collect();
                (!candidates.is_empty() && sessions_under(&path, &candidates)).then_some(path)
            })
            .collect();
        others.sort();
        out.extend(others);
        out
    }
}

/// Whether folder `name` can be the key of `root_slug`'s folder or of a folder below it: it is the slug
/// (or its 200-character cut), or starts with it followed by `-`.
pub(crate) fn slug_prefix_of(root_slug: &str, name: &str) -> bool {
    let cut = &root_slug[..root_slug.len().min(slug::MAX_SLUG_LEN)];
    match name.strip_prefix(cut) {
        Some(rest) => rest.is_empty() || rest.starts_with('-'),
        None => false,
    }
}

/// Whether a session of `folder` (newest first, up to [`SESSIONS_CHECKED`]) recorded a `cwd` under one
/// of `roots`.
fn sessions_under(folder: &Path, roots: &[&PathBuf]) -> bool {
    gate::list(folder)
        .iter()
        .rev()
        .take(SESSIONS_CHECKED)
        .filter_map(|s| gate::first_string_field(&s.file, "cwd"))
        .any(|cwd| roots.iter().any(|r| is_under(Path::new(&cwd), r)))
}

/// Whether `path` (as a transcript records it: hostile) is `root` or below it, compared component by
/// component; a relative path or one with `..` is under nothing.
pub(crate) fn is_under(path: &Path, root: &Path) -> bool {
    path.is_absolute()
        && !path.components().any(|c| matches!(c, Component::ParentDir))
        && path.starts_with(root)
}

/// The linked worktrees of the repository at `root`: for each `.git/worktrees/<name>/gitdir` (the path of
/// the worktree's `.git` file), the worktree folder.
fn worktrees(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(root.join(".git").join("worktrees")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .take(MAX_WORKTREES)
        .filter_map(|e| {
            let gitdir = e.path().join("gitdir");
            let meta = fs::symlink_metadata(&gitdir).ok()?;
            if !meta.is_file() || meta.len() > MAX_GITDIR_BYTES {
                return None;
            }
            let text = fs::read_to_string(&gitdir).ok()?;
            let dot_git = PathBuf::from(text.trim());
            let dir = dot_git.parent()?;
            dir.is_absolute().then(|| dir.to_path_buf())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_stop_at_a_dash_or_the_end() {
        assert!(slug_prefix_of("-work-foo", "-work-foo"));
        assert!(slug_prefix_of("-work-foo", "-work-foo-bar"));
        assert!(!slug_prefix_of("-work-foo", "-work-foobar"));
        assert!(!slug_prefix_of("-work-foo", "-work-fo"));
        let long = format!("-{}", "a".repeat(300));
        assert!(slug_prefix_of(&long, &format!("{}-abc12", &long[..200])));
    }

    #[test]
    fn hostile_cwds_are_under_nothing() {
        let root = Path::new("/work/foo");
        assert!(is_under(Path::new("/work/foo/sub"), root));
        assert!(is_under(Path::new("/work/foo"), root));
        assert!(!is_under(Path::new("/work/foo-bar"), root));
        assert!(!is_under(Path::new("/work/foo/../bar"), root));
        assert!(!is_under(Path::new("work/foo/sub"), root));
    }
}
