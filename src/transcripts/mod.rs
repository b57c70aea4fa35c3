//! Searching session transcripts for evidence: who said what, when, in which session.
//!
//! A search ([`grep`]) walks the transcripts directory in parallel (`walk`), runs a raw-bytes regex
//! over each file line by line (`pattern`, with `clip` bounding line length), decodes only the lines
//! that could match ([`record`]), re-checks the match on the decoded text and the filters (`sink`), and
//! keeps the newest hits (`top`) as short redacted snippets (`snippet`), grouped by similar text across
//! sessions on request (`group`). `request` is what callers
//! ask for, `scope` which speakers and pieces it reads, `result` what they get back; `preset` holds
//! the named pattern sets.

pub(crate) mod clip;
mod error;
mod group;
mod pattern;
mod preset;
pub mod record;
mod request;
mod result;
mod scope;
mod search;
pub(crate) mod sink;
pub(crate) mod snippet;
mod top;
pub(crate) mod walk;

pub use error::GrepError;
pub use group::HitGroup;
pub use pattern::Matchers;
pub use preset::Preset;
pub use request::{GrepRequest, Query};
pub use result::{GrepResult, Hit, MAX_ANSWER_CHARS, Stats, Warning, WarningKind};
pub use scope::RoleFilter;
pub use search::{Control, Progress, grep, grep_folders};
pub use sink::MAX_LINE_BYTES;
