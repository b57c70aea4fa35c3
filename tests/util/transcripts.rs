//! Synthetic transcripts: one builder per line variant of Claude Code's JSONL (REFERENCE §3), sessions and
//! subagents written into the fixture world's transcripts folder, and searches over it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use dream_mcp::transcripts::{GrepRequest, GrepResult};
use dream_mcp::{Control, Query, grep_transcripts, lock};
use serde_json::{Value, json};

use super::{Env, set_mtime, write_file};

/// A session id in Claude Code's form.
pub const S1: &str = "11111111-1111-4111-8111-111111111111";
/// A second session id.
pub const S2: &str = "22222222-2222-4222-8222-222222222222";
/// A third session id.
pub const S3: &str = "33333333-3333-4333-8333-333333333333";

/// Timestamps on four consecutive days, oldest first.
pub const T1: &str = "2026-03-01T09:00:00.000Z";
/// The day after [`T1`].
pub const T2: &str = "2026-03-02T09:00:00.000Z";
/// The day after [`T2`].
pub const T3: &str = "2026-03-03T09:00:00.000Z";
/// The day after [`T3`].
pub const T4: &str = "2026-03-04T09:00:00.000Z";

/// Fields every conversation line carries, including metadata a search must never match.
fn base(kind: &str, session: &str, uuid: &str, ts: &str) -> Value {
    json!({
        "parentUuid": null,
        "isSidechain": false,
        "userType": "external",
        "cwd": "/home/dev/projects/metadata-only-word",
        "sessionId": session,
        "version": "2.1.39",
        "gitBranch": "main",
        "type": kind,
        "uuid": uuid,
        "timestamp": ts,
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// A prompt the user typed, as string content.
pub fn user(session: &str, uuid: &str, ts: &str, text: &str) -> Value {
    with(
        base("user", session, uuid, ts),
        "message",
        json!({"role": "user", "content": text}),
    )
}

/// A prompt the user typed, as text blocks.
pub fn user_blocks(session: &str, uuid: &str, ts: &str, texts: &[&str]) -> Value {
    let blocks: Vec<Value> = texts
        .iter()
        .map(|t| json!({"type": "text", "text": t}))
        .collect();
    with(
        base("user", session, uuid, ts),
        "message",
        json!({"role": "user", "content": blocks}),
    )
}

/// A `user` line Claude Code wrote itself (`isMeta`).
pub fn meta(session: &str, uuid: &str, ts: &str, text: &str) -> Value {
    with(user(session, uuid, ts, text), "isMeta", json!(true))
}

/// A compaction summary (`isCompactSummary`).
pub fn compact_summary(session: &str, uuid: &str, ts: &str, text: &str) -> Value {
    with(
        user(session, uuid, ts, text),
        "isCompactSummary",
        json!(true),
    )
}

/// The assistant's text.
pub fn assistant(session: &str, uuid: &str, ts: &str, text: &str) -> Value {
    with(
        base("assistant", session, uuid, ts),
        "message",
        json!({"id": "msg_1", "role": "assistant", "content": [{"type": "text", "text": text}]}),
    )
}

/// The assistant's thinking.
pub fn thinking(session: &str, uuid: &str, ts: &str, text: &str) -> Value {
    with(
        base("assistant", session, uuid, ts),
        "message",
        json!({"role": "assistant", "content": [{"type": "thinking", "thinking": text, "signature": "sig"}]}),
    )
}

/// A Bash tool call.
pub fn tool_use(session: &str, uuid: &str, ts: &str, command: &str) -> Value {
    with(
        base("assistant", session, uuid, ts),
        "message",
        json!({"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": command, "description": "run it"}}
        ]}),
    )
}

/// A tool result; `content` is a string or a block array.
pub fn tool_result(session: &str, uuid: &str, ts: &str, content: Value) -> Value {
    with(
        base("user", session, uuid, ts),
        "message",
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": content, "is_error": true}
        ]}),
    )
}

/// A `summary` line (no timestamp, no session id).
pub fn summary(text: &str) -> Value {
    json!({"type": "summary", "summary": text, "leafUuid": "leaf-1"})
}

/// A `progress` line, an unknown-to-the-search type holding text of its own.
pub fn progress(session: &str, text: &str) -> Value {
    json!({"type": "progress", "sessionId": session, "data": {"type": "hook_progress", "command": text}})
}

impl Env {
    /// Writes `<id>.jsonl` with one line per value into the transcripts folder.
    pub fn session(&self, id: &str, lines: &[Value]) -> PathBuf {
        self.transcript(&format!("{id}.jsonl"), jsonl(lines).as_bytes())
    }

    /// Writes `<id>/subagents/agent-<agent>.jsonl`.
    pub fn subagent(&self, id: &str, agent: &str, lines: &[Value]) -> PathBuf {
        self.transcript(
            &format!("{id}/subagents/agent-{agent}.jsonl"),
            jsonl(lines).as_bytes(),
        )
    }

    /// Writes raw bytes to `rel` in the transcripts folder, creating folders.
    pub fn transcript(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        write_file(&self.transcripts.join(rel), bytes)
    }

    /// A query for `req`, with the last consolidation read from this memory directory's lock.
    pub fn query(&self, req: &GrepRequest) -> Query {
        Query::new(req, lock::last_consolidation(&self.memory)).expect("valid request")
    }

    /// Runs a search over the transcripts folder (`since_last_dream` reads the memory directory's lock).
    pub fn grep(&self, req: GrepRequest) -> GrepResult {
        search(&self.transcripts, &self.query(&req))
    }
}

/// Runs `query` over the transcripts directory `dir`.
pub fn search(dir: &Path, query: &Query) -> GrepResult {
    grep_transcripts(dir, query, &Control::default()).expect("search runs")
}

/// Sets a file's modification time to `secs` seconds after the epoch.
pub fn touch(path: &Path, secs: u64) {
    set_mtime(path, SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
}

/// Lines joined with newlines, the last one terminated.
pub fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A request for `pattern` with everything else at its default.
pub fn pattern(p: &str) -> GrepRequest {
    GrepRequest {
        pattern: Some(p.to_string()),
        ..GrepRequest::default()
    }
}

/// The uuids of the hits, in order.
pub fn uuids(r: &GrepResult) -> Vec<String> {
    r.hits
        .iter()
        .map(|h| h.uuid.clone().unwrap_or_default())
        .collect()
}
