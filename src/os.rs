//! The few operating-system calls the crate needs beyond `std`, in one place: a file layer that works
//! only through open directory handles and never follows a symlink, an advisory lock on a directory, and
//! whether a process is alive.
//!
//! # Why handles, and why `rustix`
//!
//! Checking a path and then opening it walks the path twice; a process swapping `<memory>/team` for a
//! symlink between the two (a `renameat2(RENAME_EXCHANGE)` loop) steers the second walk outside. So
//! every operation here is `*at` relative to a [`Dir`] handle, on **one path component** at a time,
//! opened with `O_NOFOLLOW` (and `O_DIRECTORY` for folders): a symlink anywhere is refused by the kernel
//! at the moment of use, and a folder once opened stays the folder we checked, wherever it is moved.
//!
//! The memory directory's paths have at most two components (`team/<name>.md`) and the journal's three
//! (`runs/<run>/<file>`), so per-component opens are as strong as Linux's `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS)` and work on every Unix. `rustix` gives safe, typed `openat`/`renameat`/
//! `unlinkat`/`mkdirat`/`statat` with no `unsafe` in this crate and was already in the dependency tree;
//! `cap-std` would add Windows support, at the cost of a larger stack of crates and an API that follows
//! symlinks inside its sandbox unless told otherwise at each call. On a non-Unix system [`Dir::open`]
//! fails with a clear error naming the platform; everything else still compiles.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

/// What a directory entry is, read without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// A FIFO, socket or device.
    Other,
}

/// Facts about an entry or an open file, read without following symlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// What it is.
    pub kind: Kind,
    /// Size in bytes.
    pub len: u64,
    /// Number of hard links.
    pub nlink: u64,
    /// Permission bits.
    pub mode: u32,
    /// Last modification time.
    pub modified: SystemTime,
    /// Last status change (ctime): moves on every write and cannot be set back by the writer, so with
    /// `modified`, `len` and `id` it tells whether a file changed since it was last read.
    pub changed: SystemTime,
    /// Device and inode: the identity of the file, to tell whether a name still names it.
    pub id: (u64, u64),
}

/// How [`Dir::open_file`] opens a name. Every mode refuses a symlink and never blocks on a FIFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Read an existing file.
    Read,
    /// Create a new file, open for reading and writing, with these permission bits; fails if the name
    /// exists.
    CreateNew(u32),
    /// Write an existing file in place (no truncation, no creation).
    Write,
}

/// Holds an exclusive advisory lock (`File::lock`, `flock` on Unix) on a directory until dropped, so
/// changes from several `dream-mcp` processes (two servers, a server and `dream-mcp undo`) happen one at
/// a time and an `expected_sha256` check stays true until the rename that follows it.
#[derive(Debug)]
pub struct DirLock(File);

impl Drop for DirLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock too; unlocking first makes it explicit.
        let _ = self.0.unlock();
    }
}

/// Whether an operation failed because it met a symlink (or a non-folder where a folder was needed).
pub fn is_symlink_refusal(e: &io::Error) -> bool {
    imp::is_symlink_refusal(e)
}

/// The error for a name that is not one plain path component.
fn bad_name(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{name:?} is not a single path component"),
    )
}

/// Checks that `name` is one component: not empty, no `/`, no NUL, not `.` or `..`.
fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(bad_name(name));
    }
    Ok(())
}

pub use imp::{Dir, open_read_no_follow, pid_alive};

