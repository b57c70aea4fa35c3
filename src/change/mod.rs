//! Changing memory: every change is part of a run, journaled with its before-image, and can be undone.
//!
//! - [`edit`]: the three changes a tool can make (write a topic file, delete one, rewrite the index).
//! - [`external`]: the safety net: changes other writers made, recorded as `external` runs.
//! - [`journal`]: runs on disk, outside the memory directory: before- and after-images, diffs, undo.
//! - [`retention`]: the retention audit (the specifics a run made the memory lose) and acknowledgements.
//! - [`run`]: the dream state machine (`start_dream` ... `finish_dream` / `abort_dream`) and the run
//!   report a finished run returns.

pub mod edit;
pub mod external;
pub mod journal;
pub mod retention;
pub mod run;
