//! The MCP server: a thin adapter from tool calls to the library. Each tool parses its parameters, calls
//! library code, and shapes the result; every refusal comes back as a tool error the model can act on.
//! Parameters refuse unknown fields, so a misspelt `expected_sha256` is an error rather than a write
//! without the check.

use std::sync::Arc;

use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{Json, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::dream::{DreamStart, Dreamer, RunReport};
use crate::edit::{self, DeleteOutcome, IndexOutcome, WriteOutcome};
use crate::error::Error;
use crate::inventory::{self, Inventory};
use crate::locations::Locations;
use crate::memory_dir::Access;
use crate::sessions::{self, GateConfig};

/// What the server tells the client it is for (kept under Claude Code's 2 KB cut).
pub const INSTRUCTIONS: &str = "dream-mcp consolidates Claude Code's auto-memory (\"dreaming\"). \
It reads and changes only the memory directory: every path is relative to it (`feedback_testing.md`, \
`team/shared.md`); absolute paths, `..`, symlinks, hidden names and protected folders are refused. \
Start with list_memory (inventory, index limits, dead links, orphans). Change topic files with \
write_memory_file / delete_memory_file, passing the sha256 you read as expected_sha256. MEMORY.md is \
written only by rewrite_index, which refuses an index over 200 lines or 25,000 bytes, with frontmatter, \
or with dead links. Every change is journaled with its before-image and can be undone with \
`dream-mcp undo`.";

/// The `dream` MCP server over one set of resolved locations.
#[derive(Debug, Clone)]
pub struct DreamServer {
    dreamer: Arc<Dreamer>,
    tool_router: ToolRouter<DreamServer>,
}

/// Parameters of `start_dream`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartParams {
    /// Hours since the last consolidation for the automatic gate to count as open (default 24).
    pub min_hours: Option<f64>,
    /// Sessions since the last consolidation for the gate to count as open (default 5).
    pub min_sessions: Option<usize>,
}

/// Parameters of `finish_dream`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishParams {
    /// A short summary of what this dream changed and why, shown in `dream-mcp history`.
    pub summary: String,
}

/// Parameters of `abort_dream`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbortParams {
    /// Why the dream is abandoned; every file it touched is restored.
    pub reason: String,
}

/// Parameters of `read_memory_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// Path relative to the memory directory, e.g. `debugging.md` or `team/conventions.md`.
    pub path: String,
}

/// A file's content and identity.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReadOutput {
    /// Path relative to the memory directory.
    pub path: String,
    /// The file's text (invalid UTF-8 is replaced with U+FFFD).
    pub content: String,
    /// SHA-256 of the bytes on disk; pass it as `expected_sha256` when changing the file.
    pub sha256: String,
    /// Number of lines.
    pub lines: usize,
    /// Size in bytes.
    pub bytes: usize,
}

/// Parameters of `write_memory_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteParams {
    /// Path relative to the memory directory: `<name>.md` or `team/<name>.md` (not MEMORY.md).
    pub path: String,
    /// The complete new content, starting with the frontmatter block.
    pub content: String,
    /// SHA-256 of the content you read; the write is refused if the file changed since (or, for a file
    /// that did not exist, if it now does). Omit only when creating a new file.
    pub expected_sha256: Option<String>,
}

/// Parameters of `delete_memory_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    /// Path relative to the memory directory of the topic file to remove (never MEMORY.md).
    pub path: String,
    /// SHA-256 of the content you read; the delete is refused if the file changed since.
    pub expected_sha256: Option<String>,
}

/// Parameters of `rewrite_index`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RewriteIndexParams {
    /// The complete new MEMORY.md: at most 200 lines and 25,000 bytes, no frontmatter, one
    /// `- [Title](file.md) — hook` pointer per line, every link to an existing topic file.
    pub content: String,
    /// SHA-256 of the MEMORY.md you read (from list_memory); refused if it changed since.
    pub expected_sha256: Option<String>,
}

/// The Orient-phase inventory plus where everything was found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListMemoryOutput {
    /// The resolved memory, transcripts, project and journal directories.
    pub directories: Locations,
    /// Index state, topic files, and what is left alone.
    #[serde(flatten)]
    pub inventory: Inventory,
}

fn message(e: Error) -> String {
    e.to_string()
}

#[tool_router]
impl DreamServer {
    /// A server working on `locations`.
    pub fn new(locations: Locations) -> DreamServer {
        DreamServer {
            dreamer: Arc::new(Dreamer::new(locations)),
            tool_router: Self::tool_router(),
        }
    }

