//! Claude Code's consolidation lock, `<memory>/.consolidate-lock`, used exactly as Claude Code uses it so a
//! dream run here and Claude Code's built-in consolidation never run at once.
//!
//! The body is the holder's PID. The lock is held while its mtime is under an hour old and that PID is
//! alive. Acquiring writes our PID and reads it back (a different PID means another process won the
//! race). The mtime marks the last consolidation: a successful run leaves it at "now" (with an empty
//! body, so no live process reads as holder once it is done); a failed or
//! aborted run puts the earlier mtime back (or removes the file if there was none).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::os::{self, DirLock, pid_alive};

/// The lock file's name inside the memory directory.
pub const LOCK_NAME: &str = ".consolidate-lock";
/// A lock older than this is stale whatever its PID.
pub const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// Why the lock could not be taken or used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process took it less than an hour ago.
    #[error(
        "the consolidation lock {} is held by process {pid} (taken {} min ago); another consolidation is running — try again after it ends or after the lock is an hour old",
        .path.display(), .age.as_secs() / 60
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// The holder's PID.
        pid: u32,
        /// How long ago it was taken.
        age: Duration,
    },
    /// We wrote our PID but read back another one: a concurrent process won.
    #[error("lost the race for the consolidation lock {} to process {winner}", .path.display())]
    LostRace {
        /// The lock file.
        path: PathBuf,
        /// The PID that won.
        winner: u32,
    },
    /// The lock file could not be read or written.
    #[error("consolidation lock {}: {source}", .path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// What the lock file says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockState {
    /// The PID on its first line, when it parses.
    pub pid: Option<u32>,
    /// Its modification time: the last consolidation (or the start of the running one).
    pub mtime: SystemTime,
}

impl LockState {
    /// Whether a live process other than `me` holds it (fresh mtime and a live PID).
    pub fn held_by_other(&self, me: u32) -> Option<u32> {
        let age = SystemTime::now()
            .duration_since(self.mtime)
            .unwrap_or(Duration::ZERO);
        match self.pid {
            Some(pid) if pid != me && age < STALE_AFTER && pid_alive(pid) => Some(pid),
            _ => None,
        }
    }
}

/// The lock file's path for a memory directory.
pub fn lock_path(memory_dir: &Path) -> PathBuf {
    memory_dir.join(LOCK_NAME)
}

/// Reads the lock file, or `None` when there is none.
pub fn read(memory_dir: &Path) -> Option<LockState> {
    let path = lock_path(memory_dir);
    let meta = fs::symlink_metadata(&path).ok().filter(|m| m.is_file())?;
    let body = fs::read_to_string(&path).unwrap_or_default();
    Some(LockState {
        pid: body.lines().next().and_then(|l| l.trim().parse().ok()),
        mtime: meta.modified().ok()?,
    })
}

/// The time of the last consolidation: the lock file's mtime, or `None` when there was never one.
pub fn last_consolidation(memory_dir: &Path) -> Option<SystemTime> {
    read(memory_dir).map(|s| s.mtime)
}

/// A lock we hold. Dropping it without [`Lock::release_success`] rolls the lock back, as Claude Code does
/// for a failed run.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    previous_mtime: Option<SystemTime>,
    released: bool,
}

impl Lock {
    /// Takes the lock for this process, following Claude Code's protocol.
    ///
    /// Between processes of this program, the check-write-read sequence is also serialised with an
    /// advisory `flock` on the memory directory, so two servers racing cannot both win; Claude Code's own
    /// process is handled by the read-back.
    pub fn acquire(memory_dir: &Path) -> Result<Lock, LockError> {
        let path = lock_path(memory_dir);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let _serial = DirLock::exclusive(memory_dir).map_err(io)?;
        let me = std::process::id();
        let before = read(memory_dir);
        if let Some(state) = &before
            && let Some(pid) = state.held_by_other(me)
        {
            return Err(LockError::Held {
                path,
                pid,
                age: SystemTime::now()
                    .duration_since(state.mtime)
                    .unwrap_or(Duration::ZERO),
            });
        }
        let mut f = os::no_follow(
            OpenOptions::new().write(true).create(true).truncate(true),
            false,
        )
        .open(&path)
        .map_err(io)?;
        f.write_all(format!("{me}\n").as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        let lock = Lock {
            path: path.clone(),
            previous_mtime: before.map(|s| s.mtime),
            released: false,
        };
        match read(memory_dir).and_then(|s| s.pid) {
            Some(pid) if pid == me => Ok(lock),
            other => {
                let mut lock = lock;
                lock.released = true; // the winner owns the file now; leave it alone
                Err(LockError::LostRace {
                    path,
                    winner: other.unwrap_or(0),
                })
            }
        }
    }

    /// The lock's mtime before this process took it: the last consolidation, as far as a dream running
    /// under this lock is concerned (`None` when there was no lock file).
    pub fn previous_mtime(&self) -> Option<SystemTime> {
        self.previous_mtime
    }

    /// Whether the lock file still names this process (another process may have taken a stale lock).
    pub fn still_ours(&self) -> bool {
        let me = std::process::id();
        let dir = self.path.parent().unwrap_or(Path::new("."));
        match read(dir) {
            Some(state) => state.pid == Some(me) || state.held_by_other(me).is_none(),
            None => true,
        }
    }

    /// Refreshes the mtime so a long run is not taken for stale.
    pub fn touch(&self) -> Result<(), LockError> {
        set_mtime(&self.path, SystemTime::now())
    }

    /// Ends a successful run: the lock file stays, its mtime now marks this consolidation. Its body is
    /// emptied, so no live process is named as holder: otherwise the lock would read as held for an hour
    /// after the run ended, and `dream-mcp undo` or the next dream from another process would be refused.
    pub fn release_success(mut self) -> Result<(), LockError> {
        self.released = true;
        os::no_follow(OpenOptions::new().write(true).truncate(true), false)
            .open(&self.path)
            .map_err(|source| LockError::Io {
                path: self.path.clone(),
                source,
            })?;
        set_mtime(&self.path, SystemTime::now())
    }

    /// Ends a failed or aborted run: puts the earlier mtime back, or removes the file if there was none.
    pub fn release_rollback(mut self) -> Result<(), LockError> {
        self.released = true;
        self.rollback()
    }

    fn rollback(&self) -> Result<(), LockError> {
        match self.previous_mtime {
            Some(t) => set_mtime(&self.path, t),
            None => match fs::remove_file(&self.path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(LockError::Io {
                    path: self.path.clone(),
                    source,
                }),
            },
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if !self.released
            && let Err(e) = self.rollback()
        {
            tracing::warn!("could not roll back the consolidation lock: {e}");
        }
    }
}

fn set_mtime(path: &Path, t: SystemTime) -> Result<(), LockError> {
    os::no_follow(OpenOptions::new().write(true), false)
        .open(path)
        .and_then(|f| f.set_modified(t))
        .map_err(|source| LockError::Io {
            path: path.to_path_buf(),
            source,
        })
}
