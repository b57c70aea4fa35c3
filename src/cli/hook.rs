//! `dream-mcp status --hook`: the SessionStart hook. Prints hook JSON only when a dream is due, and never
//! fails or delays the session.

use std::io::{IsTerminal, Read};
use std::time::{Duration, SystemTime};

use crate::claude_code::gate::{self, GateConfig};
use crate::claude_code::locations::Locations;

use super::render;

/// How long the hook waits for Claude Code's JSON on stdin.
const STDIN_WAIT: Duration = Duration::from_millis(50);

/// Runs the hook: prints the SessionStart `additionalContext` when the gate is open, nothing otherwise.
pub fn run(locations: &Locations, config: GateConfig) {
    if let Err(e) = locations.usable_memory_dir() {
        // The session must not fail; the refusal is on stderr and in every tool's answer.
        eprintln!("dream-mcp: {e}");
        return;
    }
    let current = current_session_from_stdin();
    let due = gate::due(
        &locations.memory_dir,
        &locations.transcripts_dir,
        config,
        current.as_deref(),
        SystemTime::now(),
    );
    if let Some(due) = due
        && locations.memory_dir.is_dir()
    {
        let out = serde_json::json!({
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": render::hook_context(due, config),
            }
        });
        println!("{out}");
    }
}

/// The `session_id` from the hook input Claude Code writes on stdin, waiting at most [`STDIN_WAIT`].
fn current_session_from_stdin() -> Option<String> {
    if std::io::stdin().is_terminal() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut input = String::new();
        let _ = std::io::stdin().take(1 << 20).read_to_string(&mut input);
        let _ = tx.send(input);
    });
    let input = rx.recv_timeout(STDIN_WAIT).ok()?;
    let value: serde_json::Value = serde_json::from_str(&input).ok()?;
    value.get("session_id")?.as_str().map(str::to_string)
}