#[cfg(unix)]
mod imp {
    use super::{DirLock, Kind, Meta, Open, check_name};
    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, UNIX_EPOCH};

    /// An open directory: every operation is relative to it, on one path component, never following
    /// a symlink. `path` is kept only to name things in error messages.
    #[derive(Debug)]
    pub struct Dir {
        fd: OwnedFd,
        path: PathBuf,
    }

    // The `stat` field types differ between Unixes (macOS: `u16` mode, `i32` dev), so the casts stay.
    #[allow(clippy::unnecessary_cast)]
    fn meta_from(st: &rfs::Stat) -> Meta {
        let kind = match FileType::from_raw_mode(st.st_mode as _) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        let time = |secs: i64, nanos: u32| {
            if secs >= 0 {
                UNIX_EPOCH + Duration::new(secs as u64, nanos)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            }
        };
        Meta {
            kind,
            len: st.st_size as u64,
            nlink: st.st_nlink as u64,
            mode: st.st_mode as u32 & 0o7777,
            modified: time(st.st_mtime as i64, st.st_mtime_nsec as u32),
            changed: time(st.st_ctime as i64, st.st_ctime_nsec as u32),
            id: (st.st_dev as u64, st.st_ino as u64),
        }
    }

    /// Facts about an open file (`fstat`).
    pub fn meta_of(file: &File) -> io::Result<Meta> {
        Ok(meta_from(&rfs::fstat(file)?))
    }

    /// Sets an open file's permission bits exactly (creation applies the umask).
    pub fn set_mode(file: &File, mode: u32) -> io::Result<()> {
        Ok(rfs::fchmod(file, Mode::from_raw_mode(mode as _))?)
    }

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::CLOEXEC)
        .union(OFlags::NOFOLLOW);

    impl Dir {
        /// Opens the folder at `path`, following symlinks on the way (a memory directory or a config
        /// folder that is itself a link to a synced folder is allowed); this is the one place a path
        /// string is walked. Everything below it goes through the handle.
        pub fn open(path: &Path) -> io::Result<Dir> {
            let fd = rfs::open(
                path,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            Ok(Dir {
                fd,
                path: path.to_path_buf(),
            })
        }

        /// The path this handle was opened at (for messages; never walked again).
        pub fn path(&self) -> &Path {
            &self.path
        }

        /// Opens the subfolder `name`; `Ok(None)` when it does not exist. A symlink or a non-folder is
        /// refused (see [`super::is_symlink_refusal`]).
        pub fn sub(&self, name: &str) -> io::Result<Option<Dir>> {
            check_name(name)?;
            match rfs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => Ok(Some(Dir {
                    fd,
                    path: self.path.join(name),
                })),
                Err(rustix::io::Errno::NOENT) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        /// Opens the subfolder `name`, creating it (with `mode`) when absent; returns it and whether it
        /// was created (the caller then syncs this folder).
        pub fn sub_or_create(&self, name: &str, mode: u32) -> io::Result<(Dir, bool)> {
            if let Some(d) = self.sub(name)? {
                return Ok((d, false));
            }
            let created = match rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode as _)) {
                Ok(()) => true,
                Err(rustix::io::Errno::EXIST) => false,
                Err(e) => return Err(e.into()),
            };
            let d = self
                .sub(name)?
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
            Ok((d, created))
        }

        /// Creates the subfolder `name`, failing with `AlreadyExists` when it exists.
        pub fn create_sub(&self, name: &str, mode: u32) -> io::Result<Dir> {
            check_name(name)?;
            rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode as _))?;
            self.sub(name)?
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        }

        /// Opens the file `name` as `how` says, never through a symlink and never blocking on a FIFO
        /// (the descriptor is switched back to blocking once open, for ordinary reads and writes).
        pub fn open_file(&self, name: &str, how: Open) -> io::Result<File> {
            check_name(name)?;
            let base = OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
            let (flags, mode) = match how {
                Open::Read => (OFlags::RDONLY, 0),
                Open::CreateNew(mode) => (OFlags::RDWR | OFlags::CREATE | OFlags::EXCL, mode),
                Open::Write => (OFlags::WRONLY, 0),
            };
            let fd = rfs::openat(&self.fd, name, base | flags, Mode::from_raw_mode(mode as _))?;
            let file = File::from(fd);
            if meta_of(&file)?.kind == Kind::File {
                rustix::fs::fcntl_setfl(&file, rustix::fs::fcntl_getfl(&file)? - OFlags::NONBLOCK)?;
            }
            Ok(file)
        }

        /// Facts about `name` without following it; `Ok(None)` when it does not exist.
        pub fn stat(&self, name: &str) -> io::Result<Option<Meta>> {
            check_name(name)?;
            match rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(Some(meta_from(&st))),
                Err(rustix::io::Errno::NOENT) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }

        /// Facts about this folder itself.
        pub fn meta(&self) -> io::Result<Meta> {
            Ok(meta_from(&rfs::fstat(&self.fd)?))
        }

        /// Renames `from` to `to`, both in this folder (replacing `to`, never following either).
        pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            check_name(from)?;
            check_name(to)?;
            Ok(rfs::renameat(&self.fd, from, &self.fd, to)?)
        }

        /// Removes the file (or symlink: the link itself) `name`.
        pub fn remove_file(&self, name: &str) -> io::Result<()> {
            check_name(name)?;
            Ok(rfs::unlinkat(&self.fd, name, AtFlags::empty())?)
        }

        /// Removes the folder `name` and everything in it, never following a symlink (a link inside is
        /// removed as a link).
        pub fn remove_tree(&self, name: &str) -> io::Result<()> {
            if let Some(sub) = self.sub(name)? {
                for (entry, kind) in sub.entries()? {
                    match kind {
                        Kind::Dir => sub.remove_tree(&entry)?,
                        _ => sub.remove_file(&entry)?,
                    }
                }
            }
            Ok(rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
        }

        /// The entries of this folder (without `.` and `..`) and what each is. Names that are not UTF-8
        /// are returned lossily converted, so they never match a name this program would use.
        pub fn entries(&self) -> io::Result<Vec<(String, Kind)>> {
            let mut out = Vec::new();
            for entry in rfs::Dir::read_from(&self.fd)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == "." || name == ".." {
                    continue;
                }
                let kind = match entry.file_type() {
                    FileType::RegularFile => Kind::File,
                    FileType::Directory => Kind::Dir,
                    FileType::Symlink => Kind::Symlink,
                    FileType::Unknown => match self.stat(&name) {
                        Ok(Some(m)) => m.kind,
                        _ => continue,
                    },
                    _ => Kind::Other,
                };
                out.push((name, kind));
            }
            Ok(out)
        }

        /// Flushes this folder's entries to disk, so a create, rename or removal survives a crash.
        pub fn sync(&self) -> io::Result<()> {
            Ok(rfs::fsync(&self.fd)?)
        }

        /// Flushes every written file of this folder's filesystem at once where the system can
        /// (`syncfs` on Linux); elsewhere each of `files` is flushed on its own. Batches the fsyncs of
        /// an undo or abort that writes many files.
        pub fn sync_files(&self, files: &[&File]) -> io::Result<()> {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                let _ = files;
                Ok(rfs::syncfs(&self.fd)?)
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            {
                files.iter().try_for_each(|f| f.sync_all())
            }
        }

        /// Takes an exclusive advisory lock on this folder, blocking until granted. A fresh open of
        /// the folder carries it, so two locks taken in one process still exclude each other.
        pub fn lock(&self) -> io::Result<DirLock> {
            let fd = rfs::openat(&self.fd, ".", DIR_FLAGS, Mode::empty())?;
            let file = File::from(fd);
            file.lock()?;
            Ok(DirLock(file))
        }

        /// Takes the lock of [`Dir::lock`] if no other holder has it; `None` when one does (never
        /// waits).
        pub fn try_lock(&self) -> io::Result<Option<DirLock>> {
            let fd = rfs::openat(&self.fd, ".", DIR_FLAGS, Mode::empty())?;
            let file = File::from(fd);
            match file.try_lock() {
                Ok(()) => Ok(Some(DirLock(file))),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(e)) => Err(e),
            }
        }

        /// The descriptor, for the kernel calls that take one (see [`super::Watch::add`]).
        #[cfg(target_os = "linux")]
        pub(super) fn raw_fd(&self) -> i32 {
            use std::os::fd::AsRawFd;
            self.fd.as_raw_fd()
        }

        /// Whether this handle's folder is the one `other` names now (same device and inode).
        pub fn same_as(&self, other: &Dir) -> io::Result<bool> {
            Ok(self.meta()?.id == other.meta()?.id)
        }
    }

    /// Opens `path` for reading without following a symlink in its last component and without
    /// blocking on a FIFO (for the transcripts, which are walked by path).
    pub fn open_read_no_follow(path: &Path) -> io::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits() as i32)
            .open(path)
    }

    pub fn is_symlink_refusal(e: &io::Error) -> bool {
        let errno = e.raw_os_error().map(rustix::io::Errno::from_raw_os_error);
        matches!(
            errno,
            Some(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR | rustix::io::Errno::MLINK)
        )
    }

    /// Whether a process with this PID exists (`EPERM` counts as alive: it exists but is not ours).
    pub fn pid_alive(pid: u32) -> bool {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Ok(()) => true,
            Err(e) => e == rustix::io::Errno::PERM,
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! Stand-ins for systems without the `*at` calls: [`Dir::open`] fails with a clear error, so no
    //! [`Dir`] ever exists and its methods cannot be reached.
    use super::{DirLock, Kind, Meta, Open};
    use std::convert::Infallible;
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// An open directory; cannot be made on this system (see [`Dir::open`]).
    #[derive(Debug)]
    pub struct Dir(Infallible);

    /// Facts about an open file.
    pub fn meta_of(file: &File) -> io::Result<Meta> {
        let m = file.metadata()?;
        Ok(Meta {
            kind: if m.is_file() {
                Kind::File
            } else if m.is_dir() {
                Kind::Dir
            } else {
                Kind::Other
            },
            len: m.len(),
            nlink: 1,
            mode: 0o644,
            modified: m.modified()?,
            changed: m.modified()?,
            id: (0, 0),
        })
    }

    /// Permission bits are not kept on this system.
    pub fn set_mode(_: &File, _: u32) -> io::Result<()> {
        Ok(())
    }

    impl Dir {
        /// Always fails: the symlink-proof file layer needs the Unix `*at` calls.
        pub fn open(path: &Path) -> io::Result<Dir> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "{}: dream-mcp's confined file access (every open relative to a directory handle, no symlink followed) is implemented for Linux and macOS only; this system is not supported yet",
                    path.display()
                ),
            ))
        }
        pub fn path(&self) -> &Path {
            match self.0 {}
        }
        pub fn sub(&self, _: &str) -> io::Result<Option<Dir>> {
            match self.0 {}
        }
        pub fn sub_or_create(&self, _: &str, _: u32) -> io::Result<(Dir, bool)> {
            match self.0 {}
        }
        pub fn create_sub(&self, _: &str, _: u32) -> io::Result<Dir> {
            match self.0 {}
        }
        pub fn open_file(&self, _: &str, _: Open) -> io::Result<File> {
            match self.0 {}
        }
        pub fn stat(&self, _: &str) -> io::Result<Option<Meta>> {
            match self.0 {}
        }
        pub fn meta(&self) -> io::Result<Meta> {
            match self.0 {}
        }
        pub fn rename(&self, _: &str, _: &str) -> io::Result<()> {
            match self.0 {}
        }
        pub fn remove_file(&self, _: &str) -> io::Result<()> {
            match self.0 {}
        }
        pub fn remove_tree(&self, _: &str) -> io::Result<()> {
            match self.0 {}
        }
        pub fn entries(&self) -> io::Result<Vec<(String, Kind)>> {
            match self.0 {}
        }
        pub fn sync(&self) -> io::Result<()> {
            match self.0 {}
        }
        pub fn sync_files(&self, _: &[&File]) -> io::Result<()> {
            match self.0 {}
        }
        pub fn lock(&self) -> io::Result<DirLock> {
            match self.0 {}
        }
        pub fn try_lock(&self) -> io::Result<Option<DirLock>> {
            match self.0 {}
        }
        pub fn same_as(&self, _: &Dir) -> io::Result<bool> {
            match self.0 {}
        }
    }

    /// Opens `path` for reading (this system has no `O_NOFOLLOW`; the walk already skips links).
    pub fn open_read_no_follow(path: &Path) -> io::Result<File> {
        File::open(path)
    }

    pub fn is_symlink_refusal(_: &io::Error) -> bool {
        false
    }

    /// Process liveness is not checked on this system: every PID counts as alive, so a lock is only
    /// ever taken over once it is an hour old and no temporary file is swept.
    pub fn pid_alive(_: u32) -> bool {
        true
    }
}

