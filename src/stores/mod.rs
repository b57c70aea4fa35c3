//! Memory stores: the project's auto-memory and the agent memories Claude Code keeps beside it, each with
//! its own folder, index and consolidation lock.
//!
//! - [`store`]: what a store is, its id (`memory`, `user/<agent>`, `project/<agent>`,
//!   `local/<agent>`), and finding the agent stores of a scope.
//! - [`overview`]: one line per store of every project under `<config>/projects/` (`status --all`).

pub mod overview;
pub mod store;
