//! The process exit statuses, in one place.

/// How `dream-mcp` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything went as asked and nothing needs attention.
    Success,
    /// The command worked and found problems (for `check`: an error-severity finding, i.e. index lines
    /// cut by the limits, a dead link, or a credential stored in memory).
    Problems,
    /// The command could not do its job (bad arguments, a missing directory, an I/O error).
    Error,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(match code {
            ExitCode::Success => 0,
            ExitCode::Problems => 1,
            ExitCode::Error => 2,
        })
    }
}
