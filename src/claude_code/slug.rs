//! Claude Code's project keys: how an absolute path becomes a folder name under `<config>/projects/`.
//!
//! As in Claude Code 2.1.332: every UTF-16 code unit outside `[A-Za-z0-9]` becomes `-`; a key over
//! [`MAX_SLUG_LEN`] is cut there and `-<hash>` appended, the hash being Java's `String.hashCode` of the
//! path (not of the key), its absolute value in base 36.

use std::path::{Path, PathBuf};

/// Longest slug Claude Code keeps before cutting it and appending a hash.
pub const MAX_SLUG_LEN: usize = 200;

/// The slug of an absolute path: every UTF-16 code unit outside `[A-Za-z0-9]` becomes `-`.
///
/// `/Users/ali/.claude/projects` gives `-Users-ali--claude-projects`; `é` gives one `-`, an emoji (two
/// UTF-16 units) gives `--`, as in Claude Code.
pub fn slug(path: &Path) -> String {
    path.to_string_lossy()
        .encode_utf16()
        .map(|u| match char::from_u32(u32::from(u)) {
            Some(c) if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect()
}

/// Claude Code's project key of `path`: its slug, or for a slug over [`MAX_SLUG_LEN`] the cut slug,
/// `-`, and the base-36 hash of the whole path.
pub fn key(path: &Path) -> String {
    let full = slug(path);
    if full.len() <= MAX_SLUG_LEN {
        return full;
    }
    format!(
        "{}-{}",
        &full[..MAX_SLUG_LEN],
        base36(java_hash(&path.to_string_lossy()))
    )
}

/// The folder for `path` under `projects_dir`: `projects_dir/<key>`.
pub fn project_folder(projects_dir: &Path, path: &Path) -> PathBuf {
    projects_dir.join(key(path))
}

/// Java's `String.hashCode` over UTF-16 code units, as an absolute value (`Math.abs` of an int32 in
/// JavaScript, so `i32::MIN` gives 2^31).
fn java_hash(s: &str) -> u64 {
    let h = s
        .encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)));
    i64::from(h).unsigned_abs()
}

/// `n` in lowercase base 36, as JavaScript's `toString(36)`.
fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
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
            ("/tmp/\u{1f600}x", "-tmp---x"),
        ];
        for (path, want) in cases {
            assert_eq!(slug(Path::new(path)), want, "{path}");
            assert_eq!(key(Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn hash_is_java_string_hash_code_in_base_36() {
        // Values computed with JavaScript: Math.abs(hashCode(s)).toString(36).
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("hello"), 99162322);
        assert_eq!(base36(99162322), "1n1e4y");
        assert_eq!(base36(1 << 31), "zik0zk");
        assert_eq!(base36(0), "0");
        // Overflow wraps as int32: "polygenelubricants".hashCode() == i32::MIN, abs is 2^31.
        assert_eq!(java_hash("polygenelubricants"), 1 << 31);
    }

    #[test]
    fn long_keys_are_cut_at_200_and_hashed() {
        let long = PathBuf::from(format!("/{}", "deep/".repeat(60)));
        let k = key(&long);
        let (cut, hash) = k.split_at(MAX_SLUG_LEN);
        assert_eq!(cut, &slug(&long)[..MAX_SLUG_LEN]);
        assert_eq!(
            hash,
            format!("-{}", base36(java_hash(&long.to_string_lossy())))
        );
        let other = PathBuf::from(format!("/{}x", "deep/".repeat(60)));
        assert_ne!(key(&other), k);
        assert_eq!(
            project_folder(Path::new("/p"), &long),
            Path::new("/p").join(&k)
        );
        // Computed with Claude Code's own functions in JavaScript (slug of 307 units, cut, hash).
        let mixed = PathBuf::from(format!("/{}caf\u{e9}\u{1f600}", "deep/".repeat(60)));
        assert!(key(&mixed).ends_with("-deep-sap3w3"), "{}", key(&mixed));
        assert_eq!(slug(&mixed).len(), 307);
    }
}
