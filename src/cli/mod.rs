//! The command-line face: arguments, settings from the environment, rendering for people, the
//! SessionStart hook, journaled changes from the terminal (`edit`), and exit codes. The only code that knows clap, and with `mcp` the only code that
//! reads the environment.

pub mod args;
pub mod config;
pub mod edit;
pub mod exit_codes;
pub mod hook;
pub mod render;
pub mod render_grep;