    /// Inventory of the memory directory for the Orient phase: resolved directories; MEMORY.md's lines and
    /// bytes against Claude Code's 200-line / 25,000-byte load limits, the entries it would silently cut,
    /// dead links and orphan files; every topic file with frontmatter, size, modification time and sha256.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        open_world_hint = false
    ))]
    async fn list_memory(&self) -> Result<Json<ListMemoryOutput>, String> {
        let dir = self.dreamer.memory().map_err(message)?;
        let inventory = inventory::inventory(&dir).map_err(message)?;
        Ok(Json(ListMemoryOutput {
            directories: self.dreamer.locations().clone(),
            inventory,
        }))
    }

    /// Read one memory file (a topic file or MEMORY.md): its content, sha256 and line count.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        open_world_hint = false
    ))]
    async fn read_memory_file(
        &self,
        Parameters(p): Parameters<ReadParams>,
    ) -> Result<Json<ReadOutput>, String> {
        let dir = self.dreamer.memory().map_err(message)?;
        let path = dir.resolve(&p.path, Access::Read).map_err(message)?;
        let bytes = dir.read(&path).map_err(message)?;
        let content = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Json(ReadOutput {
            path: path.to_string(),
            lines: content.lines().count(),
            bytes: bytes.len(),
            sha256: sha256_hex(&bytes),
            content,
        }))
    }

    /// Create or replace a topic file atomically (never MEMORY.md; use rewrite_index). Pass the sha256 you
    /// read as expected_sha256 so a concurrent change is not lost. The old content is journaled for undo.
    /// Warns when frontmatter (name, description, type) is missing or invalid.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn write_memory_file(
        &self,
        Parameters(p): Parameters<WriteParams>,
    ) -> Result<Json<WriteOutcome>, String> {
        self.dreamer
            .change(&format!("write {}", p.path), |dir, run| {
                edit::write_file(dir, run, &p.path, &p.content, p.expected_sha256.as_deref())
            })
            .map(Json)
            .map_err(message)
    }

    /// Delete a topic file (never MEMORY.md). Its content is journaled so `dream-mcp undo` brings it back.
    /// Reports MEMORY.md lines that still link to it, to fix with rewrite_index.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn delete_memory_file(
        &self,
        Parameters(p): Parameters<DeleteParams>,
    ) -> Result<Json<DeleteOutcome>, String> {
        self.dreamer
            .change(&format!("delete {}", p.path), |dir, run| {
                edit::delete_file(dir, run, &p.path, p.expected_sha256.as_deref())
            })
            .map(Json)
            .map_err(message)
    }

    /// Replace MEMORY.md, only if the new index has at most 200 lines and 25,000 bytes, no frontmatter,
    /// and every link points to an existing topic file; otherwise nothing is written and every violation is
    /// listed with its line number. Warns (but writes) for entries over 150 characters and unlinked files.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn rewrite_index(
        &self,
        Parameters(p): Parameters<RewriteIndexParams>,
    ) -> Result<Json<IndexOutcome>, String> {
        self.dreamer
            .change("rewrite MEMORY.md", |dir, run| {
                edit::rewrite_index(dir, run, &p.content, p.expected_sha256.as_deref())
            })
            .map(Json)
            .map_err(message)
    }

    /// Start a dream: takes Claude Code's consolidation lock (refused, with the holder's PID and age, while
    /// another consolidation runs), opens a journal run that records every change until finish_dream or
    /// abort_dream, and returns the time since the last consolidation, the sessions since (for
    /// grep_transcripts since_last_dream), whether the automatic gate is open, runs a crash left open,
    /// and the inventory in numbers.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn start_dream(
        &self,
        Parameters(p): Parameters<StartParams>,
    ) -> Result<Json<DreamStart>, String> {
        let gate = GateConfig {
            min_hours: p.min_hours.unwrap_or(sessions::DEFAULT_MIN_HOURS),
            min_sessions: p.min_sessions.unwrap_or(sessions::DEFAULT_MIN_SESSIONS),
        };
        self.dreamer.start(gate).map(Json).map_err(message)
    }

    /// Finish the open dream: stores its record (summary; files created, changed and deleted with line
    /// counts; the unified diff), marks this consolidation's time on the lock, and returns the change
    /// summary, the diff and the command that undoes it. Tell the user both.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn finish_dream(
        &self,
        Parameters(p): Parameters<FinishParams>,
    ) -> Result<Json<RunReport>, String> {
        self.dreamer.finish(&p.summary).map(Json).map_err(message)
    }

    /// Abort the open dream: restores every file it touched to its content before the dream, and rolls
    /// the consolidation lock back so the dream does not count as done.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn abort_dream(
        &self,
        Parameters(p): Parameters<AbortParams>,
    ) -> Result<Json<RunReport>, String> {
        self.dreamer.abort(&p.reason).map(Json).map_err(message)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for DreamServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }
}
