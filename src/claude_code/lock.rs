//! Claude Code's consolidation lock, `<memory>/.consolidate-lock`, used exactly as Claude Code uses it so a
//! dream run here and Claude Code's built-in consolidation never run at once.
//!
//! The body is the holder's PID. The lock is held while its mtime is under an hour old and that PID is
//! alive. Acquiring writes our PID and reads it back (a different PID means another process won the
//! race). The mtime marks the last consolidation: a successful run leaves it at "now" (with an empty
//! body, so no live process reads as holder once it is done); a failed or
//! aborted run puts the earlier mtime back (or removes the file if there was none).
//!
//! The lock file is hostile input: it is opened relative to the memory directory's handle without
//! following a symlink or blocking on a FIFO, and used only when it is a regular file with one link and
//! at most [`MAX_LOCK_BYTES`] bytes. It is written as a new file renamed into place (never in place, so
//! never through a hard link), and released only while it is still the file this process wrote.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::memory::atomic;
use crate::os::{self, Dir, Open, pid_alive};

/// The lock file's name inside the memory directory.
pub const LOCK_NAME: &str = ".consolidate-lock";
/// A lock older than this is stale whatever its PID.
pub const STALE_AFTER: Duration = Duration::from_secs(60 * 60);
/// Largest lock file read, in bytes: its body is a PID and perhaps a timestamp.
pub const MAX_LOCK_BYTES: u64 = 4096;

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
    /// The lock file is not something Claude Code or this program writes (a FIFO, a folder, a symlink,
    /// a file with other hard links, or too large), so it is neither read nor written.
    #[error("consolidation lock {}: {rule}; remove it (`rm {}`) and try again", .path.display(), .path.display())]
    Refused {
        /// The lock file.
        path: PathBuf,
        /// What is wrong with it.
        rule: String,
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
    /// The PID on its first line, when it parses (a second line, a timestamp, is ignored).
    pub pid: Option<u32>,
    /// Its modification time: the last consolidation (or the start of the running one).
    pub mtime: SystemTime,
    /// Device and inode of the file, to tell our lock file from one written since.
    id: (u64, u64),
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

/// Reads the lock file in the open memory directory `dir`: `Ok(None)` when there is none. It is opened
/// without following a symlink and without blocking, and read only when it is a regular file with one
/// link and at most [`MAX_LOCK_BYTES`] bytes.
fn read_in(dir: &Dir) -> Result<Option<LockState>, LockError> {
    let path = os::shown(dir, LOCK_NAME);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let refuse = |rule: String| LockError::Refused {
        path: path.clone(),
        rule,
    };
    let check = |m: &os::Meta| match m.kind {
        os::Kind::File if m.nlink > 1 => Err(refuse(
            "it has other hard links (it may be a file outside the memory directory)".into(),
        )),
        os::Kind::File if m.len > MAX_LOCK_BYTES => Err(refuse(format!(
            "it is {} bytes; a lock holds a PID and at most {MAX_LOCK_BYTES} bytes",
            m.len
        ))),
        os::Kind::File => Ok(()),
        _ => Err(refuse(
            "it is not a regular file (a symlink, folder, FIFO or device)".into(),
        )),
    };
    let Some(meta) = dir.stat(LOCK_NAME).map_err(io)? else {
        return Ok(None);
    };
    check(&meta)?;
    let file = match dir.open_file(LOCK_NAME, Open::Read) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if os::is_symlink_refusal(&e) => {
            return Err(refuse("it is a symlink, which is never followed".into()));
        }
        Err(e) => return Err(io(e)),
    };
    let meta = os::meta_of(&file).map_err(io)?;
    check(&meta)?;
    let mut body = String::new();
    file.take(MAX_LOCK_BYTES)
        .read_to_string(&mut body)
        .map_err(io)?;
    Ok(Some(LockState {
        pid: body.lines().next().and_then(|l| l.trim().parse().ok()),
        mtime: meta.modified,
        id: meta.id,
    }))
}

/// Reads the lock file, or `None` when there is none or it is not a lock (the refusal is logged; taking
/// the lock reports it).
pub fn read(memory_dir: &Path) -> Option<LockState> {
    let dir = Dir::open(memory_dir).ok()?;
    read_in(&dir).unwrap_or_else(|e| {
        tracing::warn!("{e}");
        None
    })
}

/// The time of the last consolidation: the lock file's mtime, or `None` when there was never one.
pub fn last_consolidation(memory_dir: &Path) -> Option<SystemTime> {
    read(memory_dir).map(|s| s.mtime)
}

