//! An advisory exclusive lock on the memory directory, so changes from several `dream-mcp` processes
//! (two servers, a server and `dream-mcp undo`) happen one at a time and an `expected_sha256` check stays
//! true until the rename that follows it.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Holds `flock(LOCK_EX)` on a directory until dropped.
#[derive(Debug)]
pub struct DirLock(File);

impl DirLock {
    /// Blocks until this process holds the lock on `dir`.
    pub fn exclusive(dir: &Path) -> std::io::Result<DirLock> {
        let file = File::open(dir)?;
        // SAFETY: flock on a valid open descriptor; blocks until granted.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(DirLock(file))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // SAFETY: unlocking the descriptor locked in `exclusive` (closing it would too).
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
