//! The MCP server: a thin adapter from tool calls to the library. Each tool parses its parameters, calls
//! library code, and shapes the result; every refusal comes back as a tool error the model can act on.
//! Parameters refuse unknown fields, so a misspelt `expected_sha256` is an error rather than a write
//! without the check.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::RoleServer;
use rmcp::handler::server::{
    router::{prompt::PromptRouter, tool::ToolRouter},
    wrapper::Parameters,
};
use rmcp::model::{
    CallToolResult, ContentBlock, GetPromptResult, Implementation, ProgressNotificationParam,
    PromptMessage, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    Json, ServerHandler, prompt, prompt_handler, prompt_router, tool, tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::change::edit::{self, DeleteOutcome, IndexOutcome, WriteOutcome};
use crate::change::journal::Citation;
use crate::change::retention::Acknowledgement;
use crate::change::run::{DreamStart, Dreamer, RunReport};
use crate::claude_code::locations::Locations;
use crate::error::Error;
use crate::findings;
use crate::findings::brief::Brief;
use crate::inventory::{self, InventoryPage, PageOptions};
use crate::mcp::{prompt, schema};
use crate::memory::digest::sha256_hex;
use crate::memory::dir::Access;
use crate::memory::index::Index;
use crate::memory::index_view::{self, IndexView};
use crate::memory::window::{MAX_READ_CHARS, window};
use crate::provenance::FileProvenance;
use crate::settings::Settings;
use crate::stores::served::{Served, StoreSummary};
use crate::transcripts::{self, GrepRequest, GrepResult, Progress, Query};

/// What the server tells the client it is for (kept under Claude Code's 2 KB cut).
pub const INSTRUCTIONS: &str = "dream-mcp consolidates Claude Code's auto-memory (\"dreaming\"). \
It reads and changes only the memory directory: every path is relative to it (`feedback_testing.md`, \
`team/shared.md`); absolute paths, `..`, symlinks, hidden names and protected folders are refused. \
A dream: start_dream (takes Claude Code's consolidation lock, opens a journaled run), list_memory \
(inventory and findings: index limits, relative dates, stale paths, duplicates), grep_transcripts for \
narrow evidence from past sessions (presets corrections, remember, decisions, errors; since_last_dream), \
then write_memory_file / delete_memory_file with the sha256 you read as expected_sha256, rewrite_index \
(refused over 200 lines or 25,000 bytes, with frontmatter, or with dead links), and finish_dream with a \
summary (or abort_dream to restore everything). Every change is journaled with its before-image and can \
be undone with `dream-mcp undo`.";

/// The `dream` MCP server over one set of resolved locations.
#[derive(Debug, Clone)]
pub struct DreamServer {
    stores: Arc<Served>,
    tool_router: ToolRouter<DreamServer>,
    prompt_router: PromptRouter<DreamServer>,
}

/// Parameters of `start_dream`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// Gate hours (default 24).
    pub min_hours: Option<f64>,
    /// Gate sessions (default 5).
    pub min_sessions: Option<usize>,
}

/// Parameters of `finish_dream`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// What this dream changed and why, in a few lines.
    pub summary: String,
    /// Specifics a refused finish listed that should go, each with why (journaled).
    #[serde(default)]
    pub forgotten: Vec<Acknowledgement>,
}

/// Parameters of `abort_dream`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbortParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// Why the dream is abandoned.
    pub reason: String,
}

/// Parameters of `read_memory_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// Relative to the memory directory, e.g. `debugging.md`.
    pub path: String,
    /// Also which session wrote each line, and the user's words before.
    #[serde(default)]
    pub provenance: bool,
    /// MEMORY.md as written, not grouped.
    #[serde(default)]
    pub verbatim: bool,
    /// First line (default 1): a long file comes in parts, `next_line` the next.
    pub from_line: Option<usize>,
}

/// Most characters of provenance a read carries beside its part of the file (at most
/// [`MAX_READ_CHARS`]), so the answer stays under Claude Code's inline limit of about 50,000.
const MAX_PROVENANCE_CHARS: usize = 12_000;

/// A file's content and identity.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReadOutput {
    /// Path relative to the memory directory.
    pub path: String,
    /// The file's text (invalid UTF-8 is replaced with U+FFFD); for MEMORY.md only with `verbatim`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// MEMORY.md without `verbatim`: every line, entries under the file they link (`N text after the
    /// link`), the other lines as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexView>,
    /// SHA-256 of the bytes on disk; pass it as `expected_sha256` when changing the file.
    pub sha256: String,
    /// Number of lines.
    pub lines: usize,
    /// Size in bytes.
    pub bytes: usize,
    /// Where the next part starts, when the file goes on: pass it as `from_line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_line: Option<usize>,
    /// With `provenance: true`: the session that wrote each line of this part, in ranges of lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<FileProvenance>,
}

