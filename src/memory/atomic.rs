//! Atomic, durable file replacement, shared by memory files and the journal: a temporary file in the same
//! folder, fsync, rename over the target, fsync of the folder. A crash at any point leaves either the old
//! or the new content, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use crate::os;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Marks a temporary file's name: `.<target name>.dream-tmp-<pid>-<n>`.
const TEMP_MARK: &str = ".dream-tmp-";

/// Replaces `path` with `bytes` atomically, giving the new file `mode`. The temporary file is created
/// exclusively and never through a symlink; it is removed if any step fails.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let tmp = parent.join(format!(
        ".{}{TEMP_MARK}{}-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = os::no_follow(OpenOptions::new().write(true).create_new(true), false)
            .mode(mode)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(&tmp, e))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        sync_dir(parent)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Flushes a folder's entries to disk so a rename or removal survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// The writer's PID in a temporary file name made by [`replace`], if `name` is one.
pub fn temp_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(TEMP_MARK)?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_its_own_temporary_file_names() {
        assert_eq!(temp_file_pid(".a.md.dream-tmp-4242-7"), Some(4242));
        assert_eq!(temp_file_pid(".a.md.dream-tmp-x-7"), None);
        assert_eq!(temp_file_pid("a.md.dream-tmp-4242-7"), None);
        assert_eq!(temp_file_pid(".consolidate-lock"), None);
    }
}
