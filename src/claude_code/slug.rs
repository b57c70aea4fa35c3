//! Claude Code's project slugs: how an absolute path becomes a folder name under `<config>/projects/`.

use std::fs;
use std::path::{Path, PathBuf};

/// Longest slug Claude Code keeps before cutting it and appending a hash.
pub const MAX_SLUG_LEN: usize = 200;

/// The slug of an absolute path: every character outside `[A-Za-z0-9]` becomes `-`.
///
/// `/Users/ali/.claude/projects` gives `-Users-ali--claude-projects`. Non-ASCII characters become one `-`
/// each, as Claude Code does per UTF-16 unit for the common (BMP) case.
pub fn slug(path: &Path) -> String {
    path.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The folder for `path` under `projects_dir`.
///
/// Short slugs map directly. A slug over [`MAX_SLUG_LEN`] is cut to that length and Claude Code appends a
/// `-<hash>` that is not portable, so an existing folder whose name starts with the cut slug is looked up;
/// when none exists the cut slug itself is returned (it does not exist either way).
pub fn project_folder(projects_dir: &Path, path: &Path) -> PathBuf {
    let full = slug(path);
    if full.len() <= MAX_SLUG_LEN {
        return projects_dir.join(full);
    }
    let cut = &full[..MAX_SLUG_LEN];
    let prefix = format!("{cut}-");
    let found = fs::read_dir(projects_dir).ok().and_then(|entries| {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&prefix))
            .collect();
        names.sort();
        names.into_iter().next()
    });
    projects_dir.join(found.unwrap_or_else(|| cut.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_claude_code_examples() {
        let cases = [
            ("/Users/ali/.claude/projects", "-Users-ali--claude-projects"),
            (
                "/Users/dain/workspace/claude-code-log",
                "-Users-dain-workspace-claude-code-log",
            ),
            (
                "/Users/dain/workspace/danieldemmel.me-next",
                "-Users-dain-workspace-danieldemmel-me-next",
            ),
            ("/src/deep-manifest", "-src-deep-manifest"),
            ("/home/me/my project (v2)", "-home-me-my-project--v2-"),
            ("/tmp/caf\u{e9}", "-tmp-caf-"),
        ];
        for (path, want) in cases {
            assert_eq!(slug(Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn long_slugs_match_an_existing_folder_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let long = PathBuf::from(format!("/{}", "deep/".repeat(60)));
        let cut = slug(&long)[..MAX_SLUG_LEN].to_string();
        assert_eq!(project_folder(dir.path(), &long), dir.path().join(&cut));
        let existing = format!("{cut}-1a2b3c");
        fs::create_dir(dir.path().join(&existing)).unwrap();
        fs::create_dir(dir.path().join(format!("{}x", &cut[..MAX_SLUG_LEN - 1]))).unwrap();
        assert_eq!(project_folder(dir.path(), &long), dir.path().join(existing));
    }
}
