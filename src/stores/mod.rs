//! Memory stores: the project's auto-memory and the agent memories Claude Code keeps beside it, each with
//! its own confinement root, consolidation lock, journal and gate.
//!
//! - [`store`]: what a store is, its id (`memory`, `user/<agent>`, `project/<agent>`,
//!   `local/<agent>`), finding a project's stores, and the locations a dreamer works on for one.
//! - [`overview`]: one line per store of every project under `<config>/projects/` (`status --all`).

pub mod overview;
pub mod store;
