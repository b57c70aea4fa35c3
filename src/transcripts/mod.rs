//! Searching session transcripts for evidence: who said what, when, in which session.
//!
//! A search ([`grep`]) walks the transcripts directory in parallel ([`walk`]), runs a raw-bytes regex
//! over each file line by line ([`pattern`], with [`clip`] bounding line length), decodes only the lines
//! that could match ([`record`]), re-checks the match on the decoded text and the filters ([`sink`]), and
//! keeps the newest hits ([`top`]) as short redacted snippets ([`snippet`]). [`request`] is what callers
//! ask for; [`result`] is what they get back; [`preset`] holds the named pattern sets.

pub mod clip;
pub mod error;
pub mod pattern;
pub mod preset;
pub mod record;
pub mod report;
pub mod request;
pub mod result;
pub mod search;
pub mod sink;
pub mod snippet;
pub mod top;
pub mod walk;

pub use error::GrepError;
pub use preset::Preset;
pub use request::{GrepRequest, Query, RoleFilter};
pub use result::{GrepResult, Hit, Stats, Warning, WarningKind};
pub use search::{Control, Progress, grep};
