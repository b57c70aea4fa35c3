//! The few operating-system calls the crate needs beyond `std`, in one place: an advisory lock on a
//! directory, whether a process is alive, and opening a file without following a symlink in its last
//! component. Every `unsafe` block and every `libc` constant of the crate lives here.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Holds `flock(LOCK_EX)` on a directory until dropped, so changes from several `dream-mcp` processes
/// (two servers, a server and `dream-mcp undo`) happen one at a time and an `expected_sha256` check stays
/// true until the rename that follows it.
#[derive(Debug)]
pub struct DirLock(File);

impl DirLock {
    /// Blocks until this process holds the lock on `dir`.
    pub fn exclusive(dir: &Path) -> io::Result<DirLock> {
        let file = File::open(dir)?;
        // SAFETY: flock on a valid open descriptor; blocks until granted.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(DirLock(file))
    }
}

impl DirLock {
    /// Takes the lock on `dir` if no other process holds it; `None` when one does (never waits).
    pub fn try_exclusive(dir: &Path) -> io::Result<Option<DirLock>> {
        let file = File::open(dir)?;
        // SAFETY: flock on a valid open descriptor; LOCK_NB returns at once.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EWOULDBLOCK) => Ok(None),
                _ => Err(e),
            };
        }
        Ok(Some(DirLock(file)))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // SAFETY: unlocking the descriptor locked in `exclusive` (closing it would too).
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Whether a process with this PID exists (EPERM counts as alive: it exists but is not ours).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 performs only the existence and permission check.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Makes `options` refuse a symlink in the path's last component (the open fails; see
/// [`is_symlink_refusal`]) and, with `nonblock`, not hang on a FIFO swapped in for a file.
pub fn no_follow(options: &mut OpenOptions, nonblock: bool) -> &mut OpenOptions {
    let flags = if nonblock {
        libc::O_NOFOLLOW | libc::O_NONBLOCK
    } else {
        libc::O_NOFOLLOW
    };
    options.custom_flags(flags)
}

/// Whether an open failed because [`no_follow`] met a symlink.
pub fn is_symlink_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// Flushes every written file of the filesystem holding `path` to disk in one call (`syncfs`), for a
/// batch of new files that need not be synced one by one.
pub fn sync_filesystem(path: &Path) -> io::Result<()> {
    let file = File::open(path)?;
    // SAFETY: syncfs on a valid open descriptor.
    if unsafe { libc::syncfs(file.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
