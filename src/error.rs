//! The library's error type: every refusal names the input and the rule it broke.

use std::path::PathBuf;

/// Why a memory-directory operation was refused or failed.
///
/// Every variant's message names the offending input and the rule, so the model (or a person) can act on it
/// without guessing. A refusal always leaves the memory directory unchanged.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tool path broke one of the confinement rules in [`crate::memory::dir`].
    #[error("path {} refused: {rule}", shown(path))]
    PathRefused {
        /// The path as the caller gave it.
        path: String,
        /// The rule it broke, in words.
        rule: String,
    },
    /// The file a read, delete or hash check needs is not there.
    #[error("{path:?} does not exist in the memory directory")]
    NotFound {
        /// The relative path that was asked for.
        path: String,
    },
    /// `expected_sha256` did not match the file's current content (someone else wrote it since it was read).
    #[error(
        "conflict on {path:?}: expected sha256 {expected}, but the file is now {current}; read it again, merge, and retry with the current hash"
    )]
    Conflict {
        /// The relative path.
        path: String,
        /// The hash the caller expected.
        expected: String,
        /// The hash on disk now, or `absent` when the file does not exist.
        current: String,
    },
    /// A parameter other than a path or content broke its rule (e.g. `expected_sha256` is not a hash).
    #[error("parameter `{name}` refused: {rule}")]
    Parameter {
        /// The parameter's name, as the tool declares it.
        name: &'static str,
        /// The rule it broke, in words.
        rule: String,
    },
    /// Content offered for a write broke a content rule (size, NUL bytes, ...).
    #[error("content for {path:?} refused: {rule}")]
    ContentRefused {
        /// The relative path the content was meant for.
        path: String,
        /// The rule it broke.
        rule: String,
    },
    /// A proposed MEMORY.md broke the index rules; every violation is listed with its line number.
    #[error("MEMORY.md not written: {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    IndexRefused(Vec<String>),
    /// The memory directory itself is missing or unusable.
    #[error("memory directory {}: {reason}", .path.display())]
    MemoryDir {
        /// The directory that was resolved.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The consolidation lock could not be taken or has been lost.
    #[error(transparent)]
    Lock(#[from] crate::claude_code::lock::LockError),
    /// A dream tool was called in the wrong state (e.g. `finish_dream` with no dream open).
    #[error("{0}")]
    DreamState(String),
    /// No run with that id is in the journal.
    #[error("no run {id:?} in the journal {} (see `dream-mcp history`)", .journal.display())]
    RunNotFound {
        /// The id asked for.
        id: String,
        /// The journal searched.
        journal: PathBuf,
    },
    /// The run is still open in a live process and cannot be undone yet.
    #[error("run {id} is still open in a running process; finish or abort it first")]
    RunOpen {
        /// The run id.
        id: String,
    },
    /// Undo would overwrite changes made after the run.
    #[error(
        "cannot undo run {id}: changed since the run ended: {}; `dream-mcp diff` shows the run, `dream-mcp undo --force` overwrites (the overwrite is journaled too)",
        .paths.join(", ")
    )]
    UndoConflict {
        /// The run id.
        id: String,
        /// Files whose current content is not what the run left.
        paths: Vec<String>,
    },
    /// `finish_dream` found specifics the memory held before the dream and holds nowhere now, with no
    /// reason given for letting them go. The dream stays open.
    #[error(
        "finish_dream refused: {figure}; {} specific(s) are in no memory file now and were not acknowledged:\n{}\nRestore each in a memory file, or call finish_dream again with forgotten: [{{specific, reason, evidence?}}] saying why it can go (contradicted by..., superseded by..., stale because...). Acknowledgements already given stand. The dream is still open.",
        .forgotten.len(),
        forgotten_lines(.forgotten)
    )]
    Forgotten {
        /// The retention figure ("kept 412 of 418 specifics").
        figure: String,
        /// The unacknowledged forgotten specifics.
        forgotten: Vec<crate::change::retention::Forgotten>,
    },
    /// The journal holds something this program did not write there (a symlink, an edited record or
    /// image), or cannot record a change; nothing was changed.
    #[error("journal {}: {rule}; nothing was changed", .path.display())]
    Journal {
        /// The journal file or folder involved.
        path: PathBuf,
        /// What is wrong with it.
        rule: String,
    },
    /// Any other I/O failure, with the path it happened on.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds a path refusal from the caller's path and the rule it broke.
    pub fn refused(path: &str, rule: impl Into<String>) -> Self {
        Error::PathRefused {
            path: path.to_string(),
            rule: rule.into(),
        }
    }
}

/// Longest input echoed whole in an error message; a longer one (a 10 MB path or pattern from a hostile
/// caller) is shown by its start and its size, so a refusal never repeats megabytes back to the model.
pub const MAX_ECHO_BYTES: usize = 16 * 1024;

/// An input quoted for an error message: `"..."` as `{:?}` prints it, cut after 200 characters (with its
/// size) when it is over [`MAX_ECHO_BYTES`].
pub fn shown(input: &str) -> String {
    if input.len() <= MAX_ECHO_BYTES {
        return format!("{input:?}");
    }
    let start: String = input.chars().take(200).collect();
    format!("{start:?}... ({} bytes)", input.len())
}

/// How many forgotten specifics a refusal lists in its text (the structured content has all of them).
const FORGOTTEN_SHOWN: usize = 50;

/// One line per forgotten specific, `- "text" (file:line)`, the first [`FORGOTTEN_SHOWN`] of them.
fn forgotten_lines(forgotten: &[crate::change::retention::Forgotten]) -> String {
    let mut lines: Vec<String> = forgotten
        .iter()
        .take(FORGOTTEN_SHOWN)
        .map(|f| format!("- {} ({}:{})", shown(&f.specific), f.file, f.line))
        .collect();
    if forgotten.len() > FORGOTTEN_SHOWN {
        lines.push(format!(
            "- ... and {} more",
            forgotten.len() - FORGOTTEN_SHOWN
        ));
    }
    lines.join("\n")
}

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
