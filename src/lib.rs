//! `dream-mcp`: consolidate Claude Code's auto-memory safely.
//!
//! The crate is layered; each folder is one room:
//!
//! - `memory`: the confined memory directory and what is in it (paths, atomic writes, the index,
//!   frontmatter, a parsed snapshot). Nothing outside it opens a memory file.
//! - [`findings`]: what decayed, computed from a snapshot (relative dates, stale paths, duplicates, index
//!   problems, frontmatter, credentials); `inventory` puts the snapshot and its findings in one answer.
//! - [`transcripts`]: evidence from the session transcripts (`grep_transcripts`).
//! - [`provenance`]: which session wrote each line of memory, from the Write/Edit calls in the transcripts.
//! - `change`: every change as a journaled run with undo, and the dream state machine.
//! - `claude_code`: Claude Code's locations, slug, consolidation lock and session gate.
//! - `stores`: the memory stores (the auto-memory and the agent memories) and the overview of all of them.
//! - `secrets`: recognising credentials, for redaction and for findings.
//! - `os`: the few system calls beyond `std`.
//!
//! Two faces adapt the library and are the only modules that know their frameworks: [`mcp`] (rmcp) and
//! [`cli`] (clap). The library below them reads no environment: the faces resolve [`Settings`] and
//! [`LocationOptions`] once and pass them down.
//!
//! The re-exports below are the library's surface: what the faces, the tests and the fuzz targets use.
#![warn(missing_docs)]

pub(crate) mod change;
pub(crate) mod claude_code;
pub mod cli;
pub(crate) mod error;
pub mod findings;
pub(crate) mod inventory;
pub mod mcp;
pub(crate) mod memory;
pub(crate) mod os;
pub mod provenance;
pub(crate) mod secrets;
pub(crate) mod settings;
pub(crate) mod stores;
pub mod transcripts;

pub use change::edit;
pub use change::external::{Budget, Observation};
pub use change::journal::{
    Citation, Cited, Journal, Run, RunKind, RunRecord, RunStatus, unified_diff,
};
pub use change::retention::{self, Acknowledgement, Forgotten, Retention};
pub use change::run::{ChangeCounts, DreamStart, Dreamer, MAX_NAMED_FILES, RunReport};
pub use claude_code::gate::{self, GateConfig};
pub use claude_code::locations::{LocationOptions, Locations, MemorySource};
pub use claude_code::lock::{self, last_consolidation};
pub use claude_code::slug::project_folder;
pub use error::{Error, Result};
pub use inventory::{Inventory, InventoryPage, PageOptions, inventory, inventory_dated};
pub use mcp::server::DreamServer;
pub use memory::digest::sha256_hex;
pub use memory::dir::{Access, MAX_FILE_BYTES, MAX_PATH_BYTES, MemoryDir, MemoryPath};
pub use memory::{frontmatter, index, specifics};
pub use settings::Settings;
pub use stores::overview::{self, SortBy, StoreStatus};
pub use stores::served::store_locations;
pub use stores::store::{Scope, Store};
pub use transcripts::{Control, Query, grep as grep_transcripts, grep_folders};