/// Parameters of `write_memory_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// `<name>.md` or `team/<name>.md`, relative to the memory directory.
    pub path: String,
    /// The whole new file, frontmatter first.
    pub content: String,
    /// SHA-256 you read; refused if the file changed since. "" = create only if absent.
    pub expected_sha256: Option<String>,
    /// grep_transcripts hits it rests on (journaled).
    #[serde(default)]
    pub evidence: Vec<Citation>,
}

/// Parameters of `delete_memory_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// Topic file to delete.
    pub path: String,
    /// SHA-256 you read; refused if the file changed since.
    pub expected_sha256: Option<String>,
    /// grep_transcripts hits it rests on (journaled).
    #[serde(default)]
    pub evidence: Vec<Citation>,
}

/// Parameters of `rewrite_index`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RewriteIndexParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// The whole new MEMORY.md: one `- [Title](file.md) — hook` line a topic file.
    pub content: String,
    /// SHA-256 of the MEMORY.md you read; refused if it changed since.
    pub expected_sha256: Option<String>,
    /// grep_transcripts hits it rests on (journaled).
    #[serde(default)]
    pub evidence: Vec<Citation>,
}

/// Parameters of `list_memory`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListParams {
    /// Store (default `memory`).
    #[serde(default)]
    pub store: Option<String>,
    /// First topic file listed (default 0).
    pub files_offset: Option<usize>,
    /// Topic files to list, with description, type, sha256 (default 0, at most 500).
    pub files_limit: Option<usize>,
    /// Findings shown per kind (default 3, at most 200).
    pub findings_per_kind: Option<usize>,
}

/// The Orient-phase inventory plus where everything was found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListMemoryOutput {
    /// The resolved memory, transcripts, project and journal directories.
    pub directories: Locations,
    /// Index state, a page of topic files, findings, and what is left alone.
    #[serde(flatten)]
    pub inventory: InventoryPage,
    /// When the transcripts show each file of this page (and MEMORY.md) was first and last written.
    pub write_times: Vec<WriteTimes>,
    /// The other stores (agents' memories), each dreamed on its own with `store`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<StoreSummary>,
    /// Findings across stores (files named `<store>:<path>`): report them; move nothing between stores
    /// unless the user asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub across_stores: Option<Brief>,
}

/// A memory file's first and last recorded write.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WriteTimes {
    /// Path relative to the memory directory.
    pub path: String,
    /// The earliest write a transcript records (RFC 3339).
    pub first_write: Option<String>,
    /// The latest write a transcript records (RFC 3339).
    pub last_write: Option<String>,
}

/// `_meta` raising Claude Code's inline result limit to `chars` for a tool whose answers are capped.
fn result_size_meta(chars: usize) -> rmcp::model::MetaObject {
    let mut meta = rmcp::model::MetaObject::new();
    meta.0
        .insert("anthropic/maxResultSizeChars".to_string(), chars.into());
    meta
}

/// Inline result limit asked for `list_memory`: its default pages stay well under it; only a caller
/// raising `files_limit` and `findings_per_kind` to their maximum can exceed it.
const LIST_MEMORY_MAX_CHARS: usize = 100_000;

/// Sends the search's progress to the client while it runs, when the client asked for progress.
fn forward_progress(
    ctx: &RequestContext<RoleServer>,
    mut updates: tokio::sync::watch::Receiver<Option<Progress>>,
) -> Option<tokio::task::JoinHandle<()>> {
    let token = ctx.meta.get_progress_token()?;
    let peer = ctx.peer.clone();
    Some(tokio::spawn(async move {
        while updates.changed().await.is_ok() {
            let Some(p) = *updates.borrow_and_update() else {
                continue;
            };
            let note = ProgressNotificationParam::new(token.clone(), p.bytes as f64).with_message(
                format!("searched {} transcript(s), {} MB", p.files, p.bytes >> 20),
            );
            if peer.notify_progress(note).await.is_err() {
                break;
            }
        }
    }))
}

