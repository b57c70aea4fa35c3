//! `autoMemoryDirectory` and `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE` as Claude Code 2.1.332 reads and
//! validates them, and the refusals this server adds on top.
//!
//! Claude Code's rule (its function `Bu`): only `~/` (or `~\`) is expanded, and only in settings; the
//! value is normalised lexically (no symlinks resolved), trailing separators dropped (Claude Code then
//! appends one; a path here has none, so journal names stay as they were), and NFC-normalised. Refused, so the default `projects/<key>/memory/` is used instead: an empty value, a
//! relative path (`.`, `~`, `~user/x`), `~/` with a rest that normalises to `.`, `..` or `../…`, anything
//! shorter than 3 characters once normalised (`/`, `/a`), a bare drive (`C:`), UNC and device paths,
//! `/net/<host>` and `/Network/Servers/<host>` automounts, macOS `/.vol`-style paths, and NUL bytes.

use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

/// A value Claude Code would accept, as the absolute directory it would use; `None` when Claude Code
/// refuses it (and falls back to its default). `expand_tilde` is true for settings values, false for
/// `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE`.
pub fn accepted(value: &str, expand_tilde: bool, home: &Path) -> Option<PathBuf> {
    if value.is_empty() {
        return None;
    }
    let mut path = value.to_string();
    if expand_tilde && (value.starts_with("~/") || value.starts_with("~\\")) {
        let rest = &value[2..];
        let rest_norm = normalize(if rest.is_empty() { "." } else { rest });
        if rest_norm == "."
            || rest_norm == ".."
            || rest_norm.starts_with("../")
            || rest_norm.starts_with("..\\")
        {
            return None;
        }
        path = format!("{}/{rest}", home.to_string_lossy());
    }
    let norm = normalize(&path);
    let trimmed = norm.trim_end_matches(['/', '\\']);
    if refused(trimmed) {
        return None;
    }
    Some(PathBuf::from(trimmed.nfc().collect::<String>()))
}

/// Claude Code's `XWs`: what it refuses once the value is normalised and its trailing separators cut.
fn refused(p: &str) -> bool {
    !p.starts_with('/')
        || p.chars().count() < 3
        || is_drive(p)
        || p.starts_with("//")
        || p.starts_with("/\\")
        || p.starts_with("\\\\")
        || p.starts_with("\\/")
        || p.starts_with("/??/")
        || p.starts_with("/??\\")
        || automount(p)
        || macos_special(p)
        || p.contains('\0')
}

/// `^[A-Za-z]:$`.
fn is_drive(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// `/net/<host>[/…]` or `/Network/Servers/<host>[/…]`, case-insensitive.
fn automount(p: &str) -> bool {
    let lower = p.to_lowercase();
    let segs: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
    matches!(
        segs.as_slice(),
        ["net", _, ..] | ["network", "servers", _, ..]
    )
}

/// A first segment `.vol`, `.file`, `.nofollow` or `.resolve` (macOS special paths).
fn macos_special(p: &str) -> bool {
    let first = p.split('/').find(|s| !s.is_empty() && *s != ".");
    first.is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        matches!(s.as_str(), ".vol" | ".file" | ".nofollow" | ".resolve")
    })
}

/// Node's `path.posix.normalize`: `.` segments and repeated `/` dropped, `..` folded lexically (above
/// the root it is dropped; in a relative path it is kept), a trailing `/` kept; `""` becomes `.`.
pub fn normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let absolute = p.starts_with('/');
    let trailing = p.ends_with('/');
    let mut segs: Vec<&str> = Vec::new();
    for s in p.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                if segs.last().is_some_and(|l| *l != "..") {
                    segs.pop();
                } else if !absolute {
                    segs.push("..");
                }
            }
            s => segs.push(s),
        }
    }
    let mut out = segs.join("/");
    if out.is_empty() && !absolute {
        out.push('.');
    }
    if !out.is_empty() && trailing {
        out.push('/');
    }
    if absolute {
        out.insert(0, '/');
    }
    out
}

