//! An advisory exclusive `flock` on a folder, held while a check and the change it guards must not
//! interleave with another process or thread of this program.
//!
//! Two uses: taking Claude Code's consolidation lock (check the holder, write our PID, read it back), and
//! every change to the memory directory (read the file, compare `expected_sha256`, record the
//! before-image, rename). Without it two servers could both pass the hash check before either renamed, and
//! one update would be lost. Each holder opens the folder itself, so the lock also separates threads of
//! one process. Programs that do not take it (Claude Code writing a memory file) are not held back.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// An exclusive `flock` on a folder, released when dropped.
#[derive(Debug)]
pub struct DirLock {
    dir: File,
}

impl DirLock {
    /// Blocks until this caller holds the folder's exclusive lock.
    pub fn exclusive(dir: &Path) -> std::io::Result<DirLock> {
        let dir = File::open(dir)?;
        loop {
            // SAFETY: flock on a descriptor we own for the lifetime of `dir`.
            if unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(DirLock { dir });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // SAFETY: unlocking the descriptor locked in `exclusive` (closing it would release it too).
        unsafe { libc::flock(self.dir.as_raw_fd(), libc::LOCK_UN) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let first = DirLock::exclusive(tmp.path()).unwrap();
        let released = Arc::new(AtomicBool::new(false));
        let barrier = Arc::new(Barrier::new(2));
        let (path, seen, b) = (tmp.path().to_path_buf(), released.clone(), barrier.clone());
        let waiter = std::thread::spawn(move || {
            b.wait();
            let _second = DirLock::exclusive(&path).unwrap();
            seen.load(Ordering::SeqCst)
        });
        barrier.wait();
        std::thread::sleep(std::time::Duration::from_millis(50));
        released.store(true, Ordering::SeqCst);
        drop(first);
        assert!(
            waiter.join().unwrap(),
            "the second holder got in before the first let go"
        );
    }
}