/// What `write_memory_file` did, and what the new content says that is still worth fixing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WriteOutput {
    /// The write itself: path, hashes, size, frontmatter warnings.
    #[serde(flatten)]
    pub written: WriteOutcome,
    /// Findings in the content just written (the first few of each kind, with counts): relative dates
    /// (with the date they resolve to), paths that do not exist in the project, facts repeated from other
    /// files, credentials. Fix them now.
    #[serde(flatten)]
    pub findings: Brief,
}

/// Findings of each kind a write's answer lists; the rest are counted.
const WRITE_FINDINGS_PER_KIND: usize = 5;

fn message(e: Error) -> String {
    e.to_string()
}

/// finish_dream's refusal over forgotten specifics: the message as text, and the list as structured
/// content (`forgotten: [{specific, kind, file, line}]`) a client can act on.
fn forgotten_refusal(e: Error) -> CallToolResult {
    let text = e.to_string();
    let Error::Forgotten { figure, forgotten } = e else {
        return CallToolResult::error(vec![ContentBlock::text(text)]);
    };
    let list: Vec<serde_json::Value> = forgotten
        .iter()
        .map(|f| {
            serde_json::json!({
                "specific": f.specific,
                "kind": f.kind,
                "file": f.file,
                "line": f.line,
            })
        })
        .collect();
    let mut result = CallToolResult::structured_error(serde_json::json!({
        "error": "forgotten specifics",
        "retention": figure,
        "forgotten": list,
    }));
    result.content = vec![ContentBlock::text(text)];
    result
}

#[tool_router]
impl DreamServer {
    /// A server working on `locations` with default settings.
    pub fn new(locations: Locations) -> DreamServer {
        DreamServer::with_settings(locations, Settings::default())
    }

    /// A server working on `locations` with the settings the command line resolved.
    pub fn with_settings(locations: Locations, settings: Settings) -> DreamServer {
        let mut tool_router = Self::tool_router();
        for route in tool_router.map.values_mut() {
            route.attr.output_schema = None;
            route.attr.input_schema = Arc::new(schema::compact(&route.attr.input_schema));
        }
        DreamServer {
            stores: Arc::new(Served::new(locations, settings)),
            tool_router,
            prompt_router: Self::prompt_router(),
        }
    }

    /// The dreamer of the store a tool names (the project's memory by default).
    fn dreamer(&self, store: Option<&str>) -> Result<Arc<Dreamer>, String> {
        self.stores.get(store).map_err(message)
    }

    /// Records what other writers (Claude Code's own dream, auto-memory, hand edits) changed since the
    /// journal last knew the memory directory, as an `external` run; called when the server starts.
    /// Never fails the server: a problem is logged.
    pub fn observe_external(&self) {
        match self
            .stores
            .auto()
            .observe_external(crate::change::external::Budget::default())
        {
            Ok(o) => tracing::debug!("external changes at start: {o:?}"),
            Err(e) => tracing::warn!("could not check for changes made outside dream-mcp: {e}"),
        }
    }