/// Why this server refuses to serve `dir` even though Claude Code would use it: it is the filesystem
/// root, the home folder, the project (or an ancestor of it), or, with `refuse_git`, a folder holding
/// `.git`, where every `.md` of a source tree or of the home folder would become writable and deletable.
/// (`refuse_git` is false for a folder the user named with `--memory-dir`: a memory kept in a git
/// repository of its own is theirs to choose.)
pub fn unsafe_memory_dir(
    dir: &Path,
    home: Option<&Path>,
    project: &Path,
    refuse_git: bool,
) -> Option<String> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = canon(dir);
    if dir.parent().is_none() {
        return Some("it is the filesystem root".to_string());
    }
    if home.is_some_and(|h| canon(h) == dir) {
        return Some("it is the home folder".to_string());
    }
    if refuse_git && std::fs::symlink_metadata(dir.join(".git")).is_ok() {
        return Some("it holds a .git, so it is a source tree".to_string());
    }
    if canon(project).starts_with(&dir) {
        return Some(format!(
            "it is the project {} or a folder above it, so the source tree would become writable",
            project.display()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_node_posix_normalize() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("..", ".."),
            ("../a/..", ".."),
            ("a/../..", ".."),
            ("/", "/"),
            ("//", "/"),
            ("/..", "/"),
            ("/a/../../b/", "/b/"),
            ("/a/./b//c", "/a/b/c"),
            ("a/", "a/"),
        ] {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn claude_code_refuses_these_values() {
        let home = Path::new("/home/u");
        for v in [
            "",
            ".",
            "..",
            "~",
            "~/",
            "~\\",
            "~/.",
            "~/..",
            "~/../x",
            "~/a/../..",
            "~user/mem",
            "mem",
            "./mem",
            "/",
            "//",
            "/a",
            "/..",
            "C:",
            "C:\\",
            "\\\\host\\share",
            "/net/host",
            "/net/host/mem",
            "/NET/host",
            "/Network/Servers/h/x",
            "/.vol/1/2",
            "/x/../.file/a",
            "/tmp/a\0b",
            "$HOME/mem",
        ] {
            assert_eq!(accepted(v, true, home), None, "{v:?}");
        }
    }

    #[test]
    fn claude_code_accepts_these_values() {
        let home = Path::new("/home/u");
        for (v, tilde, want) in [
            ("~/mem", true, "/home/u/mem"),
            ("~/a/../mem//", true, "/home/u/mem"),
            ("/srv/mem", true, "/srv/mem"),
            ("/srv/./x/../mem/", true, "/srv/mem"),
            ("/ab", true, "/ab"),
            ("//srv/mem", true, "/srv/mem"),
            ("/net", true, "/net"),
            ("/tmp/cafe\u{301}", true, "/tmp/caf\u{e9}"),
        ] {
            assert_eq!(accepted(v, tilde, home), Some(PathBuf::from(want)), "{v:?}");
        }
        // The cowork override is not tilde-expanded: `~/mem` is relative there.
        assert_eq!(accepted("~/mem", false, home), None);
    }

    #[test]
    fn dangerous_folders_are_refused_with_a_reason() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let proj = home.join("src/app");
        std::fs::create_dir_all(proj.join("sub")).unwrap();
        std::fs::create_dir_all(home.join("repo/.git")).unwrap();
        std::fs::create_dir_all(home.join("mem")).unwrap();
        let check = |d: &Path| unsafe_memory_dir(d, Some(&home), &proj.join("sub"), true);
        assert!(check(Path::new("/")).unwrap().contains("root"));
        assert!(check(&home).unwrap().contains("home folder"));
        assert!(check(&home.join("repo")).unwrap().contains(".git"));
        assert!(check(&proj).unwrap().contains("project"));
        assert!(check(&home.join("src")).unwrap().contains("project"));
        assert_eq!(check(&home.join("mem")), None);
        assert_eq!(check(&proj.join("sub/.claude/memory")), None);
        let named = unsafe_memory_dir(&home.join("repo"), Some(&home), &proj, false);
        assert_eq!(
            named, None,
            "a --memory-dir in a git repository of its own is allowed"
        );
    }
}
