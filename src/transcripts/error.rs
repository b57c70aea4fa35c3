//! Why a transcript search was refused or could not run.

use std::path::PathBuf;

use crate::error::shown;

/// A refused request or an unusable transcripts directory. Problems inside individual transcript files
/// (unreadable, half-written, not JSON) are never errors: they are counted as warnings in the result.
#[derive(Debug, thiserror::Error)]
pub enum GrepError {
    /// Neither `pattern` nor `preset` was given, or both were.
    #[error("give exactly one of `pattern` (a regular expression) or `preset` ({presets})")]
    PatternOrPreset {
        /// The preset names, for the message.
        presets: String,
    },
    /// The pattern is not a valid regular expression, or breaks a rule of this search.
    #[error("pattern {} refused: {reason}", shown(pattern))]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `since` is neither a date nor an RFC 3339 time.
    #[error(
        "since {} is not a date: use YYYY-MM-DD (midnight UTC) or RFC 3339 such as 2026-03-01T09:30:00Z",
        shown(input)
    )]
    Since {
        /// The value as given.
        input: String,
    },
    /// A session id in `sessions` does not look like one.
    #[error(
        "session id {} refused: ids are the transcript file names without `.jsonl` (letters, digits and '-', at most 64)",
        shown(id)
    )]
    SessionId {
        /// The id as given.
        id: String,
    },
    /// The transcripts directory is missing or not a directory.
    #[error("transcripts directory {}: {reason}", .path.display())]
    Directory {
        /// The directory that was resolved.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
