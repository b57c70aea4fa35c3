//! Provenance: which session wrote each line of memory.
//!
//! Claude Code writes memory with `Write`, `Edit` and `MultiEdit` tool calls (and this server's own
//! `write_memory_file` and `rewrite_index`), in the main session or a subagent's transcript, each with a
//! timestamp and the user's words just before. `scan` reads one transcript into those writes, `cache`
//! keeps them between calls keyed by transcript path, size and time, and `index` ([`Provenance`]) puts
//! them together and traces every line of a memory file to the earliest write that holds it.

mod cache;
mod index;
mod scan;

pub use index::{BuildStats, FileProvenance, LineRange, Origin, Provenance, Sources};
pub use scan::Write;
