//! Where and how Claude Code keeps things, so `dream` finds and treats them exactly as it does.
//!
//! - [`locations`]: the memory, transcripts, project and journal directories, resolved from settings.
//! - [`memory_setting`]: `autoMemoryDirectory` validated as Claude Code does, and the folders this server refuses.
//! - [`slug`]: the project-folder name Claude Code derives from a path.
//! - [`lock`]: the consolidation lock, `<memory>/.consolidate-lock`, shared with Claude Code's own dream.
//! - [`coverage`]: the transcript folders of one memory (its project's, its subfolders' and worktrees').
//! - [`gate`]: the automatic trigger (hours and sessions since the last consolidation).

pub mod coverage;
pub mod gate;
pub mod locations;
pub mod lock;
pub mod memory_setting;
pub mod slug;
