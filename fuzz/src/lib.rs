//! Shared fixtures for the fuzz targets: memory directories laid out to tempt an escape.

use std::fs;
use std::os::unix::net::UnixListener;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use dream_mcp::{Access, MAX_PATH_BYTES, MemoryDir, MemoryPath};

/// Memory directories next to an `outside` folder, each with a different trap.
pub struct Hostile {
    /// `team/` is a real folder; symlinks, a hard link, a folder and a socket named `*.md` sit in it.
    pub plain: MemoryDir,
    /// `team` is a symlink to the outside folder.
    pub team_symlink: MemoryDir,
    /// `team` is a regular file.
    pub team_file: MemoryDir,
    /// The topic files of `plain`, listed once.
    pub plain_files: Vec<MemoryPath>,
    /// Kept so the folders live as long as the process.
    _tmp: tempfile::TempDir,
    _socket: UnixListener,
}

impl Hostile {
    /// The three memory directories.
    pub fn dirs(&self) -> [&MemoryDir; 3] {
        [&self.plain, &self.team_symlink, &self.team_file]
    }
}

/// The process-wide fixture, built on first use.
pub fn hostile() -> &'static Hostile {
    static FIXTURE: OnceLock<Hostile> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Hostile {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = fs::canonicalize(tmp.path()).expect("canonical temp dir");
    let outside = root.join("outside");
    fs::create_dir(&outside).expect("outside");
    fs::write(outside.join("secret.md"), "secret\n").expect("secret");
    fs::write(outside.join("hard.md"), "shared\n").expect("hard");

    let topic = "---\nname: a\ndescription: a\ntype: user\n---\nA\n";
    let plain = root.join("plain");
    for d in [
        "team",
        "dir.md",
        "agents",
        "logs/2026/01/02",
        "sessions",
        ".git",
    ] {
        fs::create_dir_all(plain.join(d)).expect("folder");
    }
    for f in [
        "a.md",
        "b.md",
        "team/t.md",
        "agents/x.md",
        "logs/2026/01/02/s.md",
        ".hidden.md",
    ] {
        fs::write(plain.join(f), topic).expect("file");
    }
    fs::write(
        plain.join("MEMORY.md"),
        "- [A](a.md) — a\n- [T](team/t.md) — t\n",
    )
    .expect("index");
    std::os::unix::fs::symlink(outside.join("secret.md"), plain.join("evil.md")).expect("symlink");
    std::os::unix::fs::symlink("../../outside/secret.md", plain.join("team/link.md"))
        .expect("relative symlink");
    std::os::unix::fs::symlink("a.md", plain.join("alias.md")).expect("inner symlink");
    fs::hard_link(outside.join("hard.md"), plain.join("hard.md")).expect("hard link");
    let socket = UnixListener::bind(plain.join("sock.md")).expect("socket");

    let team_symlink = root.join("team-symlink");
    fs::create_dir(&team_symlink).expect("folder");
    fs::write(team_symlink.join("a.md"), topic).expect("file");
    std::os::unix::fs::symlink(&outside, team_symlink.join("team")).expect("team symlink");

    let team_file = root.join("team-file");
    fs::create_dir(&team_file).expect("folder");
    fs::write(team_file.join("team"), "not a folder\n").expect("team file");

    let open = |p: &Path| MemoryDir::open(p).expect("memory dir opens");
    let plain = open(&plain);
    Hostile {
        plain_files: plain.list().expect("listing the fixture").files,
        plain,
        team_symlink: open(&team_symlink),
        team_file: open(&team_file),
        _tmp: tmp,
        _socket: socket,
    }
}

/// Panics unless an accepted path stays inside `dir`: only plain segments, no symlink on the way or at
/// the end, not a folder or special file, no other hard link, and (for writes) not the index.
pub fn assert_confined(dir: &MemoryDir, path: &MemoryPath, access: Access) {
    let rel = path.as_str();
    assert!(rel.ends_with(".md"), "accepted {rel:?} without .md");
    assert!(
        Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_))),
        "accepted {rel:?} with a non-plain segment"
    );
    assert!(
        rel.split('/')
            .all(|s| s != ".." && s != "." && !s.is_empty() && !s.starts_with('.')),
        "accepted {rel:?} with a dot or empty segment"
    );
    assert!(rel.len() <= MAX_PATH_BYTES, "accepted an over-long path");
    if access == Access::Write {
        assert!(!path.is_index(), "write access granted to MEMORY.md");
    }
    let abs: PathBuf = dir.root().join(rel);
    assert!(
        abs.starts_with(dir.root()),
        "{rel:?} resolved outside the root"
    );
    let parent = abs.parent().expect("a file has a parent");
    match fs::canonicalize(parent) {
        Ok(real) => assert_eq!(real, parent, "{rel:?} goes through a symlinked folder"),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{rel:?}: {e}"),
    }
    match fs::symlink_metadata(&abs) {
        Ok(m) => {
            assert!(
                m.file_type().is_file(),
                "{rel:?} accepted but is not a regular file"
            );
            assert_eq!(
                std::os::unix::fs::MetadataExt::nlink(&m),
                1,
                "{rel:?} accepted but hard-linked elsewhere"
            );
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{rel:?}: {e}"),
    }
}
