//! `dream-mcp status --hook`: the SessionStart hook. Prints hook JSON only when a dream is due, and never
//! fails or delays the session.

use std::io::{IsTerminal, Read};
use std::time::{Duration, SystemTime};

use crate::change::external::Budget;
use crate::change::journal::{Journal, RunKind, RunRecord, RunStatus};
use crate::change::run::{Dreamer, shell_quote};
use crate::claude_code::gate::{self, GateConfig};
use crate::claude_code::locations::Locations;
use crate::settings::Settings;

use super::render;

/// How long the hook waits for Claude Code's JSON on stdin.
const STDIN_WAIT: Duration = Duration::from_millis(50);

/// What the hook does when a dream is due (the plugin's `when_due` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenDue {
    /// Claude offers a dream at a natural pause (the default).
    #[default]
    Suggest,
    /// Claude starts the background dream without asking, at most once per gate window.
    Auto,
    /// Nothing is said.
    Off,
}

impl WhenDue {
    /// The setting's word: `suggest`, `auto` or `off`.
    pub fn parse(word: &str) -> Option<WhenDue> {
        match word {
            "suggest" => Some(WhenDue::Suggest),
            "auto" => Some(WhenDue::Auto),
            "off" => Some(WhenDue::Off),
            _ => None,
        }
    }
}

/// The journal file holding the gate window (the last consolidation time) in which the hook last started
/// a dream by itself: the circuit breaker.
const AUTO_STARTED: &str = "auto-started";

/// The gate window a consolidation time opens: its mtime in nanoseconds, or `never`.
fn window(last: Option<SystemTime>) -> String {
    last.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or_else(|| "never".to_string(), |d| d.as_nanos().to_string())
}

/// The circuit breaker: true (and the window noted) when the hook has not started a dream in this gate
/// window yet; false when it has, or when the note cannot be written (better no dream than one per
/// session).
fn first_in_window(locations: &Locations) -> bool {
    let key = window(crate::claude_code::lock::last_consolidation(
        &locations.memory_dir,
    ));
    let marker = locations.journal_dir.join(AUTO_STARTED);
    let noted = std::fs::read_to_string(&marker).unwrap_or_default();
    if noted.trim() == key {
        return false;
    }
    let noted = std::fs::create_dir_all(&locations.journal_dir)
        .and_then(|()| std::fs::write(&marker, &key));
    match noted {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(
                "could not note the automatic dream in {}: {e}",
                marker.display()
            );
            false
        }
    }
}

/// Runs the hook: when the gate is open, the SessionStart `additionalContext` `when` asks for (an offer,
/// or an instruction to start the background dream once per gate window; nothing with `off` or while
/// Claude Code's own auto-dream is on); and `notice` (what the last runs forgot) to the user and the
/// model when there is one; nothing otherwise.
pub fn run(locations: &Locations, config: GateConfig, when: WhenDue, notice: Option<&str>) {
    if let Err(e) = locations.usable_memory_dir() {
        // The session must not fail; the refusal is on stderr and in every tool's answer.
        eprintln!("dream-mcp: {e}");
        return;
    }
    let due = match when {
        WhenDue::Off => None,
        _ if locations.auto_dream_enabled => {
            tracing::info!(
                "Claude Code's own auto-dream is on (autoDreamEnabled); not suggesting a dream, it would race"
            );
            None
        }
        _ => gate::due(
            &locations.memory_dir,
            &locations.transcript_folders(),
            config,
            current_session_from_stdin().as_deref(),
            SystemTime::now(),
        )
        .filter(|_| locations.memory_dir.is_dir()),
    };
    let (context, told) = match (due, when) {
        (Some(due), WhenDue::Auto) if first_in_window(locations) => (
            Some(render::hook_auto_context(due, config)),
            Some(render::hook_auto_notice(due)),
        ),
        (Some(due), WhenDue::Suggest) => (Some(render::hook_context(due, config)), None),
        _ => (None, None),
    };
    let notice = match (told, notice) {
        (Some(t), Some(n)) => Some(format!("{t}\n{n}")),
        (t, n) => t.or(n.map(str::to_string)),
    };
    if let Some(out) = hook_output(context, notice.as_deref()) {
        println!("{out}");
    }
}

/// The hook's JSON: the gate's context and the notice (also shown to the user), or `None` when there is
/// neither.
fn hook_output(due: Option<String>, notice: Option<&str>) -> Option<serde_json::Value> {
    let context: Vec<&str> = due.as_deref().into_iter().chain(notice).collect();
    if context.is_empty() {
        return None;
    }
    let mut out = serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": context.join("\n\n"),
        }
    });
    if let Some(n) = notice {
        out["systemMessage"] = serde_json::Value::String(n.to_string());
    }
    Some(out)
}

/// How long the safety net may look at the memory directory during a session start.
const SAFETY_NET_TIME: Duration = Duration::from_millis(300);

/// The safety net at session start: records what other writers changed since the journal last knew
/// the memory directory (an `external` run), then returns the notice about runs that forgot
/// specifics, once per run. Never fails or delays the session: problems are logged, and the look is
/// bounded by [`SAFETY_NET_TIME`].
pub fn safety_net(locations: &Locations, settings: &Settings) -> Option<String> {
    if locations.usable_memory_dir().is_err() || !locations.memory_dir.is_dir() {
        return None;
    }
    let dreamer = Dreamer::with_settings(locations.clone(), settings.clone());
    let budget = Budget {
        time: SAFETY_NET_TIME,
        ..Budget::default()
    };
    match dreamer.observe_external(budget) {
        Ok(o) => tracing::debug!("safety net: {o:?}"),
        Err(e) => tracing::warn!("safety net: could not compare the memory directory: {e}"),
    }
    retention_notice(dreamer.journal(), &settings.executable)
}

/// The journal file naming the newest run the user has been told about.
const NOTIFIED: &str = "notified";

/// A short notice about the runs that forgot specifics since the last notice (the newest one named,
/// with the commands that list and undo it), and marks them told. `None` when there is nothing new.
fn retention_notice(journal: &Journal, executable: &str) -> Option<String> {
    let marker = journal.root().join(NOTIFIED);
    let told = std::fs::read_to_string(&marker).unwrap_or_default();
    let told = told.trim();
    let runs = journal.runs().ok()?;
    let newest = runs.iter().rev().find(|r| r.status != RunStatus::Open)?;
    if newest.id.as_str() <= told {
        return None;
    }
    let lossy: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.id.as_str() > told && r.status != RunStatus::Open)
        .filter(|r| {
            r.retention
                .as_ref()
                .is_some_and(|x| !x.forgotten.is_empty())
        })
        .collect();
    if let Err(e) = std::fs::write(&marker, &newest.id) {
        tracing::warn!("could not note the retention notice as given: {e}");
        return None; // better silent than repeated at every start
    }
    let run = lossy.last()?;
    let retention = run.retention.as_ref()?;
    let by = match run.kind {
        RunKind::External => run.summary.split(':').next().unwrap_or("another writer"),
        RunKind::Dream => "a dream",
        _ => "a change",
    };
    let exe = shell_quote(executable);
    let others = match lossy.len() {
        1 => String::new(),
        n => format!(
            " ({} earlier run(s) too: `{exe} history --forgotten`)",
            n - 1
        ),
    };
    Some(format!(
        "dream-mcp: {by} made the memory lose {} specific(s) (run {}: {}){others}. See them: `{exe} history --forgotten {}`; undo the run: `{exe} undo {}`.",
        retention.forgotten.len(),
        run.id,
        retention.figure(),
        run.id,
        run.id
    ))
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
