//! `dream-mcp`: consolidate Claude Code's auto-memory safely.
//!
//! The library knows nothing of MCP: [`memory_dir`] confines every path, [`edit`] makes the three kinds of
//! change, [`journal`] keeps their before-images, [`inventory`] and [`index`] describe what is there, and
//! [`locations`] finds it all the way Claude Code does. [`server`] adapts it to MCP; the CLI calls the same
//! code.

pub mod atomic;
pub mod cli;
pub mod digest;
pub mod dream;
pub mod edit;
pub mod error;
pub mod exit_codes;
pub mod findings;
pub mod flock;
pub mod frontmatter;
pub mod index;
pub mod inventory;
pub mod journal;
pub mod locations;
pub mod lock;
pub mod memory_dir;
pub mod report;
pub mod secrets;
pub mod server;
pub mod sessions;
pub mod skill;
pub mod slug;
pub mod transcripts;

pub use error::{Error, Result};