pub use imp::{meta_of, set_mode};
pub use watch::Watch;

/// The kernel's change notifications for a few folders (inotify, on Linux): which names in them changed
/// since the last look, so a caller that keeps what it read need not stat every file again to find out.
#[cfg(target_os = "linux")]
mod watch {
    use super::Dir;
    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;

    /// Watches on open folders. Each [`Watch::changes`] drains what the kernel queued.
    #[derive(Debug)]
    pub struct Watch {
        fd: OwnedFd,
        /// Per watch descriptor: the prefix its names are given (`""`, `"team/"`).
        folders: Vec<(i32, String)>,
    }

    impl Watch {
        /// A watch on no folder yet; fails where the system has none to give (limits, no inotify).
        pub fn new() -> io::Result<Watch> {
            let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
            Ok(Watch {
                fd,
                folders: Vec::new(),
            })
        }

        /// Also watches the folder `dir` holds open (through `/proc/self/fd`, so the folder watched is
        /// the one opened, wherever its path leads now); its names are reported as `prefix` + name.
        pub fn add(&mut self, dir: &Dir, prefix: &str) -> io::Result<()> {
            let flags = WatchFlags::CREATE
                | WatchFlags::DELETE
                | WatchFlags::MODIFY
                | WatchFlags::CLOSE_WRITE
                | WatchFlags::ATTRIB
                | WatchFlags::MOVED_FROM
                | WatchFlags::MOVED_TO
                | WatchFlags::DELETE_SELF
                | WatchFlags::MOVE_SELF
                | WatchFlags::ONLYDIR;
            let proc = format!("/proc/self/fd/{}", dir.raw_fd());
            let wd = inotify::add_watch(&self.fd, proc.as_str(), flags)?;
            self.folders.push((wd, prefix.to_string()));
            Ok(())
        }