    /// Orient: MEMORY.md against its 200-line / 25,000-byte limits, findings by kind (the first few,
    /// with counts), files with findings; the file table on request.
    #[tool(
        annotations(
            read_only_hint = true,
            open_world_hint = false
        ),
        meta = result_size_meta(LIST_MEMORY_MAX_CHARS)
    )]
    async fn list_memory(
        &self,
        Parameters(p): Parameters<ListParams>,
    ) -> Result<Json<ListMemoryOutput>, String> {
        let dreamer = self.dreamer(p.store.as_deref())?;
        let dir = dreamer.memory().map_err(message)?;
        let locations = dreamer.locations();
        let provenance = dreamer.provenance().map_err(message)?;
        let inventory = inventory::inventory_dated(&dir, Some(&locations.project_dir), &provenance)
            .map_err(message)?;
        dreamer.warm_analysis();
        let defaults = PageOptions::default();
        let page_per_kind = p.findings_per_kind.unwrap_or(defaults.findings_per_kind);
        let page = inventory.page(PageOptions {
            files_offset: p.files_offset.unwrap_or(defaults.files_offset),
            files_limit: p.files_limit.unwrap_or(defaults.files_limit),
            findings_per_kind: page_per_kind,
        });
        let write_times = std::iter::once(crate::memory::dir::INDEX_NAME)
            .chain(page.files.iter().map(|f| f.path.as_str()))
            .map(|path| {
                let (first_write, last_write) = provenance.span(path);
                WriteTimes {
                    path: path.to_string(),
                    first_write,
                    last_write,
                }
            })
            .collect();
        let (stores, across) = self
            .stores
            .overview(p.store.as_deref().unwrap_or(crate::stores::store::AUTO));
        Ok(Json(ListMemoryOutput {
            stores,
            across_stores: (!across.is_empty())
                .then(|| findings::brief::brief(&across, page_per_kind)),
            directories: locations.clone(),
            inventory: page,
            write_times,
        }))
    }

    /// Read a memory file: content and sha256. MEMORY.md comes as its entries grouped by linked file.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn read_memory_file(
        &self,
        Parameters(p): Parameters<ReadParams>,
    ) -> Result<Json<ReadOutput>, String> {
        let dreamer = self.dreamer(p.store.as_deref())?;
        let dir = dreamer.memory().map_err(message)?;
        let path = dir.resolve(&p.path, Access::Read).map_err(message)?;
        let bytes = dir.read(&path).map_err(message)?;
        let content = String::from_utf8_lossy(&bytes).into_owned();
        let part = window(&content, p.from_line.unwrap_or(1), MAX_READ_CHARS);
        let last = part.next.unwrap_or(usize::MAX);
        let provenance = match p.provenance {
            true => Some(
                dreamer
                    .provenance()
                    .map_err(message)?
                    .file(path.as_str(), &content)
                    .within(part.first..last, MAX_PROVENANCE_CHARS),
            ),
            false => None,
        };
        let grouped = path.is_index() && !p.verbatim;
        Ok(Json(ReadOutput {
            provenance,
            path: path.to_string(),
            lines: content.lines().count(),
            bytes: bytes.len(),
            sha256: sha256_hex(&bytes),
            next_line: part.next,
            index: grouped.then(|| index_view::view(&Index::parse(&content), part.first..last)),
            content: (!grouped).then(|| part.text.to_string()),
        }))
    }

    /// Create or replace a topic file (not MEMORY.md), journaled for undo. Returns the new content's
    /// findings to fix now. Refuses credentials.
    #[tool(annotations(idempotent_hint = true, open_world_hint = false))]
    async fn write_memory_file(
        &self,
        Parameters(p): Parameters<WriteParams>,
    ) -> Result<Json<WriteOutput>, String> {
        let dreamer = self.dreamer(p.store.as_deref())?;
        let written = dreamer
            .change(&format!("write {}", p.path), |dir, run| {
                edit::write_file(
                    dir,
                    run,
                    &p.path,
                    &p.content,
                    p.expected_sha256.as_deref(),
                    &p.evidence,
                )
            })
            .map_err(message)?;
        // After the directory lock is released: the findings only read.
        let findings = dreamer
            .findings_for_write(&written.path, &p.content)
            .unwrap_or_else(|e| {
                tracing::warn!(
                    "findings for {}: cannot read the memory directory: {e}",
                    written.path
                );
                Vec::new()
            });
        Ok(Json(WriteOutput {
            written,
            findings: findings::brief::brief(&findings, WRITE_FINDINGS_PER_KIND),
        }))
    }

    /// Delete a topic file, journaled for undo. Names the MEMORY.md lines still linking to it.
    #[tool(annotations(open_world_hint = false))]
    async fn delete_memory_file(
        &self,
        Parameters(p): Parameters<DeleteParams>,
    ) -> Result<Json<DeleteOutcome>, String> {
        self.dreamer(p.store.as_deref())?
            .change(&format!("delete {}", p.path), |dir, run| {
                edit::delete_file(dir, run, &p.path, p.expected_sha256.as_deref(), &p.evidence)
            })
            .map(Json)
            .map_err(message)
    }

    /// Replace MEMORY.md. Refused, listing every violation, over 200 lines or 25,000 bytes, with
    /// frontmatter or a dead link.
    #[tool(annotations(idempotent_hint = true, open_world_hint = false))]
    async fn rewrite_index(
        &self,
        Parameters(p): Parameters<RewriteIndexParams>,
    ) -> Result<Json<IndexOutcome>, String> {
        self.dreamer(p.store.as_deref())?
            .change("rewrite MEMORY.md", |dir, run| {
                edit::rewrite_index(
                    dir,
                    run,
                    &p.content,
                    p.expected_sha256.as_deref(),
                    &p.evidence,
                )
            })
            .map(Json)
            .map_err(message)
    }

    /// Start a dream: takes the consolidation lock (refused while another runs), opens a journaled run.
    /// Returns time and sessions since the last consolidation, runs left open.
    #[tool(annotations(destructive_hint = false, open_world_hint = false))]
    async fn start_dream(
        &self,
        Parameters(p): Parameters<StartParams>,
    ) -> Result<Json<DreamStart>, String> {
        let dreamer = self.dreamer(p.store.as_deref())?;
        let gate = dreamer
            .settings()
            .gate
            .overridden(p.min_hours, p.min_sessions);
        dreamer.start(gate).map(Json).map_err(message)
    }

    /// Finish the dream: journals it, marks the lock, returns the changes and the undo command for the
    /// user. Refused while specifics the memory held are in no file: restore each or list it in
    /// `forgotten` with a reason.
    #[tool(annotations(destructive_hint = false, open_world_hint = false))]
    async fn finish_dream(
        &self,
        Parameters(p): Parameters<FinishParams>,
    ) -> Result<CallToolResult, String> {
        match self
            .dreamer(p.store.as_deref())?
            .finish(&p.summary, &p.forgotten)
        {
            Ok(report) => serde_json::to_value(&report)
                .map(CallToolResult::structured)
                .map_err(|e| e.to_string()),
            Err(e @ Error::Forgotten { .. }) => Ok(forgotten_refusal(e)),
            Err(e) => Err(message(e)),
        }
    }

    /// Search this project's session transcripts. Newest hits first, one a snippet (repeats counted):
    /// session, uuid, timestamp, role, snippet with the match in «». A `preset` or a regex `pattern`.
    #[tool(
        annotations(
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        ),
        meta = result_size_meta(transcripts::MAX_ANSWER_CHARS)
    )]
    async fn grep_transcripts(
        &self,
        Parameters(p): Parameters<GrepRequest>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<GrepResult>, String> {
        let dreamer = self.dreamer(p.store.as_deref())?;
        let locations = dreamer.locations();
        locations.usable_memory_dir().map_err(message)?;
        let query = Query::new(&p, dreamer.last_consolidation()).map_err(|e| e.to_string())?;
        let dirs = locations.transcript_folders();
        let cancel = Arc::new(AtomicBool::new(false));
        let on_cancel = {
            let (ct, cancel) = (ctx.ct.clone(), cancel.clone());
            tokio::spawn(async move {
                ct.cancelled().await;
                cancel.store(true, Ordering::Relaxed);
            })
        };
        let (updates, watch) = tokio::sync::watch::channel(None);
        let forwarder = forward_progress(&ctx, watch);
        let wants_progress = forwarder.is_some();
        let searched = tokio::task::spawn_blocking(move || {
            let report = |p: Progress| {
                updates.send_replace(Some(p));
            };
            let control = transcripts::Control {
                cancel: Some(&cancel),
                progress: wants_progress.then_some(&report as &(dyn Fn(Progress) + Sync)),
                threads: 0,
            };
            transcripts::grep_folders(&dirs, &query, &control)
        })
        .await;
        on_cancel.abort();
        if let Some(f) = forwarder {
            // The sender went away with the search, so the forwarder ends after its last update.
            let _ = f.await;
        }
        match searched {
            Ok(result) => result.map(Json).map_err(|e| e.to_string()),
            Err(e) => Err(format!("the transcript search stopped unexpectedly: {e}")),
        }
    }

    /// Abort the dream: restores every file it touched and rolls the consolidation lock back.
    #[tool(annotations(open_world_hint = false))]
    async fn abort_dream(
        &self,
        Parameters(p): Parameters<AbortParams>,
    ) -> Result<Json<RunReport>, String> {
        self.dreamer(p.store.as_deref())?
            .abort(&p.reason)
            .map(Json)
            .map_err(message)
    }
}

/// What the `dream` prompt is for, as clients list it.
const DREAM_PROMPT_DESCRIPTION: &str = "Consolidate this project's auto-memory (\"dream\"): orient, \
gather signal from the transcripts, merge and date the notes, and rebuild MEMORY.md, with the dream tools.";

// The macro adds an undocumented constructor for each prompt.
#[allow(missing_docs)]
#[prompt_router]
impl DreamServer {
    /// The dream instructions (the body of the plugin's `dream` skill), for clients that have MCP prompts but
    /// no skills.
    #[prompt(name = "dream", description = DREAM_PROMPT_DESCRIPTION)]
    async fn dream_prompt(&self) -> GetPromptResult {
        GetPromptResult::new(vec![PromptMessage::new_text(
            Role::User,
            prompt::instructions(),
        )])
        .with_description(DREAM_PROMPT_DESCRIPTION)
    }
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for DreamServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(INSTRUCTIONS)
    }
}
