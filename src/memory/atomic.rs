//! Atomic, durable file replacement, shared by memory files, the lock and the journal: a temporary file
//! in the same folder, fsync, rename over the target, fsync of the folder. A crash at any point leaves
//! either the old or the new content, never a mix. Everything goes through an open folder handle
//! ([`os::Dir`]), one name at a time, so no symlink is ever followed.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::os::{self, Dir, Open};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Marks a temporary file's name: `.<target name>.dream-tmp-<pid>-<n>`.
const TEMP_MARK: &str = ".dream-tmp-";

/// A new file written under a temporary name, not yet renamed over its target.
#[derive(Debug)]
pub struct Staged {
    tmp: String,
    name: String,
    file: File,
}

impl Staged {
    /// The open temporary file (to flush it, or several at once).
    pub fn file(&self) -> &File {
        &self.file
    }
}

/// Writes `bytes` to a new temporary file next to `name` in `dir`, with permission bits `mode`. The
/// file is created exclusively, never through a symlink; nothing is flushed yet.
pub fn stage(dir: &Dir, name: &str, bytes: &[u8], mode: u32) -> Result<Staged> {
    let tmp = format!(
        ".{name}{TEMP_MARK}{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let result = (|| {
        let mut file = dir.open_file(&tmp, Open::CreateNew(mode))?;
        file.write_all(bytes)?;
        os::set_mode(&file, mode)?;
        Ok(file)
    })();
    match result {
        Ok(file) => Ok(Staged {
            tmp,
            name: name.to_string(),
            file,
        }),
        Err(e) => {
            let _ = dir.remove_file(&tmp);
            Err(Error::io(os::shown(dir, &tmp), e))
        }
    }
}

/// Renames a staged (and flushed) file over its target. The caller syncs `dir` afterwards, once for
/// any number of commits.
pub fn commit(dir: &Dir, staged: Staged) -> Result<()> {
    dir.rename(&staged.tmp, &staged.name).map_err(|e| {
        let _ = dir.remove_file(&staged.tmp);
        Error::io(os::shown(dir, &staged.name), e)
    })
}

/// Throws a staged file away (a later step of a batch failed).
pub fn abandon(dir: &Dir, staged: Staged) {
    let _ = dir.remove_file(&staged.tmp);
}

/// Replaces `name` in `dir` with `bytes` atomically and durably, giving the new file `mode`.
pub fn replace(dir: &Dir, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
    let staged = stage(dir, name, bytes, mode)?;
    if let Err(e) = staged.file.sync_all() {
        abandon(dir, staged);
        return Err(Error::io(os::shown(dir, name), e));
    }
    commit(dir, staged)?;
    sync_dir(dir)
}

/// Flushes a folder's entries to disk so a rename or removal survives a crash.
pub fn sync_dir(dir: &Dir) -> Result<()> {
    dir.sync().map_err(|e| Error::io(dir.path(), e))
}

/// The writer's PID in a temporary file name made by [`stage`], if `name` is one.
pub fn temp_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(TEMP_MARK)?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Removes the temporary files in `dir` whose writer is gone (killed between creating and renaming
/// them). Returns how many were removed.
pub fn sweep(dir: &Dir) -> Result<usize> {
    let mut removed = 0;
    for (name, kind) in dir.entries().map_err(|e| Error::io(dir.path(), e))? {
        let Some(pid) = temp_file_pid(&name) else {
            continue;
        };
        if kind != os::Kind::Dir && pid != std::process::id() && !os::pid_alive(pid) {
            dir.remove_file(&name)
                .map_err(|e| Error::io(os::shown(dir, &name), e))?;
            removed += 1;
        }
    }
    Ok(removed)
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