        /// The names changed since the last call (a name may repeat), or `None` when the kernel lost
        /// count (its queue overflowed) or a watched folder itself was moved or removed: then anything
        /// may have changed.
        pub fn changes(&mut self) -> io::Result<Option<Vec<String>>> {
            let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
            let mut reader = inotify::Reader::new(&self.fd, &mut buf);
            let mut names = Vec::new();
            let mut complete = true;
            loop {
                let event = match reader.next() {
                    Ok(event) => event,
                    Err(e) if e == rustix::io::Errno::AGAIN => break,
                    Err(e) => return Err(e.into()),
                };
                let lost = ReadFlags::QUEUE_OVERFLOW
                    | ReadFlags::IGNORED
                    | ReadFlags::DELETE_SELF
                    | ReadFlags::MOVE_SELF
                    | ReadFlags::UNMOUNT;
                if event.events().intersects(lost) {
                    complete = false;
                    continue;
                }
                let prefix = self.folders.iter().find(|(wd, _)| *wd == event.wd());
                match (prefix, event.file_name()) {
                    (Some((_, prefix)), Some(name)) => {
                        names.push(format!("{prefix}{}", name.to_string_lossy()));
                    }
                    _ => complete = false,
                }
            }
            Ok(complete.then_some(names))
        }
    }
}

/// Where the kernel gives no change notifications: a watch cannot be made, and callers look at every file.
#[cfg(not(target_os = "linux"))]
mod watch {
    use super::Dir;
    use std::io;

    /// Never made on this system.
    #[derive(Debug)]
    pub struct Watch(std::convert::Infallible);

    impl Watch {
        /// Fails: no change notifications here.
        pub fn new() -> io::Result<Watch> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "no change notifications on this system",
            ))
        }
        /// Unreachable.
        pub fn add(&mut self, _: &Dir, _: &str) -> io::Result<()> {
            match self.0 {}
        }
        /// Unreachable.
        pub fn changes(&mut self) -> io::Result<Option<Vec<String>>> {
            match self.0 {}
        }
    }
}

/// A path for messages: `dir`'s path joined with `name`.
pub fn shown(dir: &Dir, name: &str) -> PathBuf {
    dir.path().join(name)
}
