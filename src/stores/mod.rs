//! Memory stores: the project's auto-memory and the agent memories Claude Code keeps beside it, each with
//! its own folder, index and consolidation lock.
//!
//! - [`store`]: what a store is, its id (`memory`, `user/<agent>`, `project/<agent>`,
//!   `local/<agent>`), and finding the agent stores of a scope.
//! - [`overview`]: one line per store of every project under `<config>/projects/` (`status --all`).
//! - [`across`]: findings across stores (a fact two stores share, an agent's feedback rule).
//! - [`served`]: the stores one server serves, each with a dreamer of its own (the tools' `store`).

pub mod across;
pub mod overview;
pub mod served;
pub mod store;