/// Writes the lock file as one new file (never in place, so never through a hard link), with `body`
/// and modification time `mtime`.
fn write_in(dir: &Dir, body: &[u8], mtime: SystemTime) -> Result<(), LockError> {
    let path = os::shown(dir, LOCK_NAME);
    let staged = atomic::stage(dir, LOCK_NAME, body, 0o644).map_err(|e| LockError::Io {
        path: path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    if let Err(source) = staged
        .file()
        .set_modified(mtime)
        .and_then(|()| staged.file().sync_all())
    {
        atomic::abandon(dir, staged);
        return Err(LockError::Io { path, source });
    }
    atomic::commit(dir, staged)
        .and_then(|()| atomic::sync_dir(dir))
        .map_err(|e| LockError::Io {
            path,
            source: std::io::Error::other(e.to_string()),
        })
}

/// A lock we hold. Dropping it without a release rolls the lock back, as Claude Code does for a failed
/// run.
#[derive(Debug)]
pub struct Lock {
    dir: Dir,
    path: PathBuf,
    previous_mtime: Option<SystemTime>,
    /// The lock file we wrote (device, inode): released only while the lock file is still it.
    ours: (u64, u64),
    released: bool,
}

impl Lock {
    /// Takes the lock for this process, following Claude Code's protocol.
    ///
    /// Between processes of this program, the check-write-read sequence is also serialised with an
    /// advisory lock on the memory directory, so two servers racing cannot both win; Claude Code's own
    /// process is handled by the read-back.
    pub fn acquire(memory_dir: &Path) -> Result<Lock, LockError> {
        let path = lock_path(memory_dir);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let dir = Dir::open(memory_dir).map_err(io)?;
        let _serial = dir.lock().map_err(io)?;
        let me = std::process::id();
        let before = read_in(&dir)?;
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
        write_in(&dir, format!("{me}\n").as_bytes(), SystemTime::now())?;
        match read_in(&dir)? {
            Some(LockState {
                pid: Some(pid), id, ..
            }) if pid == me => Ok(Lock {
                dir,
                path,
                previous_mtime: before.map(|s| s.mtime),
                ours: id,
                released: false,
            }),
            other => Err(LockError::LostRace {
                path,
                winner: other.and_then(|s| s.pid).unwrap_or(0),
            }),
        }
    }

    /// The lock's mtime before this process took it: the last consolidation, as far as a dream running
    /// under this lock is concerned (`None` when there was no lock file).
    pub fn previous_mtime(&self) -> Option<SystemTime> {
        self.previous_mtime
    }

    /// Whether the lock file is still the one this process wrote and names this process.
    fn holds(&self) -> bool {
        matches!(read_in(&self.dir), Ok(Some(s)) if s.id == self.ours && s.pid == Some(std::process::id()))
    }

    /// Whether no other live process has taken the lock since (a stale or emptied lock counts as ours).
    pub fn still_ours(&self) -> bool {
        let me = std::process::id();
        match read_in(&self.dir) {
            Ok(Some(state)) => state.id == self.ours || state.held_by_other(me).is_none(),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Refreshes the mtime so a long run is not taken for stale.
    pub fn touch(&self) -> Result<(), LockError> {
        if !self.holds() {
            return Err(LockError::Refused {
                path: self.path.clone(),
                rule: "it is no longer the lock this process took".into(),
            });
        }
        let io = |source| LockError::Io {
            path: self.path.clone(),
            source,
        };
        // Only the mtime changes, on the very file this process wrote (checked on the open descriptor).
        let file = self.dir.open_file(LOCK_NAME, Open::Write).map_err(io)?;
        let meta = os::meta_of(&file).map_err(io)?;
        if meta.id != self.ours || meta.nlink > 1 {
            return Err(LockError::Refused {
                path: self.path.clone(),
                rule: "it was replaced or hard-linked during the run".into(),
            });
        }
        file.set_modified(SystemTime::now()).map_err(io)
    }

    /// Ends a successful run: the lock file stays, its mtime now marks this consolidation. Its body is
    /// emptied, so no live process is named as holder: otherwise the lock would read as held for an hour
    /// after the run ended, and `dream-mcp undo` or the next dream from another process would be refused.
    pub fn release_success(self) -> Result<(), LockError> {
        self.release_to(Some(SystemTime::now()))
    }

    /// Ends a failed or aborted run: puts the earlier mtime back, or removes the file if there was none.
    pub fn release_rollback(self) -> Result<(), LockError> {
        let previous = self.previous_mtime;
        self.release_to(previous)
    }

    /// Ends the run leaving `mtime` as the last consolidation (`None`: no lock file, as before any). A
    /// lock another process took meanwhile is left alone.
    pub fn release_to(mut self, mtime: Option<SystemTime>) -> Result<(), LockError> {
        self.released = true;
        self.put_back(mtime)
    }

    fn put_back(&self, mtime: Option<SystemTime>) -> Result<(), LockError> {
        if !self.holds() {
            tracing::warn!(
                "{}: not released, another process took it since",
                self.path.display()
            );
            return Ok(());
        }
        match mtime {
            Some(t) => write_in(&self.dir, b"", t),
            None => match self.dir.remove_file(LOCK_NAME) {
                Ok(()) => atomic::sync_dir(&self.dir).map_err(|e| LockError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::other(e.to_string()),
                }),
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
            && let Err(e) = self.put_back(self.previous_mtime)
        {
            tracing::warn!("could not roll back the consolidation lock: {e}");
        }
    }
}
